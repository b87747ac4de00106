import BatchKit
import Foundation

extension RunHistory {
    /// The whole history as one self-contained HTML page (`history --html`):
    /// each step's trend over every run, with the `history` figures, then
    /// every run with what failed, and the runs that did not start.
    ///
    /// - Parameter trends: Every run of each step (``StepTrends/read(_:job:limit:tailBytes:upTo:)``
    ///   with no limit, from the whole history).
    public func html(trends: StepTrends) -> String {
        let counts = Dictionary(grouping: runList, by: \.outcome).mapValues(\.count)
        let summary = RunSummary.Outcome.allCases.compactMap { outcome in counts[outcome].map { "\($0) \(outcome.rawValue)" } }
            .joined(separator: ", ")
        let meta = "\(runs) run\(runs == 1 ? "" : "s")" + (summary.isEmpty ? "" : ": \(summary)") + (since.map { " · since \(Timestamp.iso8601($0))" } ?? "")
        var body: HTML = "<header class=\"banner\" id=\"status\"><h1>\(job) · history</h1><div class=\"meta\">\(meta)</div></header>\n<main>\n"
        body += "<h2>Steps</h2>\n<table id=\"step-trends\"><thead><tr><th>ID</th><th>Step</th><th>Runs</th><th>Pass</th><th>Failed tries</th><th>Median</th><th>P95</th><th>Last</th><th>Every run</th></tr></thead><tbody>\n"
        for step in steps {
            let points = trends.points[step.stepID] ?? []
            body += "<tr data-step=\"\(step.stepID.display)\" data-status=\"\(step.lastStatus.rawValue)\"><td>\(step.stepID.display)</td>"
            body += "<td>\(step.name)</td><td class=\"num\">\(step.runs)</td>"
            body += "<td class=\"num\">\(Int((step.passRate * 100).rounded())) %</td><td class=\"num\">\(step.failedAttempts)</td>"
            body += "<td class=\"num\">\(DurationFormat.seconds(step.medianSeconds))</td><td class=\"num\">\(DurationFormat.seconds(step.p95Seconds))</td>"
            body += "<td>\(HTMLPage.badge(step.lastStatus)) \(DurationFormat.seconds(step.lastSeconds))"
            body += (step.slow ? " <span class=\"slow\">⚠ slow</span>" : "") + "</td>"
            body += "<td>\(HTMLPage.sparkline(points, width: 240))</td></tr>\n"
        }
        body += "</tbody></table>\n"
        body += "<h2>Runs</h2>\n<table id=\"runs\"><thead><tr><th>Started (UTC)</th><th>Run</th><th>Status</th><th>Duration</th><th>What failed</th></tr></thead><tbody>\n"
        for run in runList.reversed() {
            body += "<tr data-run=\"\(run.runID)\" data-outcome=\"\(run.outcome.rawValue)\">"
            body += "<td>\(String(run.startedAt.prefix(19)).replacingOccurrences(of: "T", with: " "))</td>"
            body += "<td><code>\(run.runID)</code></td><td>\(run.outcome.rawValue)</td>"
            body += "<td class=\"num\">\(run.outcome == .notStarted ? "-" : DurationFormat.seconds(run.seconds))</td>"
            body += "<td>\(run.failures)</td></tr>\n"
        }
        body += "</tbody></table>\n"
        if !notStarted.isEmpty {
            let items = notStarted.map { run -> HTML in "<li><code>\(run.runID)</code> \(run.at): \(run.message)</li>" }
            body += "<h2>Runs that did not start</h2>\n<ul id=\"not-started\">\(HTML.joined(items))</ul>\n"
        }
        body += "</main>"
        return String(decoding: HTMLPage.page(title: "\(job) history", body: body), as: UTF8.self)
    }
}
