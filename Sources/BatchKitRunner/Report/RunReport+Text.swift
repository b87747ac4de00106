import BatchKit
import Foundation

extension RunReport {
    /// The report as text for a terminal or a file: the status line, a table
    /// of steps (status, the run's attempts, wall and CPU time, peak memory,
    /// the slowest marked), failures with the end of their logs, the test
    /// results, the parallel speed-up, the DAG with each step's status, and
    /// where the logs are. For a resumed run, the headline, the slowest and
    /// the times are this session's; steps that passed earlier are marked.
    /// Names, messages and values are shown through ``VisibleText``, so none
    /// can move the cursor or clear the screen; the JSON keeps them as they are.
    public func render(style: TerminalStyle = TerminalStyle(colors: false)) -> String {
        var lines: [String] = []
        let passedSteps = steps.filter { $0.status.isSuccess }.count
        let earlier = steps.filter(passedEarlier).count
        let cached = steps.filter { $0.status == .cached }.count
        let wall = DurationFormat.seconds(wallSeconds)
        let summary = if steps.isEmpty {
            "post-job tests only, in \(wall)"
        } else if earlier > 0 {
            // A resumed run: the wall time is this session's, and so are its steps.
            "\(passedSteps)/\(steps.count) steps passed (\(earlier) earlier, \(passedSteps - earlier) in this session of \(wall))"
        } else if cached > 0 {
            "\(passedSteps)/\(steps.count) steps passed (\(cached) up to date, CACHED) in \(wall)"
        } else {
            "\(passedSteps)/\(steps.count) steps passed in \(wall)"
        }
        lines.append("\(style.paint(VisibleText.line(job), .bold))  run \(runID)  \(style.status(status))  \(summary)")
        lines.append("")
        lines += stepTable(style: style)

        for step in steps where step.status == .fail {
            guard let last = step.records.last else { continue }
            lines.append("")
            lines.append(style.paint("\(step.stepID.display) \(VisibleText.line(step.name)) failed: ", .red) + VisibleText.line(last.message))
            for tail in failureLogTails[step.stepID] ?? [] { lines.append("  | " + tail) }
            lines.append("  log: \(last.logFile)")
        }

        lines.append("")
        if let testsNotRun {
            lines.append(style.paint("Post-job tests", .bold) + "  not run: \(testsNotRun)")
        } else if tests.isEmpty {
            lines.append(style.paint("Post-job tests", .bold) + "  none defined")
        } else {
            let failed = tests.filter { $0.status == .fail }.count
            lines.append(style.paint("Post-job tests", .bold) + "  \(tests.count - failed) passed, \(failed) failed")
            for test in tests {
                let message = VisibleText.line(test.message)
                let detail = message.isEmpty ? "" : (test.status == .pass ? "  (\(message))" : ": \(message)")
                lines.append("  \(style.status(test.status))  \(VisibleText.line(test.name))\(detail)")
            }
        }

        if let time = timeLine(earlier: earlier) {
            lines.append("")
            lines.append(style.paint("Time", .bold) + "     " + time)
            if let criticalPath, criticalPath.steps.count > 1 {
                lines.append("         " + criticalPath.sentence)
            }
        }
        lines += parameterLines(style: style)
        if !steps.isEmpty {
            lines.append("")
            lines.append(style.paint("DAG", .bold) + "      (by wave; ← parents)")
            lines += DagText.lines(steps: steps.map { ($0.stepID, $0.name, $0.status) }, parents: parents, style: style)
                .map { "  " + $0 }
        }

        lines.append("")
        if let runDate { lines.append("\(style.paint("Date", .bold))     \(runDate)  (the run date: context.runDate, $BATCHKIT_RUN_DATE)") }
        lines.append("\(style.paint("Logs", .bold))     \(logDirectory)/  (report.html, report.txt, report.json, junit.xml)")
        lines.append("\(style.paint("History", .bold))  \(historyFiles.joined(separator: ", "))")
        for note in notes { lines.append("\(style.paint("Note", .yellow))     \(VisibleText.lines(note))") }
        return lines.joined(separator: "\n") + "\n"
    }

    /// The session's wall time, how long steps ran in it and the speed-up
    /// from running them in parallel, measured on the attempts' own times
    /// (``ParallelTime``); `nil` when fewer than two steps ran.
    private func timeLine(earlier: Int) -> String? {
        let ran = steps.filter { step in !passedEarlier(step) && step.records.contains { $0.attempt > 0 } }
        guard ran.count > 1 else { return nil }
        let time = parallelTime
        let head = "\(DurationFormat.seconds(wallSeconds)) wall\(earlier > 0 ? " this session" : ""), "
            + "\(DurationFormat.seconds(time.busySeconds)) with steps running"
        guard time.overlapped else { return head + ", one after another (no parallel speed-up)" }
        let speedUp = String(format: time.speedUp >= 1.1 ? "%.1f" : "%.2f", time.speedUp)
        return head + ": \(DurationFormat.seconds(time.stepSeconds)) of step time, \(speedUp)× speed-up from running steps in parallel"
    }

    /// The effective parameters, each with where it came from, and the environment.
    private func parameterLines(style: TerminalStyle) -> [String] {
        let values = parameters ?? [:]
        guard !values.isEmpty || environment != nil else { return [] }
        var lines = ["", style.paint("Params", .bold) + (environment.map { "   environment \(VisibleText.line($0))" } ?? "")]
        let width = values.keys.map(\.count).max() ?? 0
        for (key, value) in values.sorted(by: { $0.key < $1.key }) {
            let source = parameterSources?[key].map { "  " + style.paint("(\(VisibleText.line($0)))", .gray) } ?? ""
            lines.append("  \(key)\(String(repeating: " ", count: width - key.count)) = \(VisibleText.line(value))\(source)")
        }
        return lines
    }

    private func stepTable(style: TerminalStyle) -> [String] {
        guard !steps.isEmpty else { return [] }
        let names = steps.map { VisibleText.line($0.name) }
        let nameWidth = max(4, names.map(\.count).max() ?? 0)
        let idWidth = max(2, steps.map { $0.stepID.display.count }.max() ?? 0)
        func pad(_ text: String, _ width: Int) -> String {
            text.count >= width ? text : text + String(repeating: " ", count: width - text.count)
        }
        // The slowest steps that ran in this session: one when there are few, up to three.
        let ran = steps.filter { $0.attempts > 0 && !passedEarlier($0) }.sorted { $0.durationSeconds > $1.durationSeconds }
        let slowest = Array(ran.prefix(ran.count >= 6 ? 3 : (ran.count >= 2 ? 1 : 0)).map(\.stepID))

        var lines = ["  " + style.paint(
            "\(pad("ID", idWidth))  \(pad("STEP", nameWidth))  STATUS   TRIES  WALL      CPU       PEAK MEM", .bold)]
        for (step, name) in zip(steps, names) {
            let records = step.records.filter { $0.attempt > 0 }
            let wall = records.isEmpty ? "-" : DurationFormat.seconds(step.durationSeconds)
            let cpu = records.compactMap(\.cpuSeconds).isEmpty ? "-" : DurationFormat.seconds(records.compactMap(\.cpuSeconds).reduce(0, +))
            let memory = records.compactMap(\.maxRSSKilobytes).max().map(Self.memory) ?? "-"
            var line = "  \(pad(step.stepID.display, idWidth))  \(pad(name, nameWidth))  "
                + style.status(step.status) + String(repeating: " ", count: 9 - step.status.rawValue.count)
                + pad(String(step.attempts), 7) + pad(wall, 10) + pad(cpu, 10) + pad(memory, 9)
            if let rank = slowest.firstIndex(of: step.stepID) {
                line += style.paint(rank == 0 ? " ◀ slowest" : " ◀ #\(rank + 1) slowest", .yellow)
            }
            if let last = step.records.last, last.status != .pass, !last.message.isEmpty {
                line += "  " + style.paint(VisibleText.line(last.message), last.status == .fail ? .red : .gray)
            } else if passedEarlier(step) {
                line += "  " + style.paint("passed in an earlier session", .gray)
            }
            lines.append(line.trimmingTrailingSpaces())
        }
        return lines
    }

    /// `21.4 MB`, `812 KB`, `1.2 GB`.
    static func memory(_ kilobytes: Int) -> String {
        if kilobytes < 1024 { return "\(kilobytes) KB" }
        if kilobytes < 1024 * 1024 { return DecimalText.fixed(Double(kilobytes) / 1024, decimals: 1) + " MB" }
        return DecimalText.fixed(Double(kilobytes) / 1024 / 1024, decimals: 1) + " GB"
    }
}
