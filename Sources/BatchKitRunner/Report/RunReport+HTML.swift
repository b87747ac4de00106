import BatchKit
import Foundation

extension RunReport {
    /// The report as one self-contained HTML page (`report.html`): the
    /// status, a timeline of every attempt, the critical path, the DAG, the
    /// steps with their trends, the post-job tests and the failures.
    ///
    /// - Parameters:
    ///   - trends: The steps' recent runs, for the sparklines.
    ///   - dagSVG: `dot`'s drawing of the DAG, when there is one; else a
    ///     drawing of batchkit's own.
    public func html(trends: StepTrends = StepTrends(points: [:]), dagSVG: String? = nil) -> String {
        var body = HTML()
        body.reserveCapacity(4_096 + steps.count * 1_500 + (dagSVG?.utf8.count ?? steps.count * 400))
        body += banner()
        body += "<main>\n"
        body += timelineSection()
        body += dagSection(dagSVG)
        body += stepsSection(trends)
        body += testsSection()
        body += failuresSection()
        if !notes.isEmpty {
            body += "<h2>Notes</h2><ul>\(HTML.joined(notes.map { note -> HTML in "<li class=\"note\">\(note)</li>" }))</ul>\n"
        }
        let files = HTML.joined(historyFiles.map { file -> HTML in "<code>\(file)</code>" }, separator: ", ")
        body += "<p class=\"muted\">Logs: <code>\(logDirectory)/</code> · history: \(files)</p>\n</main>"
        return HTMLPage.page(title: "\(job) run \(runID) \(shownStatus)", body: body)
    }

    private var shownStatus: String { interrupted == true ? "INTERRUPTED" : status.rawValue }

    private func banner() -> HTML {
        let kind = interrupted == true ? "interrupted" : status.rawValue.lowercased()
        let passed = steps.filter { $0.status.isSuccess }.count
        var meta = "\(passed)/\(steps.count) steps passed · \(DurationFormat.seconds(wallSeconds)) wall · started "
            + Timestamp.iso8601(startedAt)
        if let earlierSessions, !earlierSessions.isEmpty { meta += " (session \(earlierSessions.count + 1); run started \(Timestamp.iso8601(earlierSessions[0].startedAt)))" }
        if let runDate { meta += " · run date \(runDate)" }
        if let environment { meta += " · environment \(environment)" }
        var text: HTML = "<header class=\"banner b-\(kind)\" id=\"status\" data-status=\"\(shownStatus)\">"
        text += "<h1>\(job) · \(shownStatus)</h1><div class=\"meta\">run <code>\(runID)</code> · \(meta)</div>"
        if let parameters, !parameters.isEmpty {
            let shown = parameters.sorted { $0.key < $1.key }.map { "\($0.key) = \($0.value)" }.joined(separator: ", ")
            text += "<div class=\"meta\" id=\"parameters\">parameters: \(shown)</div>"
        }
        return text + "</header>\n"
    }

    // MARK: Timeline

    private func timelineSection() -> HTML {
        var text: HTML = "<h2>Timeline</h2>\n"
        if let criticalPath {
            text += "<p id=\"critical-path\" class=\"critical\">\(criticalPath.sentence)</p>\n"
        }
        let sessions = earlierSessions ?? []
        for (index, session) in sessions.enumerated() {
            let counts = Dictionary(grouping: session.attempts, by: \.status).mapValues(\.count)
            let summary = [Status.pass, .fail].compactMap { status in counts[status].map { "\($0) \(status.rawValue)" } }.joined(separator: ", ")
            text += "<h3 class=\"session\">Session \(index + 1) of \(sessions.count + 1), started \(Timestamp.iso8601(session.startedAt)): "
            text += "\(session.attempts.count) attempt\(session.attempts.count == 1 ? "" : "s")\(summary.isEmpty ? "" : " (\(summary))")</h3>\n"
            if !session.attempts.isEmpty {
                text += AttemptTimeline(session.attempts, from: session.startedAt, critical: []).svg(id: "timeline-session-\(index + 1)")
            }
        }
        if !sessions.isEmpty {
            text += "<h3 class=\"session\">Session \(sessions.count + 1) of \(sessions.count + 1), this one, started \(Timestamp.iso8601(startedAt))</h3>\n"
        }
        let attempts = steps.flatMap(\.records).filter { $0.attempt > 0 && $0.endedAt >= startedAt }
        if attempts.isEmpty {
            text += "<p class=\"muted\">No step ran in this session.</p>\n"
        } else {
            let timeline = AttemptTimeline(attempts, from: startedAt, critical: Set(criticalPath?.steps.map(\.stepID) ?? []))
            text += timeline.svg(id: "timeline")
            // The axis ends with the last attempt; what came after is said.
            if wallSeconds - timeline.span > max(0.05, wallSeconds * 0.02) {
                text += "<p class=\"muted\" id=\"timeline-tail\">The last attempt ended \(DurationFormat.seconds(timeline.span)) after the start; "
                text += "the post-job tests and the report brought the run to \(DurationFormat.seconds(wallSeconds)).</p>\n"
            }
        }
        text += "<p class=\"legend muted\"><span>green: PASS</span><span>hatched red: FAIL (TIMEOUT when timed out)</span><span>dashed: retry wait</span><span>dark outline (and bold rows below): critical path</span><span>hover a bar for its times, CPU and memory</span></p>\n"
        let notRun = steps.filter { step in
            step.status == .skipped || step.status == .cached || !step.records.contains { $0.attempt > 0 && $0.endedAt >= startedAt }
        }
        if !notRun.isEmpty {
            let items = notRun.map { step -> HTML in
                let why = step.records.last?.message ?? ""
                let item: HTML = "\(step.stepID.display) \(step.name) \(HTMLPage.badge(step.status))"
                return why.isEmpty ? item : item + " <span class=\"muted\">\(why)</span>"
            }
            text += "<p id=\"not-run\">Not run in this session: \(HTML.joined(items, separator: "; "))</p>\n"
        }
        return text
    }

    // MARK: DAG

    private func dagSection(_ dagSVG: String?) -> HTML {
        var text: HTML = "<h2>DAG</h2>\n"
        if steps.count > 40 { text += "<p class=\"muted\">\(steps.count) steps: the drawing scrolls.</p>\n" }
        if let dagSVG, let start = dagSVG.range(of: "<svg") {
            return text + "<div id=\"dag\" class=\"scroll\" data-source=\"graphviz\">\(HTML(trusted: dagSVG[start.lowerBound...]))</div>\n"
        }
        // batchkit's own layout: a column per wave.
        let ordered = steps.sorted { $0.stepID < $1.stepID }
        var level: [StepID: Int] = [:]
        for step in ordered {
            level[step.stepID] = ((parents[step.stepID] ?? []).compactMap { level[$0] }.max() ?? -1) + 1
        }
        var rows: [Int: Int] = [:]
        var position: [StepID: (x: Double, y: Double)] = [:]
        for step in ordered {
            let column = level[step.stepID] ?? 0
            let row = rows[column, default: 0]
            rows[column] = row + 1
            position[step.stepID] = (Double(column) * 190 + 10, Double(row) * 44 + 10)
        }
        let width = (position.values.map(\.x).max() ?? 0) + 180, height = (position.values.map(\.y).max() ?? 0) + 44
        var svg: HTML = "<svg role=\"img\" aria-label=\"the DAG\" width=\"\(Int(width))\" height=\"\(Int(height))\" xmlns=\"http://www.w3.org/2000/svg\">"
        for step in steps {
            guard let to = position[step.stepID] else { continue }
            for parent in parents[step.stepID] ?? [] {
                guard let from = position[parent] else { continue }
                svg += "<line x1=\"\(from.x + 170)\" y1=\"\(from.y + 16)\" x2=\"\(to.x)\" y2=\"\(to.y + 16)\" stroke=\"#90a4ae\"/>"
            }
        }
        for step in steps {
            guard let at = position[step.stepID] else { continue }
            let fill: HTML
            switch step.status {
            case .pass: fill = "#c8e6c9"
            case .cached: fill = "#dcedc8"
            case .fail: fill = "#ffcdd2"
            default: fill = "#eceff1"
            }
            svg += "<g data-step=\"\(step.stepID.display)\"><rect x=\"\(at.x)\" y=\"\(at.y)\" width=\"170\" height=\"32\" rx=\"6\" fill=\"\(fill)\" stroke=\"#607d8b\"/>"
            svg += "<svg x=\"\(at.x + 6)\" y=\"\(at.y)\" width=\"158\" height=\"32\"><text x=\"0\" y=\"13\">\(step.stepID.display) \(step.name)</text>"
            svg += "<text x=\"0\" y=\"27\">\(step.status.rawValue)</text></svg></g>"
        }
        return text + "<div id=\"dag\" class=\"scroll\" data-source=\"batchkit\">\(svg)</svg></div>\n"
    }

    // MARK: Steps, tests, failures

    private func stepsSection(_ trends: StepTrends) -> HTML {
        let longest = max(steps.map(\.durationSeconds).max() ?? 0, 0.001)
        let critical = Set(criticalPath?.steps.map(\.stepID) ?? [])
        var text: HTML = "<h2>Steps</h2>\n<table id=\"steps\"><thead><tr><th>ID</th><th>Step</th><th>Status</th><th>Tries</th><th>Wall</th><th>CPU</th><th>Peak memory</th><th>Last runs</th></tr></thead><tbody>\n"
        for step in steps {
            let records = step.records.filter { $0.attempt > 0 }
            let wall = records.isEmpty ? "-" : DurationFormat.seconds(step.durationSeconds)
            let cpus = records.compactMap(\.cpuSeconds)
            let cpu = cpus.isEmpty ? "-" : DurationFormat.seconds(cpus.reduce(0, +))
            let memory = records.compactMap(\.maxRSSKilobytes).max().map(RunReport.memory) ?? "-"
            let barWidth = records.isEmpty ? 0 : Int((step.durationSeconds / longest * 80).rounded())
            let message = step.status == .pass ? "" : (step.records.last?.message ?? "")
            text += "<tr data-step=\"\(step.stepID.display)\" data-status=\"\(step.status.rawValue)\"\(critical.contains(step.stepID) ? " class=\"critical\"" : "" as HTML)>"
            text += "<td>\(step.stepID.display)</td><td>\(step.name)"
            text += (message.isEmpty ? "" : "<br><span class=\"muted\">\(message)</span>") + "</td>"
            text += "<td>\(HTMLPage.badge(step.status))</td><td class=\"num\">\(step.attempts)</td>"
            text += "<td class=\"num\"><span class=\"bar\" style=\"width:\(barWidth)px\"></span>\(wall)</td>"
            text += "<td class=\"num\">\(cpu)</td><td class=\"num\">\(memory)</td><td>\(HTMLPage.sparkline(trends.points[step.stepID] ?? []))"
            text += (trends.isSlow(step.stepID) ? " <span class=\"slow\">⚠ slow</span>" : "") + "</td></tr>\n"
        }
        return text + "</tbody></table>\n"
    }

    private func testsSection() -> HTML {
        var text: HTML = "<h2>Post-job tests</h2>\n"
        if let testsNotRun { return text + "<p id=\"tests\">Not run: \(testsNotRun)</p>\n" }
        if tests.isEmpty { return text + "<p id=\"tests\">None defined.</p>\n" }
        text += "<table id=\"tests\"><tbody>\n"
        for test in tests {
            text += "<tr data-test-status=\"\(test.status.rawValue)\"><td>\(HTMLPage.badge(test.status))</td><td>\(test.name)</td><td class=\"muted\">\(test.message)</td></tr>\n"
        }
        return text + "</tbody></table>\n"
    }

    private func failuresSection() -> HTML {
        let failed = steps.filter { $0.status == .fail }
        guard !failed.isEmpty else { return HTML() }
        var text: HTML = "<h2>Failures</h2>\n"
        for step in failed {
            guard let last = step.records.last else { continue }
            text += "<section class=\"failure\" data-step=\"\(step.stepID.display)\"><p><strong>\(step.stepID.display) \(step.name)</strong> failed: \(last.message)</p>"
            let tail = failureLogTails[step.stepID] ?? []
            if !tail.isEmpty { text += "<pre>\(HTML.joined(tail.map { HTML(text: $0) }, separator: "\n"))</pre>" }
            if !last.logFile.isEmpty { text += "<p class=\"muted\">log: <code>\(last.logFile)</code></p>" }
            text += "</section>\n"
        }
        return text
    }
}

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
