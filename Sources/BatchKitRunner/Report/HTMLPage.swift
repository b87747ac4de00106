import BatchKit
import Foundation

/// The frame of batchkit's HTML pages (`report.html`, `history --html`):
/// one file with its style inline, no script, and a content security policy
/// that forbids every request, so it opens from `file://` anywhere and
/// fetches nothing.
public enum HTMLPage {
    /// `text` as HTML text or an attribute value: `&`, `<`, `>`, quotes
    /// escaped, hidden characters shown as in the text report.
    static func escape(_ text: String) -> String {
        HTML(text: text).string
    }

    /// A whole page.
    static func page(title: String, body: HTML) -> [UInt8] {
        var page = head(title: title)
        page.reserveCapacity(page.bytes.count + body.bytes.count + 32)
        page += body
        page.append(tail)
        return page.bytes
    }

    /// The start of a page, up to and including `<body>`: a page is this,
    /// its body, then ``tail``.
    static func head(title: String) -> HTML {
        """
        <!DOCTYPE html>
        <html lang="en"><head><meta charset="utf-8">
        <meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">
        <meta name="viewport" content="width=device-width, initial-scale=1">
        <title>\(title)</title>
        <style>\(HTML(trusted: style))</style></head>
        <body>

        """
    }

    /// The end of a page.
    static let tail: StaticString = "\n</body></html>\n"

    /// A status word in its colour, with the word itself as the cue.
    static func badge(_ status: Status) -> HTML {
        "<span class=\"badge s-\(status.rawValue.lowercased())\">\(status.rawValue)</span>"
    }

    static let style = """
        body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:0;color:#1d2330;background:#fafbfc}
        main{max-width:1180px;margin:0 auto;padding:0 20px 40px}
        h1{font-size:20px;margin:0}h2{font-size:16px;margin:28px 0 8px;border-bottom:1px solid #dde1e6;padding-bottom:4px}
        .banner{padding:16px 20px;color:#fff;background:#2e7d32}.banner.b-fail{background:#c62828}.banner.b-interrupted{background:#ef6c00}
        .banner .meta{opacity:.92;margin-top:4px}.banner code{color:#fff}
        table{border-collapse:collapse;width:100%;background:#fff}th,td{text-align:left;padding:4px 8px;border-bottom:1px solid #eceff2;vertical-align:middle}
        th{font-weight:600;color:#4a5261;font-size:12px;text-transform:uppercase;letter-spacing:.03em}
        td.num{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
        .badge{display:inline-block;padding:0 6px;border-radius:3px;font-size:12px;font-weight:600;border:1px solid}
        .s-pass{color:#1b5e20;background:#e8f5e9;border-color:#81c784}.s-cached{color:#00695c;background:#e0f2f1;border-color:#80cbc4}
        .s-fail{color:#b71c1c;background:#ffebee;border-color:#e57373}.s-skipped,.s-pending,.s-running{color:#455a64;background:#eceff1;border-color:#b0bec5}
        .bar{display:inline-block;height:8px;background:#90a4ae;border-radius:2px;vertical-align:middle;margin-right:6px}
        .critical{font-weight:600}.note{color:#8d5a00}.slow{color:#b71c1c;font-weight:600}
        pre{background:#1d2330;color:#e8eaed;padding:8px 10px;overflow:auto;font-size:12px;border-radius:4px}
        svg text{font:11px system-ui,sans-serif}.legend span{margin-right:14px}
        .muted{color:#6b7280}h3.session{font-size:14px;margin:16px 0 4px}
        .scroll{overflow:auto;max-height:720px;border:1px solid #dde1e6;background:#fff}
        svg.timeline .label{fill:#1d2330}
        """
}

extension HTMLPage {
    /// A small line of a step's recent times; a failed run is a red dot.
    static func sparkline(_ points: [StepTrends.Point], width: Double = 120) -> HTML {
        guard points.count > 1 else { return points.isEmpty ? HTML() : "<span class=\"muted\">1 run</span>" }
        let most = max(points.map(\.seconds).max() ?? 0, 0.001)
        let height = 22.0
        func at(_ index: Int, _ point: StepTrends.Point) -> (x: Double, y: Double) {
            (Double(index) / Double(points.count - 1) * (width - 4) + 2, height - 2 - point.seconds / most * (height - 4))
        }
        let sorted = points.map(\.seconds).sorted()
        let failed = points.filter { $0.status == .fail }.count
        let times = "median \(DurationFormat.seconds(sorted[sorted.count / 2])), slowest \(DurationFormat.seconds(sorted[sorted.count - 1])), "
            + "last \(DurationFormat.seconds(points[points.count - 1].seconds))" + (failed == 0 ? "" : "; \(failed) failed")
        var svg: HTML = "<svg class=\"sparkline\" width=\"\(Int(width))\" height=\"\(Int(height))\" xmlns=\"http://www.w3.org/2000/svg\"><title>last \(points.count) runs: \(times)</title><polyline fill=\"none\" stroke=\"#546e7a\" stroke-width=\"1.5\" points=\""
        for (index, point) in points.enumerated() {
            let (x, y) = at(index, point)
            if index > 0 { svg.append(" ") }
            svg.append(number: x)
            svg.append(",")
            svg.append(number: y)
        }
        svg.append("\"/>")
        for (index, point) in points.enumerated() where point.status == .fail {
            let (x, y) = at(index, point)
            svg += "<circle cx=\"\(x)\" cy=\"\(y)\" r=\"2.5\" fill=\"#c62828\"/>"
        }
        return svg + "</svg>"
    }
}
