import BatchKit
import Foundation

/// Each step's recent runs, from `logs/execution_logs.csv`, for the
/// sparklines of `report.html`.
public struct StepTrends: Sendable {
    /// One run of a step: its attempts' total time and its last status.
    public struct Point: Sendable, Equatable {
        public let runID: String
        public let seconds: Double
        public let status: Status
    }

    /// The last runs of each step, oldest first.
    public let points: [StepID: [Point]]

    public init(points: [StepID: [Point]]) {
        self.points = points
    }

    /// The last `limit` runs of each step of `job` that ran (CACHED and
    /// SKIPPED rows are not runs).
    public static func read(_ layout: RunLayout, job: String, limit: Int = 30, tailBytes: Int? = 2 << 20) -> StepTrends {
        let rows = tailBytes.flatMap { recentRows(layout.executionLog, bytes: $0) }
            ?? (try? ExecutionLog(url: layout.executionLog).readAll()) ?? []
        var byStep: [StepID: [(run: String, seconds: Double, status: Status)]] = [:]
        for row in rows where row.job == job && row.stepID > 0 && row.attempt > 0 {
            var list = byStep[row.stepID, default: []]
            if let last = list.last, last.run == row.runID {
                list[list.count - 1] = (last.run, last.seconds + row.durationSeconds, row.status)
            } else {
                list.append((row.runID, row.durationSeconds, row.status))
            }
            byStep[row.stepID] = list
        }
        return StepTrends(points: byStep.mapValues { list in
            list.suffix(limit).map { Point(runID: $0.run, seconds: $0.seconds, status: $0.status) }
        })
    }

    /// The rows in the last `bytes` of a history bigger than that, so that
    /// writing a report does not read years of history; `nil` for a smaller
    /// file (read whole). The cut lands inside a record: reading starts at
    /// the first line that begins with a run id.
    static func recentRows(_ url: URL, bytes: Int) -> [ExecutionRecord]? {
        guard let handle = try? FileHandle(forReadingFrom: url) else { return nil }
        defer { try? handle.close() }
        guard let size = try? handle.seekToEnd(), size > UInt64(bytes) else { return nil }
        try? handle.seek(toOffset: 0)
        guard let head = try? handle.read(upToCount: 4096), let headerEnd = head.firstIndex(of: 0x0A) else { return nil }
        var headerLine = head[..<headerEnd]
        if headerLine.last == 0x0D { headerLine = headerLine.dropLast() }
        let header = (try? CSV.parse(String(decoding: headerLine, as: UTF8.self)))?.first ?? []
        try? handle.seek(toOffset: size - UInt64(bytes))
        guard let tail = try? handle.readToEnd() else { return nil }
        // A record starts a line with a run id: 20261124T180826.891Z-3d85,
        let bytes = [UInt8](tail)
        func startsRecord(_ at: Int) -> Bool {
            let shape = Array("ddddddddTdddddd.dddZ-".utf8)
            guard at + shape.count < bytes.count else { return false }
            for (offset, expected) in shape.enumerated() {
                let byte = bytes[at + offset]
                if expected == UInt8(ascii: "d") ? !(48...57).contains(byte) : byte != expected { return false }
            }
            return true
        }
        guard let newline = bytes.indices.first(where: { bytes[$0] == 0x0A && startsRecord($0 + 1) }),
              let table = try? CSV.parse(String(decoding: bytes[(newline + 1)...], as: UTF8.self)) else { return [] }
        return table.compactMap { fields in
            guard fields.count <= header.count else { return nil }
            return ExecutionLog.record(Dictionary(uniqueKeysWithValues: zip(header, fields)))
        }
    }

    /// The slow flag `history` uses: the latest at least twice the median of
    /// the passes and half a second more, over three runs at least.
    public func isSlow(_ id: StepID) -> Bool {
        guard let list = points[id], let last = list.last, last.status != .skipped else { return false }
        let passes = list.filter { $0.status == .pass }.map(\.seconds).sorted()
        guard passes.count >= 3 else { return false }
        let median = passes[passes.count / 2]
        return last.seconds >= 2 * median && last.seconds - median >= 0.5
    }
}

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
        var body = banner()
        body += "<main>\n"
        body += timelineSection()
        body += dagSection(dagSVG)
        body += stepsSection(trends)
        body += testsSection()
        body += failuresSection()
        if !notes.isEmpty {
            body += "<h2>Notes</h2><ul>" + notes.map { "<li class=\"note\">\(HTMLPage.escape($0))</li>" }.joined() + "</ul>\n"
        }
        body += "<p class=\"muted\">Logs: <code>\(HTMLPage.escape(logDirectory))/</code> · history: "
            + historyFiles.map { "<code>\(HTMLPage.escape($0))</code>" }.joined(separator: ", ") + "</p>\n"
        body += "</main>"
        return HTMLPage.page(title: "\(job) run \(runID) \(shownStatus)", body: body)
    }

    private var shownStatus: String { interrupted == true ? "INTERRUPTED" : status.rawValue }

    private func banner() -> String {
        let kind = interrupted == true ? "interrupted" : status.rawValue.lowercased()
        let passed = steps.filter { $0.status.isSuccess }.count
        var meta = "\(passed)/\(steps.count) steps passed · \(DurationFormat.seconds(wallSeconds)) wall · started "
            + Timestamp.iso8601(startedAt)
        if let runDate { meta += " · run date \(runDate)" }
        if let environment { meta += " · environment \(environment)" }
        var text = "<header class=\"banner b-\(kind)\" id=\"status\" data-status=\"\(shownStatus)\">"
            + "<h1>\(HTMLPage.escape(job)) · \(shownStatus)</h1>"
            + "<div class=\"meta\">run <code>\(HTMLPage.escape(runID))</code> · \(HTMLPage.escape(meta))</div>"
        if let parameters, !parameters.isEmpty {
            let shown = parameters.sorted { $0.key < $1.key }.map { "\($0.key) = \($0.value)" }.joined(separator: ", ")
            text += "<div class=\"meta\" id=\"parameters\">parameters: \(HTMLPage.escape(shown))</div>"
        }
        return text + "</header>\n"
    }

    // MARK: Timeline

    private struct Bar {
        let record: ExecutionRecord
        let lane: Int
    }

    /// Attempts in slot lanes: each takes the first lane free at its start.
    private func lanes(since: Date) -> [Bar] {
        let attempts = steps.flatMap(\.records).filter { $0.attempt > 0 && $0.endedAt >= since }
            .sorted { ($0.startedAt, $0.stepID) < ($1.startedAt, $1.stepID) }
        var laneEnds: [Date] = []
        var bars: [Bar] = []
        for record in attempts {
            let lane = laneEnds.firstIndex { $0 <= record.startedAt } ?? laneEnds.count
            if lane == laneEnds.count { laneEnds.append(record.endedAt) } else { laneEnds[lane] = record.endedAt }
            bars.append(Bar(record: record, lane: lane))
        }
        return bars
    }

    private func timelineSection() -> String {
        let bars = lanes(since: startedAt)
        var text = "<h2>Timeline</h2>\n"
        if let criticalPath {
            text += "<p id=\"critical-path\" class=\"critical\">\(HTMLPage.escape(criticalPath.sentence))</p>\n"
        }
        guard !bars.isEmpty else { return text + "<p class=\"muted\">No step ran in this session.</p>\n" }
        let width = 1100.0, left = 8.0, laneHeight = 24.0
        let span = max(wallSeconds, bars.map { $0.record.endedAt.timeIntervalSince(startedAt) }.max() ?? 0, 0.001)
        func x(_ date: Date) -> Double { left + max(0, date.timeIntervalSince(startedAt)) / span * (width - 2 * left) }
        let laneCount = (bars.map(\.lane).max() ?? 0) + 1
        let height = Double(laneCount) * laneHeight + 24
        let critical = Set(criticalPath?.steps.map(\.stepID) ?? [])
        var svg = "<svg id=\"timeline\" role=\"img\" aria-label=\"timeline of the attempts\" width=\"100%\" viewBox=\"0 0 \(Int(width)) \(Int(height))\" xmlns=\"http://www.w3.org/2000/svg\">"
        svg += "<defs><pattern id=\"hatch\" width=\"6\" height=\"6\" patternUnits=\"userSpaceOnUse\" patternTransform=\"rotate(45)\"><rect width=\"6\" height=\"6\" fill=\"#e57373\"/><line x1=\"0\" y1=\"0\" x2=\"0\" y2=\"6\" stroke=\"#b71c1c\" stroke-width=\"3\"/></pattern></defs>"
        // Retry waits: from an attempt's end to the next attempt's start, dashed.
        let byStep = Dictionary(grouping: bars, by: \.record.stepID)
        for (_, list) in byStep {
            let ordered = list.sorted { $0.record.attempt < $1.record.attempt }
            for (previous, next) in zip(ordered, ordered.dropFirst()) where next.record.startedAt > previous.record.endedAt {
                let y = Double(next.lane) * laneHeight + laneHeight / 2
                svg += "<line class=\"retry-wait\" x1=\"\(HTMLPage.number(x(previous.record.endedAt)))\" y1=\"\(HTMLPage.number(y))\" x2=\"\(HTMLPage.number(x(next.record.startedAt)))\" y2=\"\(HTMLPage.number(y))\" stroke=\"#8d6e63\" stroke-dasharray=\"3 3\"><title>retry wait before attempt \(next.record.attempt) of \(next.record.stepID.display)</title></line>"
            }
        }
        for bar in bars {
            let record = bar.record
            let x0 = x(record.startedAt), x1 = max(x(record.endedAt), x0 + 2)
            let y = Double(bar.lane) * laneHeight + 3
            let fill: String
            switch record.status {
            case .pass: fill = "#81c784"
            case .fail: fill = "url(#hatch)"
            default: fill = "#b0bec5"
            }
            let word = record.reason == .timeout ? "TIMEOUT" : record.status.rawValue
            let label = "\(record.stepID.display) \(record.stepName)\(record.attempt > 1 ? " #\(record.attempt)" : "") \(word)"
            var title = "\(record.stepID.display) \(record.stepName), attempt \(record.attempt): \(record.status.rawValue)"
            if record.reason != .empty { title += " (\(record.reason.rawValue))" }
            title += "\nstart \(Timestamp.iso8601(record.startedAt))\nend \(Timestamp.iso8601(record.endedAt))"
            title += "\nwall \(DurationFormat.seconds(record.durationSeconds))"
            if let cpu = record.cpuSeconds { title += ", CPU \(DurationFormat.seconds(cpu))" }
            if let memory = record.maxRSSKilobytes { title += ", peak memory \(RunReport.memory(memory))" }
            if !record.message.isEmpty { title += "\n\(record.message)" }
            let isCritical = critical.contains(record.stepID)
            svg += "<g class=\"bar\" data-step=\"\(record.stepID.display)\" data-attempt=\"\(record.attempt)\" data-status=\"\(record.status.rawValue)\" data-reason=\"\(HTMLPage.escape(record.reason.rawValue))\"\(isCritical ? " data-critical=\"true\"" : "")>"
            svg += "<title>\(HTMLPage.escape(title))</title>"
            svg += "<rect x=\"\(HTMLPage.number(x0))\" y=\"\(HTMLPage.number(y))\" width=\"\(HTMLPage.number(x1 - x0))\" height=\"\(Int(laneHeight - 6))\" rx=\"2\" fill=\"\(fill)\""
                + (isCritical ? " stroke=\"#1d2330\" stroke-width=\"2\"" : " stroke=\"#607d8b\" stroke-width=\"0.5\"") + "/>"
            // The label, clipped to the bar: the status is written, not only coloured.
            if x1 - x0 > 40 {
                svg += "<svg x=\"\(HTMLPage.number(x0 + 3))\" y=\"\(HTMLPage.number(y))\" width=\"\(HTMLPage.number(x1 - x0 - 6))\" height=\"\(Int(laneHeight - 6))\"><text x=\"0\" y=\"13\">\(HTMLPage.escape(label))</text></svg>"
            }
            svg += "</g>"
        }
        let axis = Double(laneCount) * laneHeight + 16
        for tick in 0...4 {
            let seconds = span * Double(tick) / 4
            svg += "<text x=\"\(HTMLPage.number(left + (width - 2 * left) * Double(tick) / 4 - (tick == 4 ? 40 : 0)))\" y=\"\(HTMLPage.number(axis))\" fill=\"#6b7280\">\(DurationFormat.seconds(seconds))</text>"
        }
        svg += "</svg>\n"
        text += svg
        text += "<p class=\"legend muted\"><span>green: PASS</span><span>hatched red: FAIL (TIMEOUT when timed out)</span><span>dashed: retry wait</span><span>dark outline (and bold rows below): critical path</span><span>hover a bar for its times, CPU and memory</span></p>\n"
        let notRun = steps.filter { $0.status == .skipped || $0.status == .cached || !$0.records.contains { $0.attempt > 0 && $0.endedAt >= startedAt } }
        if !notRun.isEmpty {
            text += "<p id=\"not-run\">Not run in this session: " + notRun.map { step in
                let why = step.records.last?.message ?? ""
                return "\(HTMLPage.escape(step.stepID.display)) \(HTMLPage.escape(step.name)) \(HTMLPage.badge(step.status))"
                    + (why.isEmpty ? "" : " <span class=\"muted\">\(HTMLPage.escape(why))</span>")
            }.joined(separator: "; ") + "</p>\n"
        }
        return text
    }

    // MARK: DAG

    private func dagSection(_ dagSVG: String?) -> String {
        var text = "<h2>DAG</h2>\n"
        if let dagSVG, let start = dagSVG.range(of: "<svg") {
            return text + "<div id=\"dag\" data-source=\"graphviz\">" + dagSVG[start.lowerBound...] + "</div>\n"
        }
        // batchkit's own layout: a column per wave.
        var level: [StepID: Int] = [:]
        for step in steps.sorted(by: { $0.stepID < $1.stepID }) {
            level[step.stepID] = ((parents[step.stepID] ?? []).compactMap { level[$0] }.max() ?? -1) + 1
        }
        var rows: [Int: Int] = [:]
        var position: [StepID: (x: Double, y: Double)] = [:]
        for step in steps.sorted(by: { $0.stepID < $1.stepID }) {
            let column = level[step.stepID] ?? 0
            let row = rows[column, default: 0]
            rows[column] = row + 1
            position[step.stepID] = (Double(column) * 190 + 10, Double(row) * 44 + 10)
        }
        let width = (position.values.map(\.x).max() ?? 0) + 180, height = (position.values.map(\.y).max() ?? 0) + 44
        var svg = "<svg role=\"img\" aria-label=\"the DAG\" width=\"\(Int(width))\" height=\"\(Int(height))\" xmlns=\"http://www.w3.org/2000/svg\">"
        for step in steps {
            guard let to = position[step.stepID] else { continue }
            for parent in parents[step.stepID] ?? [] {
                guard let from = position[parent] else { continue }
                svg += "<line x1=\"\(HTMLPage.number(from.x + 170))\" y1=\"\(HTMLPage.number(from.y + 16))\" x2=\"\(HTMLPage.number(to.x))\" y2=\"\(HTMLPage.number(to.y + 16))\" stroke=\"#90a4ae\"/>"
            }
        }
        for step in steps {
            guard let at = position[step.stepID] else { continue }
            let fill: String
            switch step.status {
            case .pass: fill = "#c8e6c9"
            case .cached: fill = "#dcedc8"
            case .fail: fill = "#ffcdd2"
            default: fill = "#eceff1"
            }
            svg += "<g data-step=\"\(step.stepID.display)\"><rect x=\"\(HTMLPage.number(at.x))\" y=\"\(HTMLPage.number(at.y))\" width=\"170\" height=\"32\" rx=\"6\" fill=\"\(fill)\" stroke=\"#607d8b\"/>"
                + "<svg x=\"\(HTMLPage.number(at.x + 6))\" y=\"\(HTMLPage.number(at.y))\" width=\"158\" height=\"32\"><text x=\"0\" y=\"13\">\(HTMLPage.escape("\(step.stepID.display) \(step.name)"))</text><text x=\"0\" y=\"27\">\(step.status.rawValue)</text></svg></g>"
        }
        svg += "</svg>"
        text += "<div id=\"dag\" data-source=\"batchkit\">\(svg)</div>\n"
        return text
    }

    // MARK: Steps, tests, failures

    private func stepsSection(_ trends: StepTrends) -> String {
        let longest = max(steps.map(\.durationSeconds).max() ?? 0, 0.001)
        let critical = Set(criticalPath?.steps.map(\.stepID) ?? [])
        var text = "<h2>Steps</h2>\n<table id=\"steps\"><thead><tr><th>ID</th><th>Step</th><th>Status</th><th>Tries</th><th>Wall</th><th>CPU</th><th>Peak memory</th><th>Last runs</th></tr></thead><tbody>\n"
        for step in steps {
            let records = step.records.filter { $0.attempt > 0 }
            let wall = records.isEmpty ? "-" : DurationFormat.seconds(step.durationSeconds)
            let cpus = records.compactMap(\.cpuSeconds)
            let cpu = cpus.isEmpty ? "-" : DurationFormat.seconds(cpus.reduce(0, +))
            let memory = records.compactMap(\.maxRSSKilobytes).max().map(RunReport.memory) ?? "-"
            let barWidth = records.isEmpty ? 0 : Int((step.durationSeconds / longest * 80).rounded())
            let message = step.status == .pass ? "" : (step.records.last?.message ?? "")
            text += "<tr data-step=\"\(step.stepID.display)\" data-status=\"\(step.status.rawValue)\"\(critical.contains(step.stepID) ? " class=\"critical\"" : "")>"
                + "<td>\(step.stepID.display)</td><td>\(HTMLPage.escape(step.name))"
                + (message.isEmpty ? "" : "<br><span class=\"muted\">\(HTMLPage.escape(message))</span>") + "</td>"
                + "<td>\(HTMLPage.badge(step.status))</td><td class=\"num\">\(step.attempts)</td>"
                + "<td class=\"num\"><span class=\"bar\" style=\"width:\(barWidth)px\"></span>\(wall)</td>"
                + "<td class=\"num\">\(cpu)</td><td class=\"num\">\(memory)</td><td>\(sparkline(trends.points[step.stepID] ?? []))"
                + (trends.isSlow(step.stepID) ? " <span class=\"slow\">⚠ slow</span>" : "") + "</td></tr>\n"
        }
        return text + "</tbody></table>\n"
    }

    private func sparkline(_ points: [StepTrends.Point]) -> String { HTMLPage.sparkline(points) }
}

extension HTMLPage {
    /// A small line of a step's recent times; a failed run is a red dot.
    static func sparkline(_ points: [StepTrends.Point], width: Double = 120) -> String {
        guard points.count > 1 else { return points.isEmpty ? "" : "<span class=\"muted\">1 run</span>" }
        let most = max(points.map(\.seconds).max() ?? 0, 0.001)
        let height = 22.0
        func at(_ index: Int, _ point: StepTrends.Point) -> (Double, Double) {
            (Double(index) / Double(points.count - 1) * (width - 4) + 2, height - 2 - point.seconds / most * (height - 4))
        }
        let line = points.enumerated().map { index, point in
            let (x, y) = at(index, point)
            return "\(HTMLPage.number(x)),\(HTMLPage.number(y))"
        }.joined(separator: " ")
        var svg = "<svg class=\"sparkline\" width=\"\(Int(width))\" height=\"\(Int(height))\" xmlns=\"http://www.w3.org/2000/svg\"><title>last \(points.count) runs: "
            + points.map { DurationFormat.seconds($0.seconds) }.joined(separator: ", ") + "</title>"
            + "<polyline fill=\"none\" stroke=\"#546e7a\" stroke-width=\"1.5\" points=\"\(line)\"/>"
        for (index, point) in points.enumerated() where point.status == .fail {
            let (x, y) = at(index, point)
            svg += "<circle cx=\"\(HTMLPage.number(x))\" cy=\"\(HTMLPage.number(y))\" r=\"2.5\" fill=\"#c62828\"/>"
        }
        return svg + "</svg>"
    }
}

extension RunReport {
    private func testsSection() -> String {
        var text = "<h2>Post-job tests</h2>\n"
        if let testsNotRun { return text + "<p id=\"tests\">Not run: \(HTMLPage.escape(testsNotRun))</p>\n" }
        if tests.isEmpty { return text + "<p id=\"tests\">None defined.</p>\n" }
        text += "<table id=\"tests\"><tbody>\n"
        for test in tests {
            text += "<tr data-test-status=\"\(test.status.rawValue)\"><td>\(HTMLPage.badge(test.status))</td><td>\(HTMLPage.escape(test.name))</td><td class=\"muted\">\(HTMLPage.escape(test.message))</td></tr>\n"
        }
        return text + "</tbody></table>\n"
    }

    private func failuresSection() -> String {
        let failed = steps.filter { $0.status == .fail }
        guard !failed.isEmpty else { return "" }
        var text = "<h2>Failures</h2>\n"
        for step in failed {
            guard let last = step.records.last else { continue }
            text += "<section class=\"failure\" data-step=\"\(step.stepID.display)\"><p><strong>\(step.stepID.display) \(HTMLPage.escape(step.name))</strong> failed: \(HTMLPage.escape(last.message))</p>"
            let tail = failureLogTails[step.stepID] ?? []
            if !tail.isEmpty { text += "<pre>" + tail.map(HTMLPage.escape).joined(separator: "\n") + "</pre>" }
            if !last.logFile.isEmpty { text += "<p class=\"muted\">log: <code>\(HTMLPage.escape(last.logFile))</code></p>" }
            text += "</section>\n"
        }
        return text
    }
}
