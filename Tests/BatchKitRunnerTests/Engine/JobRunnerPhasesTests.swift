@testable import BatchKit
@testable import BatchKitRunner
import Foundation
import TestSupport
import Testing

/// The phases of `JobRunner.run`, each on its own.
@Suite struct JobRunnerPhasesTests {
    /// Collects the notices a run sends.
    actor Notices: RunNoticeObserver {
        var sent: [RunNotice] = []
        func send(_ notice: RunNotice) async -> [String] {
            sent.append(notice)
            return []
        }
    }

    func runner(_ directory: TemporaryDirectory, steps: [Step] = [shellStep(1, "a", "true")], tests: [Check] = []) -> JobRunner {
        JobRunner(job: Job("phases", steps: steps, tests: tests), layout: RunLayout(projectDirectory: directory.url), publisher: .some(nil))
    }

    @Test func admitRefusedByTheLockLeavesOneNotStartedRowAndANotice() async throws {
        let directory = try TemporaryDirectory()
        let runner = runner(directory)
        let held = try RunLock(layout: runner.layout, job: "phases", runID: "holder")
        let notices = Notices()
        await #expect(throws: RunLock.Busy.self) {
            _ = try await runner.admit(RunOptions(), resumedRunID: nil, notifier: notices, observer: { _ in })
        }
        withExtendedLifetime(held) {}
        let rows = try ExecutionLog(url: runner.layout.executionLog).readAll()
        #expect(rows.count == 1 && rows[0].stepID == ExecutionRecord.runStepID && rows[0].reason == .locked)
        #expect(await notices.sent.map(\.status) == ["refused"])
    }

    @Test func admitWaitsForItsFilesAndSaysSo() async throws {
        let directory = try TemporaryDirectory()
        let runner = runner(directory)
        try directory.write("ready.flag", "")
        let admission = try await runner.admit(
            RunOptions(waitFor: WaitCondition(paths: ["ready.flag"])), resumedRunID: nil, notifier: Notices(), observer: { _ in })
        #expect(admission.waitNote == nil, "the file was there: no wait")
        withExtendedLifetime(admission.lock) {}

        let other = try TemporaryDirectory()
        let waiting = self.runner(other)
        let timedOut = RunOptions(waitFor: WaitCondition(paths: ["missing.flag"], timeout: 0.1, pollInterval: 0.02))
        await #expect(throws: WaitTimedOut.self) {
            _ = try await waiting.admit(timedOut, resumedRunID: nil, notifier: Notices(), observer: { _ in })
        }
        let rows = try ExecutionLog(url: waiting.layout.executionLog).readAll()
        #expect(rows.map(\.reason) == [.waitTimeout])
    }

    @Test func openStartsAFreshRunWithASnapshot() async throws {
        let directory = try TemporaryDirectory()
        let runner = runner(directory)
        let (graph, plan, _) = try runner.plan(RunOptions())
        let admission = try await runner.admit(RunOptions(), resumedRunID: nil, notifier: Notices(), observer: { _ in })
        let session = try runner.open(RunOptions(), graph: graph, plan: plan, resumed: nil, admission: admission)
        #expect(session.runID == admission.runID && !session.resumed)
        let saved = try #require(RunStateStore(layout: runner.layout).load(session.runID))
        #expect(saved.phase == .running && saved.recordedRows == 0)
        withExtendedLifetime(admission.lock) {}
    }

    @Test func runTestsRecordsSkippedRowsWhenAStepFailedAndCloseWritesThemAfterThePhase() async throws {
        let directory = try TemporaryDirectory()
        let check = Check("never runs") { _ in "ok" }
        let runner = runner(directory, steps: [shellStep(1, "fails", "false")], tests: [check])
        let (graph, plan, _) = try runner.plan(RunOptions())
        let admission = try await runner.admit(RunOptions(), resumedRunID: nil, notifier: Notices(), observer: { _ in })
        var session = try runner.open(RunOptions(), graph: graph, plan: plan, resumed: nil, admission: admission)
        session.steps = try await runner.execute(session, graph: graph, plan: plan, options: RunOptions(), cache: nil, observer: { _ in })
        await runner.runTests(&session)
        #expect(session.tests.isEmpty && session.testsNotRun == "a step did not pass, so the outputs are not this run's")
        #expect(session.testRows.map(\.status) == [.skipped])
        runner.close(&session, options: RunOptions())
        #expect(RunStateStore(layout: runner.layout).load(session.runID)?.phase == .failed)
        let results = try String(contentsOf: runner.layout.testResults, encoding: .utf8)
        #expect(results.contains("never runs,SKIPPED"))
        withExtendedLifetime(admission.lock) {}
    }

    @Test func notifySendsTheFinalNoticeWithTheFailedSteps() async throws {
        let directory = try TemporaryDirectory()
        let notices = Notices()
        let runner = runner(directory, steps: [shellStep(1, "fails", "exit 3")])
        _ = try await runner.run(RunOptions(notices: notices))
        let sent = await notices.sent
        #expect(sent.map(\.event) == [.start, .failure])
        #expect(sent.last?.failedSteps.map(\.reason) == [.exit])
    }
}
