@testable import BatchKit
@testable import BatchKitRunner
import Foundation
import TestSupport
import Testing

/// `PrunePlan`'s decisions, on run folders whose state is written through
/// `RunStateStore` as the engine writes it.
@Suite struct RunRetentionTests {
    let now = Date(timeIntervalSince1970: 1_800_000_000)

    /// A run of `job` started `daysAgo` days before `now`, in `phase`, with a 1000-byte log.
    @discardableResult
    func makeRun(_ layout: RunLayout, job: String = "j", daysAgo: Double, phase: RunState.Phase) throws -> String {
        let started = now.addingTimeInterval(-daysAgo * 86_400)
        var state = RunState(runID: RunLayout.newRunID(at: started), job: job, startedAt: started, steps: [shellStep(1, "a", "true")])
        state.phase = phase
        try RunStateStore(layout: layout).save(state, snapshot: true)
        try Data(repeating: 65, count: 1000).write(to: layout.runDirectory(state.runID).appendingPathComponent("01_a.log"))
        return state.runID
    }

    @Test func keepRunsKeepsTheNewestAndRemovesTheRestOldestFirst() async throws {
        let directory = try TemporaryDirectory()
        let layout = RunLayout(projectDirectory: directory.url)
        let runs = try [5.0, 4, 3, 2, 1].map { try makeRun(layout, daysAgo: $0, phase: .passed) }
        let plan = PrunePlan(layout: layout, job: "j", retention: RunRetention(keepRuns: 2), now: now)
        #expect(plan.remove.map(\.runID) == Array(runs.prefix(3)))
        #expect(plan.keep.map(\.runID) == [runs[4], runs[3]])
        #expect(plan.keep.allSatisfy { $0.reason == "one of the 2 newest runs" && !$0.unfinished })
        // Blocks of the folder, its log and state.json, as du counts them.
        let du = try await runProgram("/usr/bin/du", ["-s", "-B1", layout.runDirectory(runs[0]).path], in: directory.url)
        #expect(plan.remove.first?.bytes.map(String.init) == du.stdout.split(separator: "\t").first.map(String.init))
        #expect(plan.remove.allSatisfy { ($0.bytes ?? 0) > 0 })
        #expect(plan.bytesToRemove == plan.remove.reduce(0) { $0 + ($1.bytes ?? 0) })

        let (removed, failures) = plan.apply(layout: layout)
        #expect(failures.isEmpty && removed.count == 3)
        #expect(try FileManager.default.contentsOfDirectory(atPath: layout.runsDirectory.path).sorted() == [runs[3], runs[4]])
    }

    @Test func keepDaysAndKeepRunsKeepWhatEitherKeeps() throws {
        let directory = try TemporaryDirectory()
        let layout = RunLayout(projectDirectory: directory.url)
        let runs = try [10.0, 6, 2.5, 0.2].map { try makeRun(layout, daysAgo: $0, phase: .passed) }
        let byDays = PrunePlan(layout: layout, job: "j", retention: RunRetention(keepAge: 3 * 86_400), now: now)
        #expect(byDays.remove.map(\.runID) == [runs[0], runs[1]])
        #expect(byDays.keep.map(\.reason) == ["started 4.8 h ago", "started 2.5 days ago"])
        let fractional = PrunePlan(layout: layout, job: "j", retention: RunRetention(keepAge: 0.5 * 86_400), now: now)
        #expect(fractional.keep.map(\.runID) == [runs[3]])
        let both = PrunePlan(layout: layout, job: "j", retention: RunRetention(keepRuns: 3, keepAge: 1 * 86_400), now: now)
        #expect(both.remove.map(\.runID) == [runs[0]])
    }

    @Test func theResumableRunAndAStoppedRunningRunAreKept() throws {
        let directory = try TemporaryDirectory()
        let layout = RunLayout(projectDirectory: directory.url)
        let stopped = try makeRun(layout, daysAgo: 9, phase: .running)
        let old = try makeRun(layout, daysAgo: 8, phase: .passed)
        let failed = try makeRun(layout, daysAgo: 7, phase: .failed)
        let latest = try makeRun(layout, daysAgo: 6, phase: .interrupted)
        let plan = PrunePlan(layout: layout, job: "j", retention: RunRetention(keepRuns: 0), now: now)
        #expect(plan.remove.map(\.runID) == [old, failed], "a failed run that --resume can no longer reach goes")
        #expect(plan.keep.map(\.runID) == [latest, stopped])
        #expect(plan.keep[0].reason == "interrupted: the run --resume continues" && plan.keep[0].unfinished)
        #expect(plan.keep[1].reason.hasPrefix("its state says running, but a later run exists") && plan.keep[1].unfinished)
        #expect(RunStateStore(layout: layout).latest(job: "j")?.runID == latest)

        // A run in progress is the latest one and says running.
        let running = try makeRun(layout, daysAgo: 0, phase: .running)
        let during = PrunePlan(layout: layout, job: "j", retention: RunRetention(keepRuns: 0), now: now)
        #expect(during.keep.first?.runID == running)
        #expect(during.keep.first?.reason == "running, or stopped mid-run: the run --resume continues")
        #expect(during.remove.map(\.runID) == [old, failed, latest], "once a later run exists, --resume cannot reach the interrupted one")
    }

    @Test func otherJobsUnattributedAndAirflowFoldersAreLeftAlone() throws {
        let directory = try TemporaryDirectory()
        let layout = RunLayout(projectDirectory: directory.url)
        let mine = try makeRun(layout, daysAgo: 3, phase: .passed)
        let theirs = try makeRun(layout, job: "other", daysAgo: 4, phase: .passed)
        try directory.write("logs/runs/20200101T000000.000Z-dead/01_a.log", "no state\n")
        try directory.write("logs/runs/airflow-manual__2026-11-21T10_00_00/01_a.log", "airflow\n")
        try directory.write("logs/runs/.hidden/x", "")
        // A --tests-only run has a report but no state.
        let testsOnly = RunLayout.newRunID(at: now.addingTimeInterval(-86_400))
        try directory.write("logs/runs/\(testsOnly)/report.json", "{\"job\":\"j\",\"startedAt\":\"\(Timestamp.iso8601(now.addingTimeInterval(-86_400)))\"}")

        let plan = PrunePlan(layout: layout, job: "j", retention: RunRetention(keepRuns: 0), now: now)
        #expect(plan.remove.map(\.runID) == [mine, testsOnly])
        #expect(plan.remove.last?.phase == nil)
        #expect(plan.unattributed == ["20200101T000000.000Z-dead"])
        #expect(plan.airflow == ["airflow-manual__2026-11-21T10_00_00"])
        _ = plan.apply(layout: layout)
        let left = try FileManager.default.contentsOfDirectory(atPath: layout.runsDirectory.path).sorted()
        #expect(left == [".hidden", theirs, "20200101T000000.000Z-dead", "airflow-manual__2026-11-21T10_00_00"].sorted())
    }
}
