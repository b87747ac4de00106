import BatchKit
import Foundation

extension RunHistory {
    /// The summary as a table — per step its runs, pass rate, failed
    /// attempts, median and 95th-percentile time and last status — then how
    /// the runs ended and the runs that did not start. Names and messages
    /// are shown through ``VisibleText``.
    public func render(style: TerminalStyle = TerminalStyle(colors: false)) -> String {
        let scope = since.map { " since \(Timestamp.iso8601($0))" } ?? ""
        let job = VisibleText.line(job)
        guard !runList.isEmpty else { return "\(job): no runs in the history\(scope) yet.\n" }
        var lines = ["\(style.paint(job, .bold)): \(runs) run\(runs == 1 ? "" : "s")\(scope)", ""]
        let names = steps.map { VisibleText.line($0.name) }
        let nameWidth = max(4, names.map(\.count).max() ?? 0)
        if !steps.isEmpty {
            lines.append("  " + style.paint("ID  \(Self.pad("STEP", nameWidth))  RUNS  PASS    FAILED TRIES  MEDIAN    P95       LAST", .bold))
        }
        for (step, name) in zip(steps, names) {
            var line = "  \(Self.pad(step.stepID.display, 2))  \(Self.pad(name, nameWidth))  \(Self.pad(String(step.runs), 6))"
                + Self.pad(String(format: "%.0f%%", step.passRate * 100), 8)
                + (step.failedAttempts > 0 ? style.paint(Self.pad(String(step.failedAttempts), 14), .red) : Self.pad("0", 14))
                + Self.pad(DurationFormat.seconds(step.medianSeconds), 10) + Self.pad(DurationFormat.seconds(step.p95Seconds), 10)
                + style.status(step.lastStatus) + " " + (step.lastStatus == .skipped ? "" : DurationFormat.seconds(step.lastSeconds))
            if step.slow {
                line += style.paint("  ⚠ slow: \(String(format: "%.1f", step.lastSeconds / max(step.medianSeconds, 0.001)))× its median", .yellow)
            }
            lines.append(line.trimmingTrailingSpaces())
        }
        let counts = RunSummary.Outcome.allCases.compactMap { outcome -> String? in
            let count = runList.filter { $0.outcome == outcome }.count
            return count == 0 ? nil : "\(count) " + Self.paint(outcome, style: style)
        }
        lines.append("")
        lines.append(style.paint("Runs", .bold) + ": \(counts.joined(separator: ", ")) (history --runs lists each run)")
        if !notStarted.isEmpty {
            let counts = Dictionary(grouping: notStarted, by: \.reason).map { "\($0.value.count) \($0.key)" }.sorted()
            lines.append("")
            lines.append(style.paint("Not started", .bold) + ": \(notStarted.count) (\(counts.joined(separator: ", "))); latest:")
            for entry in notStarted.suffix(3) {
                lines.append("  \(entry.at)  " + style.paint(VisibleText.line(entry.reason), .red) + "  \(VisibleText.line(String(entry.message.prefix(160))))")
            }
        }
        return lines.joined(separator: "\n") + "\n"
    }

    /// `history --runs`: every run, oldest first, with how it ended, when it
    /// started (UTC), how long it took and what failed.
    public func renderRuns(style: TerminalStyle = TerminalStyle(colors: false)) -> String {
        let scope = since.map { " since \(Timestamp.iso8601($0))" } ?? ""
        let job = VisibleText.line(job)
        guard !runList.isEmpty else { return "\(job): no runs in the history\(scope) yet.\n" }
        let idWidth = max(3, runList.map { VisibleText.line($0.runID).count }.max() ?? 0)
        var lines = [
            "\(style.paint(job, .bold)): \(runs) run\(runs == 1 ? "" : "s")"
                + (runList.count > runs ? " and \(runList.count - runs) that did not start" : "") + "\(scope), oldest first", "",
            "  " + style.paint("STARTED (UTC)        \(Self.pad("RUN", idWidth))  STATUS       DURATION  WHAT FAILED", .bold),
        ]
        for run in runList {
            // `2026-11-21T13:45:01.123Z` → `2026-11-21 13:45:01`.
            let started = VisibleText.line(String(run.startedAt.prefix(19))).replacingOccurrences(of: "T", with: " ")
            let line = "  \(Self.pad(started, 19))  \(Self.pad(VisibleText.line(run.runID), idWidth))  "
                + Self.paint(run.outcome, style: style) + String(repeating: " ", count: max(1, 13 - run.outcome.rawValue.count))
                + Self.pad(run.outcome == .notStarted ? "-" : DurationFormat.seconds(run.seconds), 10)
                + VisibleText.line(String(run.failures.prefix(200)))
            lines.append(line.trimmingTrailingSpaces())
        }
        return lines.joined(separator: "\n") + "\n"
    }

    /// An outcome in its colour: PASS green, FAIL and not started red,
    /// interrupted and unfinished yellow.
    static func paint(_ outcome: RunSummary.Outcome, style: TerminalStyle) -> String {
        switch outcome {
        case .pass: style.paint(outcome.rawValue, .green)
        case .fail, .notStarted: style.paint(outcome.rawValue, .red)
        case .interrupted, .unfinished: style.paint(outcome.rawValue, .yellow)
        }
    }

    static func pad(_ text: String, _ width: Int) -> String {
        text.count >= width ? text : text + String(repeating: " ", count: width - text.count)
    }
}
