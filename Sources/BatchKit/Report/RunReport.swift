import Foundation

/// The feedback of one run, as the style guide asks: overall status, each
/// step's status and time, the test results and where the logs are. It is
/// printed at the end of a run and saved as `logs/runs/<run_id>/report.txt`.
public struct RunReport: Sendable, Codable {
    public let job: String
    public let runID: String
    /// PASS when every step and every test passed.
    public let status: Status
    public let startedAt: Date
    public let endedAt: Date
    public let steps: [StepRun]
    public let tests: [CheckResult]
    /// Why the tests did not run, when they did not.
    public let testsNotRun: String?
    /// The last lines of each failed step's last log, by step id.
    public let failureLogTails: [String: [String]]
    /// The run's log folder, relative to the project.
    public let logDirectory: String
    /// The history files, relative to the project.
    public let historyFiles: [String]
    /// Things worth knowing that did not fail the run.
    public let notes: [String]

    public init(
        job: String, runID: String, status: Status, startedAt: Date, endedAt: Date, steps: [StepRun],
        tests: [CheckResult], testsNotRun: String?, failureLogTails: [String: [String]],
        logDirectory: String, historyFiles: [String], notes: [String]
    ) {
        self.job = job
        self.runID = runID
        self.status = status
        self.startedAt = startedAt
        self.endedAt = endedAt
        self.steps = steps
        self.tests = tests
        self.testsNotRun = testsNotRun
        self.failureLogTails = failureLogTails
        self.logDirectory = logDirectory
        self.historyFiles = historyFiles
        self.notes = notes
    }

    /// Wall time of the whole run, in seconds.
    public var wallSeconds: Double { endedAt.timeIntervalSince(startedAt) }

    /// The report as text for a terminal or a file.
    public func render(style: TerminalStyle = TerminalStyle(colors: false)) -> String {
        var lines: [String] = []
        let passedSteps = steps.filter { $0.status == .pass }.count
        let summary = steps.isEmpty
            ? "post-job tests only, in \(DurationFormat.seconds(wallSeconds))"
            : "\(passedSteps)/\(steps.count) steps passed in \(DurationFormat.seconds(wallSeconds))"
        lines.append("\(style.paint(job, .bold))  run \(runID)  \(style.status(status))  \(summary)")
        lines.append("")

        let nameWidth = max(4, steps.map(\.name.count).max() ?? 0)
        let idWidth = max(2, steps.map { Self.displayID($0.stepID).count }.max() ?? 0)
        func pad(_ text: String, _ width: Int) -> String {
            text.count >= width ? text : text + String(repeating: " ", count: width - text.count)
        }
        if !steps.isEmpty {
            lines.append("  " + style.paint(
                "\(pad("ID", idWidth))  \(pad("STEP", nameWidth))  STATUS   ATTEMPTS  TIME", .bold))
        }
        for step in steps {
            let last = step.records.last
            let time = step.attempts > 0 ? DurationFormat.seconds(step.durationSeconds) : "-"
            var line = "  \(pad(Self.displayID(step.stepID), idWidth))  \(pad(step.name, nameWidth))  "
                + style.status(step.status) + String(repeating: " ", count: 9 - step.status.rawValue.count)
                + pad(String(step.attempts), 10) + pad(time, 9)
            if let last, last.status != .pass, !last.message.isEmpty {
                line += "  " + style.paint(last.message, last.status == .fail ? .red : .gray)
            }
            lines.append(line.trimmingTrailingSpaces())
        }

        for step in steps where step.status == .fail {
            guard let last = step.records.last else { continue }
            lines.append("")
            lines.append(style.paint("\(Self.displayID(step.stepID)) \(step.name) failed: ", .red) + last.message)
            for tail in failureLogTails[String(step.stepID)] ?? [] { lines.append("  | " + tail) }
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
                let detail = test.message.isEmpty ? "" : (test.status == .pass ? "  (\(test.message))" : ": \(test.message)")
                lines.append("  \(style.status(test.status))  \(test.name)\(detail)")
            }
        }

        lines.append("")
        lines.append("\(style.paint("Logs", .bold))     \(logDirectory)/")
        lines.append("\(style.paint("History", .bold))  \(historyFiles.joined(separator: ", "))")
        for note in notes { lines.append("\(style.paint("Note", .yellow))     \(note)") }
        return lines.joined(separator: "\n") + "\n"
    }

    static func displayID(_ id: Int) -> String {
        id < 10 && id >= 0 ? "0\(id)" : String(id)
    }
}

extension String {
    func trimmingTrailingSpaces() -> String {
        var copy = self
        while copy.last == " " { copy.removeLast() }
        return copy
    }
}
