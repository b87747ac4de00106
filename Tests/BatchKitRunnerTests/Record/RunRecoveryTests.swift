@testable import BatchKit
@testable import BatchKitRunner
import Foundation
import TestSupport
import Testing

/// What recovery concludes from each possible prefix of a run's writes.
@Suite struct RunRecoveryTests {
    let start = Date(timeIntervalSince1970: 1_800_000_000)

    func state(_ steps: [StepID: RunState.StepState], recordedRows: Int? = 0) -> RunState {
        var state = RunState(runID: "r1", job: "j", startedAt: start, steps: [])
        for (id, step) in steps { state[step: id] = step }
        state.recordedRows = recordedRows
        return state
    }

    func row(_ id: StepID, _ attempt: Int, _ status: Status) -> ExecutionRecord {
        ExecutionRecord(runID: "r1", job: "j", stepID: id, stepName: "s\(id)", attempt: attempt, status: status,
                        startedAt: start, endedAt: start.addingTimeInterval(1))
    }

    @Test func rowsTheJournalHasAndTheCSVLacksAreAddedInOrder() {
        let loaded = RunStateStore.Loaded(
            state: state([1: .init(name: "s1", status: .pass, attempts: 1), 2: .init(name: "s2", status: .pass, attempts: 2)]),
            journalRows: [row(1, 1, .pass), row(2, 1, .fail), row(2, 2, .pass)], journalLines: 5)
        let recovery = RunRecovery(loaded: loaded, history: [row(1, 1, .pass)])
        #expect(recovery.missingRows == [row(2, 1, .fail), row(2, 2, .pass)])
        #expect(recovery.lostRows.isEmpty)
        #expect(recovery.rows.count == 3)
    }

    @Test func nothingIsAddedTwice() {
        let rows = [row(1, 1, .pass)]
        let loaded = RunStateStore.Loaded(state: state([1: .init(name: "s1", status: .pass, attempts: 1)]), journalRows: rows, journalLines: 2)
        #expect(RunRecovery(loaded: loaded, history: rows).missingRows.isEmpty)
        // After a snapshot that counted the row, the journal starts empty.
        let compacted = RunStateStore.Loaded(state: state([1: .init(name: "s1", status: .pass, attempts: 1)], recordedRows: 1), journalRows: [], journalLines: 0)
        #expect(RunRecovery(loaded: compacted, history: rows).missingRows.isEmpty)
    }

    @Test func anAttemptRunningWhenTheRunnerDiedIsLostWithItsRealStartAndLog() throws {
        var running = RunState.StepState(name: "s2", status: .running, attempts: 3)
        running.startedAt = start.addingTimeInterval(42)
        running.logFile = "logs/runs/r1/02_s2.attempt-3.log"
        let loaded = RunStateStore.Loaded(state: state([2: running]), journalRows: [], journalLines: 1)
        let recovery = RunRecovery(loaded: loaded, history: [], now: start.addingTimeInterval(100))
        let lost = try #require(recovery.lostRows.first as ExecutionRecord?)
        #expect(lost.attempt == 3 && lost.reason == .runnerDied && lost.status == .fail)
        #expect(lost.startedAt == start.addingTimeInterval(42))
        #expect(lost.logFile == "logs/runs/r1/02_s2.attempt-3.log")
        #expect(recovery.state[step: 2]?.status == .fail)
    }

    @Test func attemptNumbersContinueFromTheHighestRecorded() {
        // The state could not be saved after attempt 2 started (disk full), but the CSV has it.
        let loaded = RunStateStore.Loaded(state: state([2: .init(name: "s2", status: .fail, attempts: 1)], recordedRows: nil), journalRows: [], journalLines: 0)
        let recovery = RunRecovery(loaded: loaded, history: [row(2, 1, .fail), row(2, 2, .fail)])
        #expect(recovery.state[step: 2]?.attempts == 2)
    }

    @Test func aRecorderKilledBetweenJournalAndCSVIsCompletedOnResume() throws {
        let directory = try TemporaryDirectory()
        let layout = RunLayout(projectDirectory: directory.url)
        let recorder = try RunRecorder.start(state([1: .init(name: "s1")]), layout: layout)
        try recorder.commit(rows: [row(1, 1, .pass)]) { $0[step: 1]?.status = .pass }
        // Undo the CSV append, as if the runner died between the two writes.
        try FileManager.default.removeItem(at: layout.executionLog)
        let (resumed, rows) = try RunRecorder.resume("r1", layout: layout)
        #expect(rows == [row(1, 1, .pass)])
        #expect(try ExecutionLog(url: layout.executionLog).readAll() == [row(1, 1, .pass)])
        #expect(resumed.state.resumes == 1 && resumed.state[step: 1]?.status == .pass)
    }

    @Test func aJournalLeftBesideANewerSnapshotIsNotReplayed() throws {
        let directory = try TemporaryDirectory()
        let layout = RunLayout(projectDirectory: directory.url)
        let recorder = try RunRecorder.start(state([1: .init(name: "s1")]), layout: layout)
        try recorder.commit(rows: [row(1, 1, .pass)]) { $0[step: 1]?.status = .pass }
        let journal = try Data(contentsOf: layout.stateJournal("r1"))
        try recorder.finish(phase: .passed)
        // A crash between the snapshot's rename and the journal's removal.
        try journal.write(to: layout.stateJournal("r1"))
        let loaded = try #require(try RunStateStore(layout: layout).loadWithJournal("r1"))
        #expect(loaded.journalRows.isEmpty && loaded.state.phase == .passed)
        #expect(RunRecovery(loaded: loaded, history: [row(1, 1, .pass)]).missingRows.isEmpty)
    }

    @Test func aTornJournalLineDoesNotSwallowTheNextOne() throws {
        let directory = try TemporaryDirectory()
        let layout = RunLayout(projectDirectory: directory.url)
        let recorder = try RunRecorder.start(state([1: .init(name: "s1"), 2: .init(name: "s2")]), layout: layout)
        try recorder.commit(rows: [row(1, 1, .pass)]) { $0[step: 1]?.status = .pass }
        let handle = try FileHandle(forWritingTo: layout.stateJournal("r1"))
        try handle.seekToEnd()
        try handle.write(contentsOf: Data("{\"steps\":{\"2\":{\"na".utf8))
        try handle.close()
        let (resumed, _) = try RunRecorder.resume("r1", layout: layout)
        try resumed.commit(rows: [row(2, 1, .pass)]) { $0[step: 2]?.status = .pass }
        let loaded = try #require(try RunStateStore(layout: layout).loadWithJournal("r1"))
        #expect(loaded.state[step: 2]?.status == .pass)
        #expect(loaded.state.resumes == 1)
        #expect(loaded.journalRows == [row(1, 1, .pass), row(2, 1, .pass)])
    }

    /// Each resume notes when its session started, in the journal, so the
    /// report can draw every session's attempts.
    @Test func eachResumeRecordsWhenItsSessionStarted() throws {
        let directory = try TemporaryDirectory()
        let layout = RunLayout(projectDirectory: directory.url)
        let first = state([1: .init(name: "s1")])
        _ = try RunRecorder.start(first, layout: layout)
        _ = try RunRecorder.resume("r1", layout: layout)
        let (again, _) = try RunRecorder.resume("r1", layout: layout)
        let loaded = try #require(try RunStateStore(layout: layout).loadWithJournal("r1"))
        let starts = try #require(loaded.state.sessionStarts)
        #expect(starts.count == 3 && starts[0] == first.startedAt && starts[1] <= starts[2])
        let kept = try #require(again.state.sessionStarts)
        #expect(kept.count == 3 && zip(kept, starts).allSatisfy { abs($0.timeIntervalSince($1)) < 0.001 }, "what the journal replays is what the run holds")
    }

    @Test func rowsAFinishedRunCouldNotWriteAreAddedBeforeTheNextRun() throws {
        let directory = try TemporaryDirectory()
        let layout = RunLayout(projectDirectory: directory.url)
        let recorder = try RunRecorder.start(state([1: .init(name: "s1")]), layout: layout)
        try recorder.commit(rows: [row(1, 1, .pass)]) { $0[step: 1]?.status = .pass }
        try recorder.commit { $0.phase = .passed }
        // The CSV lost the row (its append failed); the journal has it.
        try FileManager.default.removeItem(at: layout.executionLog)
        let note = try #require(RunRecorder.closeAbandoned(layout, job: "j"))
        #expect(note.contains("1 row(s) of run r1"))
        #expect(try ExecutionLog(url: layout.executionLog).readAll() == [row(1, 1, .pass)])
        #expect(RunStateStore(layout: layout).load("r1")?.phase == .passed)
        #expect(!FileManager.default.fileExists(atPath: layout.stateJournal("r1").path))
    }

    @Test func anOutcomeOnlyTheCSVHasIsTakenNotLost() {
        let loaded = RunStateStore.Loaded(state: state([1: .init(name: "s1", status: .running, attempts: 1)]), journalRows: [], journalLines: 1)
        let recovery = RunRecovery(loaded: loaded, history: [row(1, 1, .pass)])
        #expect(recovery.lostRows.isEmpty && recovery.state[step: 1]?.status == .pass)
    }

    @Test func aResumePlansFromTheRecoveredStateNotTheJournalAlone() throws {
        let directory = try TemporaryDirectory()
        let layout = RunLayout(projectDirectory: directory.url)
        let job = Job("j", steps: [shellStep(1, "s1", after: [], "true"), shellStep(2, "s2", after: [1], "true")])
        let recorder = try RunRecorder.start(RunState(runID: "r1", job: "j", startedAt: start, steps: job.steps), layout: layout)
        try recorder.commit { $0[step: 1]?.status = .running; $0[step: 1]?.attempts = 1 }
        // The journal could not take step 1's outcome; the CSV did.
        try ExecutionLog(url: layout.executionLog).append([row(1, 1, .pass)])
        let planned = try JobRunner(job: job, layout: layout, publisher: .some(nil)).plan(RunOptions(resume: true))
        #expect(planned.plan.selected == [2])
        #expect(planned.plan.excluded[1]?.isPassedEarlier == true)
    }
}
