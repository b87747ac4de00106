import BatchKit
import BatchKitRunner
import BatchKitNotify
import BatchKitCluster
import BatchKitSchedule
import Foundation

/// `report` and `history`: what past runs left in `logs/`.
enum JobInfoCommands {
    /// `report [RUN_ID] [--json | --html]`: a saved report, the latest by default.
    static func report(_ job: Job, environment: JobCommand.Environment, arguments: [String]) throws -> Int32 {
        let command = "\(environment.command) report"
        let parsed = try Arguments(arguments, flags: ["--help", "--json", "--html"], options: [], command: command)
        if parsed.has("--help") {
            Console.out("""
                USAGE: \(command) [RUN_ID] [--json | --html]

                Prints a past run's report (default: the latest run's), as text or JSON.
                RUN_ID may be any part of a run's id that only one run has (41e5, 20261121T1430).
                --html prints the path of the run's report.html, one page that opens in any
                browser without a server (written from report.json when the run has none).

                """)
            return ExitCode.success.rawValue
        }
        if parsed.has("--json"), parsed.has("--html") {
            throw UsageError("give --json or --html, not both", command: command)
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
            runID = try match(wanted, in: runs, folder: layout.relative(layout.runsDirectory), command: command)
        } else {
            guard let latest = runs.last else {
                Console.out("\(VisibleText.line(job.name)) has no runs with a report yet; run it first.\n")
                return ExitCode.success.rawValue
            }
            runID = latest
        }
        let report = try RunReport.load(layout.reportJSON(runID))
        if parsed.has("--html") {
            let page = layout.reportHTML(runID)
            if !FileManager.default.fileExists(atPath: page.path) {
                try RunRecorder.saveReportHTML(report.html(trends: StepTrends.read(layout, job: job.name)), runID: runID, layout: layout)
            }
            Console.out(layout.relative(page) + "\n")
            return ExitCode.success.rawValue
        }
        Console.out(parsed.has("--json") ? try report.json() : report.render(style: TerminalStyle.forDescriptor(1)))
        return ExitCode.success.rawValue
    }

    /// The run `wanted` names: the run whose id it is, else the one run
    /// whose id contains it (`report 41e5`, `report 20261121T1430`).
    ///
    /// - Throws: ``UsageError`` (exit 64) when no run's id contains it, with
    ///   the latest runs, or when several do, with them.
    static func match(_ wanted: String, in runs: [String], folder: String, command: String) throws -> String {
        guard !wanted.isEmpty else { throw UsageError("RUN_ID is empty; give a run's id or part of it", command: command) }
        if runs.contains(wanted) { return wanted }
        let matches = runs.filter { $0.contains(wanted) }
        if matches.count == 1, let match = matches.first { return match }
        let shown = VisibleText.line(wanted)
        guard !matches.isEmpty else {
            let recent = runs.suffix(5).reversed().joined(separator: ", ")
            throw UsageError(
                "no run with a report in \(folder) has \(shown) in its id; latest runs: \(recent.isEmpty ? "none" : recent)",
                command: command)
        }
        let listed = matches.suffix(10).reversed().joined(separator: ", ")
        throw UsageError(
            "\(shown) is in the ids of \(matches.count) runs: \(listed)\(matches.count > 10 ? ", …" : ""); give more of the id",
            command: command)
    }

    /// `history [--runs] [--since DATE] [--json]`.
    static func history(_ job: Job, environment: JobCommand.Environment, arguments: [String]) throws -> Int32 {
        let command = "\(environment.command) history"
        let parsed = try Arguments(arguments, flags: ["--help", "--json", "--runs", "--html"], options: ["--since"], command: command)
        if parsed.has("--help") {
            Console.out("""
                USAGE: \(command) [--runs] [--since DATE] [--json | --html]

                Summarises logs/execution_logs.csv: for each step, the runs it was attempted in,
                its pass rate, its failed attempts (retried ones too), the median and 95th
                percentile of its time, and its last status; then how many runs passed,
                failed (a step or a post-job test, from logs/test_results.csv), were
                interrupted, or did not start. A step whose latest time is at least twice its
                median is flagged as slow.

                  --runs         List every run instead, oldest first: its start (UTC), id,
                                 status (PASS, FAIL, interrupted, unfinished, not started),
                                 duration, and the steps (with their reasons) or tests that failed.
                  --since DATE   Only runs started at or after DATE: 2026-11-01, or an ISO-8601
                                 time such as 2026-11-01T06:00:00Z.
                  --json         JSON instead of text.
                  --html         Write logs/history.html, one page with each step's trend over
                                 every run and the list of runs, and print its path.

                """)
            return ExitCode.success.rawValue
        }
        if parsed.has("--html"), parsed.has("--json") || parsed.has("--runs") {
            throw UsageError("--html writes one page with the steps and the runs; leave out \(parsed.has("--json") ? "--json" : "--runs")", command: command)
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
        let layout = environment.layout
        let history = try RunHistory.load(
            layout.executionLog, testResults: layout.testResults, job: job.name, since: since,
            latest: RunStateStore(layout: layout).latest(job: job.name))
        if parsed.has("--html") {
            try RunRecorder.saveHistoryHTML(history.html(trends: StepTrends.read(layout, job: job.name, limit: Int.max, tailBytes: nil)), layout: layout)
            Console.out(layout.relative(layout.historyHTML) + "\n")
            return ExitCode.success.rawValue
        }
        let style = TerminalStyle.forDescriptor(1)
        switch (parsed.has("--runs"), parsed.has("--json")) {
        case (true, true): Console.out(String(decoding: try JSONCoding.encoder().encode(history.runList), as: UTF8.self) + "\n")
        case (true, false): Console.out(history.renderRuns(style: style))
        case (false, true): Console.out(String(decoding: try JSONCoding.encoder().encode(history), as: UTF8.self) + "\n")
        case (false, false): Console.out(history.render(style: style))
        }
        return ExitCode.success.rawValue
    }
}
