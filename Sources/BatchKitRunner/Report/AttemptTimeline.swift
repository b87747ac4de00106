import BatchKit
import Foundation

/// One session's attempts on a time axis (the timeline of `report.html`), in slot lanes: each attempt
/// takes the first lane free at its start.
struct AttemptTimeline {
    struct Bar {
        let record: ExecutionRecord
        let lane: Int
    }

    let bars: [Bar]
    let lanes: Int
    let start: Date
    /// Seconds from the start to the last attempt's end.
    let span: Double
    let critical: Set<StepID>

    static let width = 1100.0, margin = 8.0, laneHeight = 24.0

    init(_ attempts: [ExecutionRecord], from start: Date, critical: Set<StepID>) {
        var laneEnds: [Date] = []
        var bars: [Bar] = []
        for record in attempts.sorted(by: { ($0.startedAt, $0.stepID) < ($1.startedAt, $1.stepID) }) {
            let lane = laneEnds.firstIndex { $0 <= record.startedAt } ?? laneEnds.count
            if lane == laneEnds.count { laneEnds.append(record.endedAt) } else { laneEnds[lane] = record.endedAt }
            bars.append(Bar(record: record, lane: lane))
        }
        self.bars = bars
        self.lanes = max(laneEnds.count, 1)
        self.start = start
        self.span = max(attempts.map { $0.endedAt.timeIntervalSince(start) }.max() ?? 0, 0.001)
        self.critical = critical
    }

    func x(_ date: Date) -> Double {
        Self.margin + max(0, date.timeIntervalSince(start)) / span * (Self.width - 2 * Self.margin)
    }

    func svg(id: String) -> HTML {
        let axis = Double(lanes) * Self.laneHeight
        let height = axis + 22
        var svg: HTML = "<svg id=\"\(id)\" class=\"timeline\" role=\"img\" aria-label=\"timeline of the attempts\" width=\"100%\" viewBox=\"0 0 \(Int(Self.width)) \(Int(height))\" xmlns=\"http://www.w3.org/2000/svg\">"
        svg += "<defs><pattern id=\"hatch-\(id)\" width=\"6\" height=\"6\" patternUnits=\"userSpaceOnUse\" patternTransform=\"rotate(45)\"><rect width=\"6\" height=\"6\" fill=\"#e57373\"/><line x1=\"0\" y1=\"0\" x2=\"0\" y2=\"6\" stroke=\"#b71c1c\" stroke-width=\"3\"/></pattern></defs>"
        svg += ticks(axis: axis)
        svg += retryWaits()
        // Where the next bar of each bar's lane starts: room for a label after it.
        var nextStart = [Double](repeating: Self.width - Self.margin, count: bars.count)
        var laneNext: [Int: Double] = [:]
        for index in bars.indices.reversed() {
            nextStart[index] = laneNext[bars[index].lane] ?? Self.width - Self.margin
            laneNext[bars[index].lane] = x(bars[index].record.startedAt)
        }
        for (index, bar) in bars.enumerated() {
            svg += self.bar(bar, room: nextStart[index], hatch: "hatch-\(id)")
        }
        return svg + "</svg>\n"
    }

    /// Lines and labels at round times (0.5 s, 1 s, 2 s, 5 s, 15 s, 1 m…).
    private func ticks(axis: Double) -> HTML {
        let step = Self.tickStep(span)
        let decimals = step >= 1 ? 0 : step >= 0.1 ? 1 : step >= 0.01 ? 2 : 3
        var text = HTML()
        var tick = 0
        while Double(tick) * step <= span * 1.000_001 {
            let seconds = Double(tick) * step
            let at = Self.margin + seconds / span * (Self.width - 2 * Self.margin)
            let label = tick == 0 ? "0" : step >= 1 && seconds >= 60 ? DurationFormat.seconds(seconds) : DecimalText.fixed(seconds, decimals: decimals) + " s"
            let anchor: HTML = tick == 0 ? "start" : at > Self.width - 40 ? "end" : "middle"
            text += "<line class=\"tick\" x1=\"\(at)\" y1=\"0\" x2=\"\(at)\" y2=\"\(axis + 2)\" stroke=\"#eceff2\"/>"
            text += "<text x=\"\(at)\" y=\"\(axis + 15)\" fill=\"#6b7280\" text-anchor=\"\(anchor)\">\(label)</text>"
            tick += 1
        }
        return text
    }

    /// The smallest round step that gives at most six ticks over `span`.
    static func tickStep(_ span: Double) -> Double {
        let wanted = span / 6
        let small = [1.0, 2, 5].flatMap { base in (-3...0).map { base * pow(10, Double($0)) } }.sorted()
        let round = small + [10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 10800, 21600, 43200, 86400]
        return round.first { $0 >= wanted } ?? (wanted / 86400).rounded(.up) * 86400
    }

    /// From an attempt's end to the next attempt's start, dashed.
    private func retryWaits() -> HTML {
        var text = HTML()
        let byStep = Dictionary(grouping: bars, by: \.record.stepID)
        for id in byStep.keys.sorted() {
            let ordered = byStep[id, default: []].sorted { $0.record.attempt < $1.record.attempt }
            for (previous, next) in zip(ordered, ordered.dropFirst()) where next.record.startedAt > previous.record.endedAt {
                let y = Double(next.lane) * Self.laneHeight + Self.laneHeight / 2
                text += "<line class=\"retry-wait\" x1=\"\(x(previous.record.endedAt))\" y1=\"\(y)\" x2=\"\(x(next.record.startedAt))\" y2=\"\(y)\" stroke=\"#8d6e63\" stroke-dasharray=\"3 3\">"
                text += "<title>retry wait before attempt \(next.record.attempt) of \(id.display)</title></line>"
            }
        }
        return text
    }

    /// One attempt: its bar, its title, and its label inside the bar when it
    /// fits, else after it when the lane has room, else shortened to the id
    /// and status, else left to the title.
    private func bar(_ bar: Bar, room: Double, hatch: String) -> HTML {
        let record = bar.record
        let x0 = x(record.startedAt), x1 = max(x(record.endedAt), x0 + 2)
        let y = Double(bar.lane) * Self.laneHeight + 3
        let fill: HTML
        switch record.status {
        case .pass: fill = "#81c784"
        case .fail: fill = "url(#\(hatch))"
        default: fill = "#b0bec5"
        }
        let word = record.reason == .timeout ? "TIMEOUT" : record.status.rawValue
        var title = "\(record.stepID.display) \(record.stepName), attempt \(record.attempt): \(record.status.rawValue)"
        if record.reason != .empty { title += " (\(record.reason.rawValue))" }
        title += "\nstart \(Timestamp.iso8601(record.startedAt))\nend \(Timestamp.iso8601(record.endedAt))"
        title += "\nwall \(DurationFormat.seconds(record.durationSeconds))"
        if let cpu = record.cpuSeconds { title += ", CPU \(DurationFormat.seconds(cpu))" }
        if let memory = record.maxRSSKilobytes { title += ", peak memory \(RunReport.memory(memory))" }
        if !record.message.isEmpty { title += "\n\(record.message)" }
        let isCritical = critical.contains(record.stepID)
        var text: HTML = "<g class=\"bar\" data-step=\"\(record.stepID.display)\" data-attempt=\"\(record.attempt)\" data-status=\"\(record.status.rawValue)\" data-reason=\"\(record.reason.rawValue)\"\(isCritical ? " data-critical=\"true\"" : "" as HTML)>"
        text += "<title>\(lines: title)</title>"
        text += "<rect x=\"\(x0)\" y=\"\(y)\" width=\"\(x1 - x0)\" height=\"\(Int(Self.laneHeight - 6))\" rx=\"2\" fill=\"\(fill)\""
        text += (isCritical ? " stroke=\"#1d2330\" stroke-width=\"2\"/>" : " stroke=\"#607d8b\" stroke-width=\"0.5\"/>")
        // The status is written, not only coloured, wherever there is room.
        let full = "\(record.stepID.display) \(record.stepName)\(record.attempt > 1 ? " #\(record.attempt)" : "") \(word)"
        let short = "\(record.stepID.display) \(word)"
        let inside = x1 - x0 - 6, after = room - x1 - 6
        if let label = [full, short].first(where: { Self.width(of: $0) <= max(inside, after) }) {
            let at = Self.width(of: label) <= inside ? x0 + 3 : x1 + 3
            text += "<text class=\"label\" x=\"\(at)\" y=\"\(y + 13)\">\(label)</text>"
        }
        return text + "</g>"
    }

    /// About how wide `text` is at the timeline's 11 px font.
    static func width(of text: String) -> Double {
        text.unicodeScalars.reduce(0) { $0 + ($1.value < 0x80 ? 6.6 : 11) }
    }
}
