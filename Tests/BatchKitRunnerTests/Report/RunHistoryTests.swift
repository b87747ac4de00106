@testable import BatchKit
@testable import BatchKitRunner
import Foundation
import TestSupport
import Testing

@Suite struct RunHistoryTests {
    /// Five runs of two steps; step 2 failed once, retried once, and its last run was slow.
    func history(in directory: TemporaryDirectory) throws -> URL {
        let url = directory.path("logs/execution_logs.csv")
        let log = ExecutionLog(url: url)
        var records: [ExecutionRecord] = []
        let base = Date(timeIntervalSince1970: 1_800_000_000)
        let durations: [(Double, Status)] = [(1.0, .pass), (1.2, .pass), (3.0, .fail), (1.1, .pass), (4.0, .pass)]
        for (run, (seconds, status)) in durations.enumerated() {
            let start = base.addingTimeInterval(Double(run) * 86_400)
            let runID = RunLayout.newRunID(at: start)
            records.append(ExecutionRecord(runID: runID, job: "j", stepID: 1, stepName: "Extract", attempt: 1, status: .pass, startedAt: start, endedAt: start.addingTimeInterval(0.5)))
            if run == 1 {  // a failed first attempt, then a pass: the final attempt counts
                records.append(ExecutionRecord(runID: runID, job: "j", stepID: 2, stepName: "Load", attempt: 1, status: .fail, startedAt: start, endedAt: start.addingTimeInterval(9)))
            }
            records.append(ExecutionRecord(runID: runID, job: "j", stepID: 2, stepName: "Load", attempt: run == 1 ? 2 : 1, status: status, startedAt: start, endedAt: start.addingTimeInterval(seconds)))
            if status == .fail {
                records.append(ExecutionRecord(runID: runID, job: "j", stepID: 3, stepName: "Publish", attempt: 0, status: .skipped, startedAt: start, endedAt: start))
            }
        }
        try log.append(records)
        return url
    }

    @Test func summarisesEachStepAcrossRuns() throws {
        let directory = try TemporaryDirectory()
        let summary = try RunHistory.load(history(in: directory), job: "j")
        #expect(summary.runs == 5)
        let load = try #require(summary.steps.first { $0.stepID == 2 })
        #expect(load.runs == 5 && load.passes == 4)
        #expect(load.passRate == 0.8)
        #expect(load.medianSeconds == 1.1, "median of the passing runs' final attempts: 1.0, 1.1, 1.2, 4.0")
        #expect(load.p95Seconds == 4.0)
        #expect(load.lastStatus == .pass && load.lastSeconds == 4.0)
        #expect(load.slow, "4.0 s is far above the 1.1 s median")
        let extract = try #require(summary.steps.first { $0.stepID == 1 })
        #expect(!extract.slow && extract.passRate == 1)
        let publish = try #require(summary.steps.first { $0.stepID == 3 })
        #expect(publish.runs == 0 && publish.lastStatus == .skipped)

        let text = summary.render()
        #expect(text.hasPrefix("j: 5 runs\n"))
        #expect(text.contains("02  Load     5     80%     2             1.10 s    4.00 s    PASS 4.00 s  ⚠ slow: 3.6× its median"))
    }

    @Test func eachStepCountsItsFailedAttemptsRetriedOnesToo() throws {
        let directory = try TemporaryDirectory()
        let summary = try RunHistory.load(history(in: directory), job: "j")
        // Run 2 failed once and passed on its retry; run 3 failed: 100% would hide the first.
        #expect(summary.steps.map(\.failedAttempts) == [0, 2, 0])
        #expect(summary.render().contains("  ID  STEP     RUNS  PASS    FAILED TRIES  MEDIAN    P95       LAST\n"))
        #expect(summary.render().contains("  01  Extract  5     100%    0             0.50 s    0.50 s    PASS 0.50 s\n"))
    }

    /// Runs that end every way a run can, in both history files.
    func runs(in directory: TemporaryDirectory) throws -> (steps: URL, tests: URL) {
        let base = Date(timeIntervalSince1970: 1_800_000_000)
        var steps: [ExecutionRecord] = []
        var tests: [(String, [CheckResult])] = []
        func row(_ run: String, _ minute: Double, _ id: StepID, _ attempt: Int, _ status: Status, _ reason: FailureReason = .empty, job: String = "j") {
            let start = base.addingTimeInterval(minute * 60)
            steps.append(ExecutionRecord(
                runID: run, job: job, stepID: id, stepName: id == ExecutionRecord.runStepID ? ExecutionRecord.runStepName : "step \(id)",
                attempt: attempt, status: status, startedAt: start, endedAt: start.addingTimeInterval(status == .skipped ? 0 : 30),
                reason: reason, message: id == ExecutionRecord.runStepID ? "not started: another run of j is in progress" : ""))
        }
        func test(_ run: String, _ minute: Double, _ name: String, _ status: Status) {
            let start = base.addingTimeInterval(minute * 60)
            tests.append((run, [CheckResult(name: name, status: status, message: "", startedAt: start, endedAt: start.addingTimeInterval(6))]))
        }
        // r1 passes. r2 retries 02 and passes its steps, but a post-job test fails.
        row("r1", 0, 1, 1, .pass); row("r1", 1, 2, 1, .pass); test("r1", 2, "rows", .pass)
        row("r2", 10, 1, 1, .pass); row("r2", 11, 2, 1, .fail, .exit); row("r2", 12, 2, 2, .pass)
        test("r2", 13, "rows", .fail); test("r2", 13, "sums", .pass)
        // r3 is interrupted; r4 fails at 02; r5 is refused by the lock; r6 runs the tests alone.
        row("r3", 20, 1, 1, .fail, .interrupted); row("r3", 20, 2, 0, .skipped, .interrupted); test("r3", 21, "rows", .skipped)
        row("r4", 30, 1, 1, .pass); row("r4", 31, 2, 1, .fail, .exit); row("r4", 31, 3, 0, .skipped, .upstreamFailed)
        test("r4", 32, "rows", .skipped)
        row("r5", 35, ExecutionRecord.runStepID, 0, .fail, .locked)
        test("r6", 40, "rows", .pass)
        // r7 fails, then --resume passes it an hour later; another job's run is not ours.
        row("r7", 50, 1, 1, .pass); row("r7", 51, 2, 1, .fail, .exit); test("r7", 52, "rows", .skipped)
        row("r7", 110, 2, 2, .pass); test("r7", 111, "rows", .pass)
        row("x1", 60, 1, 1, .fail, .exit, job: "other")
        let urls = (directory.path("logs/execution_logs.csv"), directory.path("logs/test_results.csv"))
        try ExecutionLog(url: urls.0).append(steps)
        for (run, results) in tests { try TestResultsLog(url: urls.1).append(results, runID: run, job: "j") }
        return urls
    }

    @Test func everyRunIsListedWithHowItEndedAndWhatFailed() throws {
        let directory = try TemporaryDirectory()
        let files = try runs(in: directory)
        // r8 is running (or its runner died): its state says so, and it has no row yet.
        let running = RunState(runID: "r8", job: "j", startedAt: Date(timeIntervalSince1970: 1_800_000_000 + 120 * 60), steps: [])
        let history = try RunHistory.load(files.steps, testResults: files.tests, job: "j", latest: running)
        #expect(history.runList.map(\.runID) == ["r1", "r2", "r3", "r4", "r5", "r6", "r7", "r8"])
        #expect(history.runList.map(\.outcome) == [.pass, .fail, .interrupted, .fail, .notStarted, .pass, .pass, .unfinished])
        #expect(history.runList[1].failedTests == ["rows"] && history.runList[1].failedSteps.isEmpty)
        #expect(history.runList[3].failedSteps == [.init(stepID: 2, name: "step 2", reason: .exit)])
        #expect(history.runList[0].seconds == 126, "from the first step's start to the last test's end")
        #expect(history.runList[6].seconds == 61 * 60 + 6, "a resumed run spans its sessions")
        #expect(history.runs == 7, "runs that started: with steps, tests only (r6) or unfinished (r8)")

        let text = history.renderRuns()
        #expect(text.hasPrefix("j: 7 runs and 1 that did not start, oldest first\n\n  STARTED (UTC)        RUN  STATUS       DURATION  WHAT FAILED\n"), "\(text)")
        #expect(text.contains("\n  2027-01-15 08:00:00  r1   PASS         2 m 06 s\n"), "\(text)")
        #expect(text.contains("\n  2027-01-15 08:10:00  r2   FAIL         3 m 06 s  test rows\n"), "\(text)")
        #expect(text.contains("\n  2027-01-15 08:20:00  r3   interrupted  1 m 06 s  01 step 1 (interrupted)\n"), "\(text)")
        #expect(text.contains("\n  2027-01-15 08:30:00  r4   FAIL         2 m 06 s  02 step 2 (exit)\n"), "\(text)")
        #expect(text.contains("\n  2027-01-15 08:35:00  r5   not started  -         locked: another run of j is in progress\n"), "\(text)")
        #expect(text.contains("\n  2027-01-15 10:00:00  r8   unfinished "), "\(text)")

        let summary = history.render()
        #expect(summary.contains("\nRuns: 3 PASS, 2 FAIL, 1 interrupted, 1 not started, 1 unfinished (history --runs lists each run)\n"), "\(summary)")
    }

    @Test func aLatestRunThatFinishedIsJudgedByItsRows() throws {
        let directory = try TemporaryDirectory()
        let files = try runs(in: directory)
        var finished = RunState(runID: "r7", job: "j", startedAt: Date(timeIntervalSince1970: 1_800_000_000 + 50 * 60), steps: [])
        finished.phase = .passed
        let history = try RunHistory.load(files.steps, testResults: files.tests, job: "j", latest: finished)
        #expect(history.runList.last?.outcome == .pass)
        var running = finished
        running.phase = .running
        #expect(try RunHistory.load(files.steps, testResults: files.tests, job: "j", latest: running).runList.last?.outcome == .unfinished)
    }

    @Test(arguments: ["2026-11-21T13:45:01.123Z", "1969-12-31T23:59:59.500Z", "2000-02-29T00:00:00.000Z", "2026-03-01T12:00:00Z"])
    func historyTimesAreReadAsTimestampReadsThem(text: String) throws {
        let expected = try #require(Timestamp.parse(text)).timeIntervalSince1970
        #expect(abs((RunSummary.epochSeconds(text) ?? .nan) - expected) < 0.0005)
    }

    @Test func sinceKeepsOnlyLaterRuns() throws {
        let directory = try TemporaryDirectory()
        let since = Date(timeIntervalSince1970: 1_800_000_000 + 3 * 86_400)
        let summary = try RunHistory.load(history(in: directory), job: "j", since: since)
        #expect(summary.runs == 2)
        #expect(summary.steps.first { $0.stepID == 2 }?.runs == 2)
        #expect(summary.render().contains("since 2027-01-18T08:00:00.000Z"))
    }

    @Test func anEmptyHistorySaysSo() throws {
        let directory = try TemporaryDirectory()
        let summary = try RunHistory.load(directory.path("logs/execution_logs.csv"), job: "j")
        #expect(summary.render() == "j: no runs in the history yet.\n")
    }

    @Test func percentilesUseNearestRank() {
        #expect(RunHistory.percentile([1, 2, 3, 4], 0.5) == 2)
        #expect(RunHistory.percentile(Array(1...100).map(Double.init), 0.95) == 95)
        #expect(RunHistory.percentile([], 0.5) == 0)
    }

    @Test func theDagAsTextGroupsWavesWithParents() {
        let lines = DagText.lines(
            steps: [(4, "Load", nil), (1, "Extract", nil), (3, "Count", nil), (2, "Validate", nil)],
            parents: [1: [], 2: [1], 3: [1], 4: [2, 3]], style: TerminalStyle(colors: false))
        #expect(lines == [
            "wave 1  01 Extract",
            "wave 2  02 Validate  ← 01",
            "        03 Count     ← 01",
            "wave 3  04 Load      ← 02, 03",
        ])
    }
}
