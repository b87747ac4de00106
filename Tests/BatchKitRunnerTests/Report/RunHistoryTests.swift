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
