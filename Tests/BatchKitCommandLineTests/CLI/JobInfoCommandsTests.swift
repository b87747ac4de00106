import BatchKit
import BatchKitRunner
import Foundation
import TestSupport
import Testing

/// `report` and `history` through the real binary, on task lists (the same
/// commands a generated job's `./run.sh` runs; `GeneratedJobEndToEndTests`
/// runs `history --runs` there).
@Suite struct JobInfoCommandsTests {
    /// 02 fails until `ok` exists; 03 and 04 run side by side after it.
    static let list = """
        #SHELL
        1|-1|1|0|Extract|sleep 0.3|
        2|1|1|0|Transform|[ -f ok ] \\|\\| exit 3|
        3|2|1|0|Load A|sleep 0.6|
        4|2|1|0|Load B|sleep 0.6|

        """

    func batchkit(_ arguments: [String], in directory: TemporaryDirectory) async throws -> CommandResult {
        try await runProgram(try batchkitBinary(), ["run", "t.lst"] + arguments, in: directory.url)
    }

    func rows(_ directory: TemporaryDirectory) throws -> [ExecutionRecord] {
        try ExecutionLog(url: directory.path("logs/execution_logs.csv")).readAll()
    }

    @Test func reportAndHistoryGiveTheirHTMLPages() async throws {
        let directory = try TemporaryDirectory()
        try directory.write("t.lst", Self.list)
        try directory.write("ok", "")
        #expect(try await batchkit([], in: directory).status == 0)
        let runID = try #require(try rows(directory).last?.runID)
        let page = "logs/runs/\(runID)/report.html"
        #expect(try directory.read(page).hasPrefix("<!DOCTYPE html>"), "every run writes its report.html")
        let shown = try await batchkit(["report", "--html"], in: directory)
        #expect(shown.status == 0 && shown.stdout == page + "\n", "\(shown.stdout)\(shown.stderr)")
        try FileManager.default.removeItem(at: directory.path(page))
        let again = try await batchkit(["report", "--html", String(runID.suffix(4))], in: directory)
        #expect(again.stdout == page + "\n")
        #expect(try directory.read(page).contains("<table id=\"steps\">"), "written again from report.json")
        // A run that never started: its --wait-for file did not appear in time.
        let waited = try await batchkit(["--wait-for", "never.flag", "--wait-timeout", "1s"], in: directory)
        #expect(waited.status == 1, "\(waited.stdout)\(waited.stderr)")
        let history = try await batchkit(["history", "--html"], in: directory)
        #expect(history.status == 0 && history.stdout == "logs/history.html\n")
        let historyPage = try directory.read("logs/history.html")
        #expect(historyPage.contains("<table id=\"runs\">"))
        #expect(historyPage.contains("<ul id=\"not-started\"><li><code>"), "the run that did not start is listed")
        #expect(historyPage.contains("never.flag"), "with why")
        let both = try await batchkit(["report", "--html", "--json"], in: directory)
        #expect(both.status == 64 && both.stderr.contains("give --json or --html, not both"))
    }

    @Test func aResumedRunsReportCountsThisSessionAndTheRunsAttempts() async throws {
        let directory = try TemporaryDirectory()
        try directory.write("t.lst", Self.list)
        let failed = try await batchkit(["--jobs", "2"], in: directory)
        #expect(failed.status == 1)
        #expect(failed.stdout.contains("FAIL  1/4 steps passed in "), "\(failed.stdout)")
        #expect(failed.stdout.contains(" with steps running, one after another (no parallel speed-up)\n"), "\(failed.stdout)")

        try directory.write("ok", "")
        let resumed = try await batchkit(["--resume", "--jobs", "2"], in: directory)
        #expect(resumed.status == 0, "\(resumed.stdout)\(resumed.stderr)")
        let text = resumed.stdout
        #expect(text.contains("PASS  4/4 steps passed (1 earlier, 3 in this session of "), "\(text)")
        #expect(text.contains("  01  Extract    PASS     1 ") && text.contains("passed in an earlier session\n"), "\(text)")
        let transform = try rows(directory).filter { $0.stepID == 2 }
        #expect(transform.map(\.attempt) == [1, 2] && transform.last?.status == .pass)
        #expect(text.contains("  02  Transform  PASS     2      "), "TRIES agrees with the CSV's attempt 2: \(text)")
        #expect(resumed.stderr.contains("START   02 Transform (attempt 2"), "and with the progress line: \(resumed.stderr)")
        // 03 and 04 overlapped; 01's 0.3 s from the first session is not this session's.
        let time = try #require(text.split(separator: "\n").first { $0.hasPrefix("Time") }.map(String.init))
        #expect(time.contains(" wall this session, ") && time.contains("× speed-up from running steps in parallel"), "\(time)")
        let report = try RunReport.load(directory.path("logs/runs/\(try #require(transform.first?.runID))/report.json"))
        #expect(report.parallelTime.stepSeconds < report.stepSeconds - 0.25, "the earlier session's 01 is left out")
        #expect(report.parallelTime.overlapped)
    }

    @Test func historyCountsFailedAttemptsAndListsEveryRun() async throws {
        let directory = try TemporaryDirectory()
        try directory.write("t.lst", Self.list)
        _ = try await batchkit([], in: directory)
        try directory.write("ok", "")
        _ = try await batchkit(["--resume"], in: directory)
        try FileManager.default.removeItem(at: directory.path("ok"))
        _ = try await batchkit([], in: directory)
        let runIDs = Array(Set(try rows(directory).map(\.runID))).sorted()

        let history = try await batchkit(["history"], in: directory)
        #expect(history.status == 0)
        #expect(history.stdout.contains("  ID  STEP       RUNS  PASS    FAILED TRIES  MEDIAN    P95       LAST\n"), "\(history.stdout)")
        #expect(history.stdout.contains("  02  Transform  2     50%     2             "), "the failed attempt of the resumed run shows: \(history.stdout)")
        #expect(history.stdout.contains("\nRuns: 1 PASS, 1 FAIL (history --runs lists each run)\n"), "\(history.stdout)")

        let listed = try await batchkit(["history", "--runs"], in: directory)
        #expect(listed.status == 0)
        let lines = listed.stdout.split(separator: "\n").map(String.init)
        #expect(lines.first == "t: 2 runs, oldest first", "\(listed.stdout)")
        #expect(lines.count == 4 && lines[1].hasPrefix("  STARTED (UTC)        RUN  "), "\(listed.stdout)")
        #expect(lines[2].contains("  \(runIDs[0])  PASS         ") && lines[2].hasSuffix(" s"), "\(lines)")
        #expect(lines[3].contains("  \(runIDs[1])  FAIL         ") && lines[3].hasSuffix(" s    02 Transform (exit)"), "\(lines)")

        let json = try await batchkit(["history", "--runs", "--json"], in: directory)
        let runs = try JSONCoding.decoder().decode([RunSummary].self, from: Data(json.stdout.utf8))
        #expect(runs.map(\.outcome) == [.pass, .fail] && runs.map(\.runID) == runIDs)
        #expect(runs[1].failedSteps.map(\.stepID) == [2])

        let help = try await batchkit(["history", "--help"], in: directory)
        #expect(help.stdout.contains("USAGE: batchkit run t.lst history [--runs] [--since DATE] [--json | --html]"))
        #expect(try await batchkit(["--help"], in: directory).stdout.contains("--runs          List each run: its status, date, duration and what failed."))
    }

    @Test func aRunningARefusedAndAnInterruptedRunAreListedAsSuch() async throws {
        let directory = try TemporaryDirectory()
        try directory.write("t.lst", """
            #SHELL
            1|-1|1|0|first|true|
            2|1|1|0|slow|touch started; sleep 30|

            """)
        let (process, _) = try await startBatchkit(["run", "t.lst"], in: directory)
        try await waitFor(directory.path("started"))
        let refused = try await batchkit([], in: directory)
        #expect(refused.status == 1)
        let during = try await batchkit(["history", "--runs"], in: directory)
        #expect(kill(process.processIdentifier, SIGINT) == 0)
        #expect(await process.exitCode() == 130)
        #expect(during.stdout.contains("  unfinished   "), "its state says running, though 01 passed: \(during.stdout)")
        #expect(during.stdout.contains("  not started  -         locked: another run of t is in progress (pid \(process.processIdentifier)"), "\(during.stdout)")

        let after = try await batchkit(["history", "--runs"], in: directory)
        #expect(after.stdout.contains("  interrupted  ") && after.stdout.contains("  02 slow (interrupted)\n"), "\(after.stdout)")
        #expect(!after.stdout.contains("unfinished"))
    }

    @Test func reportTakesAnyPartOfARunIDThatOnlyOneRunHas() async throws {
        let directory = try TemporaryDirectory()
        try directory.write("t.lst", "#SHELL\n1|-1|1|0|only|true|\n")
        _ = try await batchkit([], in: directory)
        _ = try await batchkit([], in: directory)
        let runIDs = Array(Set(try rows(directory).map(\.runID))).sorted()
        try #require(runIDs.count == 2 && runIDs[0].suffix(4) != runIDs[1].suffix(4))

        // The random end of an id, as `report` prints it and people copy it
        // (with the `Z-` before it in the rare case the other id has those digits too).
        let end = String(runIDs[0].suffix(runIDs[1].contains(runIDs[0].suffix(4)) ? 6 : 4))
        let byEnd = try await batchkit(["report", end], in: directory)
        #expect(byEnd.status == 0, "\(byEnd.stderr)")
        #expect(byEnd.stdout.hasPrefix("t  run \(runIDs[0])  PASS"))
        let byStart = try await batchkit(["report", String(runIDs[1].prefix(19)), "--json"], in: directory)
        #expect(try JSONCoding.decoder().decode(RunReport.self, from: Data(byStart.stdout.utf8)).runID == runIDs[1])

        let ambiguous = try await batchkit(["report", "T"], in: directory)
        #expect(ambiguous.status == 64)
        #expect(ambiguous.stderr.contains("error: T is in the ids of 2 runs: \(runIDs[1]), \(runIDs[0]); give more of the id"), "\(ambiguous.stderr)")
        let none = try await batchkit(["report", "zz"], in: directory)
        #expect(none.status == 64)
        #expect(none.stderr.contains("error: no run with a report in logs/runs has zz in its id; latest runs: \(runIDs[1]), \(runIDs[0])"), "\(none.stderr)")
    }
}
