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
        String(decoding: htmlBytes(trends: trends, dagSVG: dagSVG), as: UTF8.self)
    }

    /// ``html(trends:dagSVG:)`` as UTF-8, for saving without a copy.
    public func htmlBytes(trends: StepTrends = StepTrends(points: [:]), dagSVG: String? = nil) -> [UInt8] {
        // Made in one buffer from the page's head to its end: a 10,000-step
        // page is 10 MB, and a body copied into a page would be twice that.
        var body = HTMLPage.head(title: "\(job) run \(runID) \(shownStatus)")
        body.reserveCapacity(8_192 + steps.count * 1_500 + (dagSVG?.utf8.count ?? steps.count * 400))
        body += banner()
        body += "<main>\n"
        body += timelineSection()
        appendDAG(dagSVG, to: &body)
        body += stepsSection(trends)
        body += testsSection()
        body += failuresSection()
        if !notes.isEmpty {
            body += "<h2>Notes</h2><ul>\(HTML.joined(notes.map { note -> HTML in "<li class=\"note\">\(note)</li>" }))</ul>\n"
        }
        let files = HTML.joined(historyFiles.map { file -> HTML in "<code>\(file)</code>" }, separator: ", ")
        body += "<p class=\"muted\">Logs: <code>\(logDirectory)/</code> · history: \(files)</p>\n</main>"
        body.append(HTMLPage.tail)
        return body.bytes
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

    /// The DAG section, appended to `text` (a 10,000-step drawing is megabytes).
    private func appendDAG(_ dagSVG: String?, to text: inout HTML) {
        text += "<h2>DAG</h2>\n"
        if steps.count > 40 { text += "<p class=\"muted\">\(steps.count) steps: the drawing scrolls.</p>\n" }
        if let dagSVG, let start = dagSVG.range(of: "<svg") {
            text.append("<div id=\"dag\" class=\"scroll\" data-source=\"graphviz\">")
            text.append(trusted: dagSVG[start.lowerBound...])
            text.append("</div>\n")
            return
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
        text.append("<div id=\"dag\" class=\"scroll\" data-source=\"batchkit\">")
        text += "<svg role=\"img\" aria-label=\"the DAG\" width=\"\(Int(width))\" height=\"\(Int(height))\" xmlns=\"http://www.w3.org/2000/svg\">"
        for step in steps {
            guard let to = position[step.stepID] else { continue }
            for parent in parents[step.stepID] ?? [] {
                guard let from = position[parent] else { continue }
                text += "<line x1=\"\(from.x + 170)\" y1=\"\(from.y + 16)\" x2=\"\(to.x)\" y2=\"\(to.y + 16)\" stroke=\"#90a4ae\"/>"
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
            text += "<g data-step=\"\(step.stepID.display)\"><rect x=\"\(at.x)\" y=\"\(at.y)\" width=\"170\" height=\"32\" rx=\"6\" fill=\"\(fill)\" stroke=\"#607d8b\"/>"
            text += "<svg x=\"\(at.x + 6)\" y=\"\(at.y)\" width=\"158\" height=\"32\"><text x=\"0\" y=\"13\">\(step.stepID.display) \(step.name)</text>"
            text += "<text x=\"0\" y=\"27\">\(step.status.rawValue)</text></svg></g>"
        }
        text.append("</svg></div>\n")
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
