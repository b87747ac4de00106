import BatchKit
import BatchKitRunner
import BatchKitNotify
import BatchKitCluster
import BatchKitSchedule
import Foundation

/// `report` and `history`: what past runs left in `logs/`.
enum JobInfoCommands {
    /// `report [RUN_ID] [--json]`: a saved report, the latest by default.
    static func report(_ job: Job, environment: JobCommand.Environment, arguments: [String]) throws -> Int32 {
        let command = "\(environment.command) report"
        let parsed = try Arguments(arguments, flags: ["--help", "--json"], options: [], command: command)
        if parsed.has("--help") {
            Console.out("USAGE: \(command) [RUN_ID] [--json]\n\nPrints a past run's report (default: the latest run's), as text or JSON.\n")
            return ExitCode.success.rawValue
        }
        guard parsed.positionals.count <= 1 else {
            throw UsageError("expected at most one RUN_ID", command: command)
        }
        let layout = environment.layout
        let runs = ((try? FileManager.default.contentsOfDirectory(atPath: layout.runsDirectory.path)) ?? [])
            .filter { runID in
                // Only this job's runs: task lists sharing a folder share logs/runs.
                guard let data = FileManager.default.contents(atPath: layout.reportJSON(runID).path),
                      let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any]
                else { return false }
                return object["job"] as? String == job.name
            }
            .sorted()
        let runID: String
        if let wanted = parsed.positionals.first {
            // A unique prefix is enough: `report 20261121T1430`.
            let matches = runs.filter { $0.hasPrefix(wanted) }
            guard matches.count == 1, let match = matches.first else {
                let hint = runs.suffix(5).joined(separator: ", ")
                throw UsageError(
                    matches.isEmpty
                        ? "no run \(wanted) with a report in \(layout.relative(layout.runsDirectory)); recent runs: \(hint.isEmpty ? "none" : hint)"
                        : "\(wanted) matches \(matches.count) runs; give more of the id",
                    command: command)
            }
            runID = match
        } else {
            guard let latest = runs.last else {
                Console.out("\(VisibleText.line(job.name)) has no runs with a report yet; run it first.\n")
                return ExitCode.success.rawValue
            }
            runID = latest
        }
        let report = try RunReport.load(layout.reportJSON(runID))
        Console.out(parsed.has("--json") ? try report.json() : report.render(style: TerminalStyle.forDescriptor(1)))
        return ExitCode.success.rawValue
    }

    /// `history [--since DATE] [--json]`.
    static func history(_ job: Job, environment: JobCommand.Environment, arguments: [String]) throws -> Int32 {
        let command = "\(environment.command) history"
        let parsed = try Arguments(arguments, flags: ["--help", "--json"], options: ["--since"], command: command)
        if parsed.has("--help") {
            Console.out("""
                USAGE: \(command) [--since DATE] [--json]

                Summarises logs/execution_logs.csv: for each step, the runs it was attempted in,
                its pass rate, the median and 95th percentile of its time, and its last status.
                A step whose latest time is at least twice its median is flagged as slow.

                  --since DATE   Only runs started at or after DATE: 2026-11-01, or an ISO-8601
                                 time such as 2026-11-01T06:00:00Z.
                  --json         JSON instead of text.

                """)
            return ExitCode.success.rawValue
        }
        if let extra = parsed.positionals.first {
            throw UsageError("unexpected argument '\(extra)'", command: command)
        }
        var since: Date?
        if let text = parsed.value("--since") {
            guard let date = Timestamp.parse(text) ?? Timestamp.parse(text + "T00:00:00Z") else {
                throw UsageError("--since takes a date like 2026-11-01 or 2026-11-01T06:00:00Z, not \"\(text)\"", command: command)
            }
            since = date
        }
        let history = try RunHistory.load(environment.layout.executionLog, job: job.name, since: since)
        if parsed.has("--json") {
            Console.out(String(decoding: try JSONCoding.encoder().encode(history), as: UTF8.self) + "\n")
        } else {
            Console.out(history.render(style: TerminalStyle.forDescriptor(1)))
        }
        return ExitCode.success.rawValue
    }
}
