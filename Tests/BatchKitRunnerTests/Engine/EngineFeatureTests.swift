@testable import BatchKit
@testable import BatchKitRunner
import Foundation
import TestSupport
import Testing

/// Retries, timeouts, slots, fail-fast, context, resume, cancellation and
/// locking, with real child processes.
@Suite struct EngineFeatureTests {
    func runner(_ steps: [Step], in directory: TemporaryDirectory, executor: (any StepExecutor)? = nil) -> JobRunner {
        JobRunner(job: Job("features", steps: steps), layout: RunLayout(projectDirectory: directory.url), executor: executor, publisher: .some(nil))
    }

    func step(_ id: StepID, _ name: String, after parents: [StepID]? = [], _ command: String, policy: StepPolicy = StepPolicy()) -> Step {
        Step(id: id, name: name, parents: parents, source: "test:\(id)", action: .shell(command), policy: policy)
    }

    func rows(_ directory: TemporaryDirectory) throws -> [ExecutionRecord] {
        try ExecutionLog(url: directory.path("logs/execution_logs.csv")).readAll()
    }

    @Test func retriesKeepEveryAttemptsRowAndLog() async throws {
        let directory = try TemporaryDirectory()
        // Fails twice, then passes; each attempt says which it is.
        let flaky = step(1, "flaky", "n=$(cat tries 2>/dev/null || echo 0); n=$((n+1)); echo $n > tries; echo attempt $n; [ $n -ge 3 ]",
                         policy: StepPolicy(maxAttempts: 3, retryWait: 0.1, backoff: 2))
        let report = try await runner([flaky], in: directory).run()
        #expect(report.status == .pass)
        let attempts = try rows(directory)
        #expect(attempts.map(\.attempt) == [1, 2, 3])
        #expect(attempts.map(\.status) == [.fail, .fail, .pass])
        #expect(attempts[0].logFile.hasSuffix("01_flaky.log"))
        #expect(attempts[1].logFile.hasSuffix("01_flaky.attempt-2.log"))
        for (index, attempt) in attempts.enumerated() {
            #expect(try directory.read(attempt.logFile) == "attempt \(index + 1)\n", "every attempt keeps its own log")
        }
        // Waits of at least 0.1 s, then 0.2 s (backoff 2).
        #expect(attempts[1].startedAt.timeIntervalSince(attempts[0].endedAt) >= 0.1)
        #expect(attempts[2].startedAt.timeIntervalSince(attempts[1].endedAt) >= 0.2)
    }

    @Test func waitsGrowWithBackoff() {
        let policy = StepPolicy(maxAttempts: 4, retryWait: 1.5, backoff: 2)
        #expect([1, 2, 3, 4].map(policy.wait(beforeAttempt:)) == [0, 1.5, 3, 6])
        #expect(StepPolicy(retryWait: 2).wait(beforeAttempt: 4) == 2)
    }

    @Test func aTimeoutKillsTheWholeGroupEvenAGrandchildIgnoringSIGTERM() async throws {
        let directory = try TemporaryDirectory()
        let stubborn = step(
            1, "stubborn", "sh -c 'trap \"\" TERM; echo $$ > grandchild; sleep 60' & trap '' TERM; wait; sleep 60",
            policy: StepPolicy(maxAttempts: 2, timeout: 0.5, killGrace: 0.3))
        let report = try await runner([stubborn, step(2, "after", after: [1], "true")], in: directory).run()
        #expect(report.status == .fail)
        let attempts = try rows(directory).filter { $0.stepID == 1 }
        #expect(attempts.count == 2, "a timeout is retried per the policy")
        #expect(attempts.allSatisfy { $0.reason == .timeout && $0.message.hasPrefix("timed out after 0.50 s") })
        // Killed, not left to its `sleep 60`. The bound is wide because the whole
        // suite starts at once on CI's 2 cores, where spawning alone has taken seconds.
        #expect(attempts.allSatisfy { $0.durationSeconds < 30 }, "\(attempts.map(\.durationSeconds))")
        let grandchild = try #require(pid_t(try directory.read("grandchild").trimmingCharacters(in: .whitespacesAndNewlines)))
        #expect(!isRunning(grandchild), "the grandchild that ignored SIGTERM is gone")
        #expect(try rows(directory).last?.status == .skipped)
    }

    @Test func aProcessThatLeftTheGroupAndBlocksSIGTERMIsStillKilled() async throws {
        guard requireTool("setsid", for: "moving a step's child out of its process group") != nil else { return }
        let directory = try TemporaryDirectory()
        // setsid puts the child in a new session and group, as Foundation's Process does.
        let escaping = step(1, "escapes", "setsid sh -c 'trap \"\" TERM INT; echo $$ > escaped; sleep 60' & sleep 60",
                            policy: StepPolicy(timeout: 0.5, killGrace: 0.2))
        _ = try await runner([escaping], in: directory).run()
        let pid = try #require(pid_t(try directory.read("escaped").trimmingCharacters(in: .whitespacesAndNewlines)))
        #expect(!isRunning(pid), "the escaped process was found by its attempt token and killed")
        #expect(try rows(directory).first?.reason == .timeout)
    }

    @Test func failFastStartsNothingNewAfterAFailure() async throws {
        let directory = try TemporaryDirectory()
        let job = [step(1, "fails", "exit 1"), step(2, "independent", "touch ran")]
        let report = try await runner(job, in: directory).run(RunOptions(jobs: 1, failFast: true))
        #expect(report.status == .fail)
        #expect(!FileManager.default.fileExists(atPath: directory.path("ran").path))
        let skipped = try rows(directory).last
        #expect(skipped?.stepID == 2 && skipped?.status == .skipped && skipped?.reason == .failFast)

        let other = try TemporaryDirectory()
        _ = try await runner(job, in: other).run(RunOptions(jobs: 1))
        #expect(FileManager.default.fileExists(atPath: other.path("ran").path), "without --fail-fast independent branches go on")
    }

    @Test func orderIsKeptThroughStepsLeftOut() throws {
        let graph = try JobGraph(job: Job("j", steps: [
            step(1, "a", "true"), step(2, "b", after: [1], "true"), step(3, "c", after: [2], "true"),
        ]))
        let plan = try RunPlan.make(graph, selection: StepSelection(exclude: [2]))
        #expect(plan.parents(in: graph) == [1: [], 3: [1]])
        #expect(plan.waves(graph) == [[1], [3]])
    }

    @Test func retriesFreeTheirSlotsWhileTheyWait() async throws {
        let directory = try TemporaryDirectory()
        // Step 1 fails once and waits 1 s; at --jobs 1, step 2 runs during that wait.
        let flaky = step(1, "flaky", "[ -f once ] || { touch once; exit 1; }", policy: StepPolicy(maxAttempts: 2, retryWait: 1))
        let other = step(2, "other", "touch other.ran")
        _ = try await runner([flaky, other], in: directory).run(RunOptions(jobs: 1))
        let history = try rows(directory)
        #expect(history.map(\.stepID) == [1, 2, 1])
        #expect(history[1].endedAt < history[2].startedAt)
    }

    @Test func aResumedPartialRunStaysPartial() async throws {
        let directory = try TemporaryDirectory()
        let job = [step(1, "a", "touch a"), step(2, "b", after: [1], "[ -f gate ]"), step(3, "c", after: [2], "touch c")]
        let first = try await runner(job, in: directory).run(RunOptions(selection: StepSelection(only: [2])))
        #expect(first.status == .fail)
        try directory.write("gate", "")
        let resumed = try await runner(job, in: directory).run(RunOptions(resume: true))
        #expect(resumed.status == .pass)
        #expect(!FileManager.default.fileExists(atPath: directory.path("a").path), "step 1 was outside the partial run")
        #expect(!FileManager.default.fileExists(atPath: directory.path("c").path))
    }

    @Test func absurdDurationsAreDefinitionErrors() {
        for policy in [StepPolicy(retryWait: 1e300), StepPolicy(timeout: .infinity), StepPolicy(backoff: 1e300), StepPolicy(retryWait: .nan)] {
            #expect(throws: DefinitionError.self) { try JobGraph(job: Job("j", steps: [step(1, "a", "true", policy: policy)])) }
        }
        #expect(StepPolicy(maxAttempts: 50, retryWait: 100, backoff: 1000).wait(beforeAttempt: 40) == StepPolicy.longest)
    }

    @Test func aStepsCPUsOccupyThatManySlots() async throws {
        let directory = try TemporaryDirectory()
        // The wide step (2 cpus) must never overlap another step at --jobs 2;
        // the two narrow ones may overlap each other.
        let wide = step(1, "wide", "[ -z \"$(ls narrow.* 2>/dev/null)\" ] || touch failed; touch wide; sleep 0.2; rm wide", policy: StepPolicy(cpus: 2))
        let narrow = { (id: StepID) in
            self.step(id, "narrow \(id)", "[ ! -f wide ] || touch failed; touch narrow.\(id); sleep 0.2; [ ! -f wide ] || touch failed; rm narrow.\(id)")
        }
        let report = try await runner([wide, narrow(2), narrow(3)], in: directory).run(RunOptions(jobs: 2))
        #expect(report.status == .pass)
        #expect(!FileManager.default.fileExists(atPath: directory.path("failed").path))
        let order = try rows(directory).sorted { $0.startedAt < $1.startedAt }.map(\.stepID)
        #expect(order.first == 1, "launch order follows ids")
    }

    @Test func moreCPUsThanJobsStillRuns() async throws {
        let directory = try TemporaryDirectory()
        let report = try await runner([step(1, "greedy", "true", policy: StepPolicy(cpus: 8))], in: directory).run(RunOptions(jobs: 2))
        #expect(report.status == .pass)
    }

    @Test func invalidPoliciesAreDefinitionErrors() {
        let job = Job("bad", steps: [
            step(1, "a", "true", policy: StepPolicy(maxAttempts: 0)),
            step(2, "b", "true", policy: StepPolicy(retryWait: -1)),
        ])
        do {
            _ = try JobGraph(job: job)
            Issue.record("expected an error")
        } catch {
            #expect(error.problems.count == 2)
            #expect(error.problems[0].contains("step 01 \"a\"") && error.problems[0].contains("max attempts is 0"))
            #expect(error.problems[1].contains("step 02 \"b\"") && error.problems[1].contains("must not be negative"))
        }
    }

    @Test func resumeRunsOnlyWhatDidNotPassUnderTheSameRunID() async throws {
        let directory = try TemporaryDirectory()
        let job = [
            step(1, "first", "echo x >> first.count"),
            step(2, "needs gate", after: [1], "[ -f gate ]"),
            step(3, "last", after: [2], "echo x >> last.count"),
        ]
        let failed = try await runner(job, in: directory).run()
        #expect(failed.status == .fail)
        try directory.write("gate", "")
        let resumed = try await runner(job, in: directory).run(RunOptions(resume: true))
        #expect(resumed.status == .pass)
        #expect(resumed.runID == failed.runID)
        #expect(try directory.read("first.count") == "x\n", "a step that passed is not rerun")
        #expect(try directory.read("last.count") == "x\n")
        let history = try rows(directory)
        #expect(history.allSatisfy { $0.runID == failed.runID })
        #expect(history.filter { $0.stepID == 2 }.map(\.attempt) == [1, 2])
        #expect(RunStateStore(layout: RunLayout(projectDirectory: directory.url)).load(failed.runID)?.phase == .passed)

        await #expect(throws: NothingToResume.self) { _ = try await runner(job, in: directory).run(RunOptions(resume: true)) }
    }

    @Test func resumeWithNoEarlierRunSaysSo() async throws {
        let directory = try TemporaryDirectory()
        do {
            _ = try await runner([step(1, "a", "true")], in: directory).run(RunOptions(resume: true))
            Issue.record("expected NothingToResume")
        } catch let error as NothingToResume {
            #expect(error.message.contains("has no earlier run"))
        }
    }

    @Test func resumeAfterAnEditRerunsPassesWhoseUpstreamChanged() async throws {
        let directory = try TemporaryDirectory()
        let before = [step(1, "a", "echo a >> log"), step(2, "b", after: [1], "echo b >> log"), step(3, "c", after: [2], "exit 1")]
        _ = try await runner(before, in: directory).run()
        // Edited: a new step 4 becomes b's parent; c is fixed; a is unchanged.
        let after = [
            step(1, "a", "echo a >> log"), step(4, "new", after: [1], "echo new >> log"),
            step(2, "b", after: [1, 4], "echo b >> log"), step(3, "c", after: [2], "echo c >> log"),
        ]
        let plan = try runner(after, in: directory).plan(RunOptions(resume: true)).plan
        #expect(plan.selected == [2, 3, 4])
        #expect(plan.excluded[1]?.isPassedEarlier == true)
        let report = try await runner(after, in: directory).run(RunOptions(resume: true))
        #expect(report.status == .pass)
        #expect(try directory.read("log") == "a\nb\nnew\nb\nc\n")
    }

    @Test func contextFromPassingStepsReachesLaterAttemptsAndTheState() async throws {
        let directory = try TemporaryDirectory()
        let executor = ContextExecutor()
        let job = [step(1, "sets", "true"), step(2, "fails but sets", after: [], "true"), step(3, "reads", after: [1], "true")]
        let report = try await runner(job, in: directory, executor: executor).run(RunOptions(jobs: 1))
        #expect(report.status == .fail)
        #expect(executor.seen(by: 3) == ["from_1": "1"], "step 3 sees what step 1 set, not what failed step 2 set")
        let state = try #require(RunStateStore(layout: RunLayout(projectDirectory: directory.url)).latest())
        #expect(state.context == ["from_1": "1", "from_3": "3"], "the failed step's change is dropped")
    }

    @Test func cancellingStopsRunningStepsAndRecordsThemInterrupted() async throws {
        let directory = try TemporaryDirectory()
        let runner = runner([step(1, "long", "sleep 30"), step(2, "after", after: [1], "true")], in: directory)
        let task = Task { try await runner.run() }
        while (try? rows(directory))?.isEmpty ?? true, !FileManager.default.fileExists(atPath: directory.path("logs/runs").path) {
            try await Task.sleep(for: .milliseconds(20))
        }
        try await Task.sleep(for: .milliseconds(300))
        task.cancel()
        let report = try await task.value
        #expect(report.status == .fail)
        let history = try rows(directory)
        #expect(history.map(\.reason) == [.interrupted, .interrupted])
        #expect(history[0].durationSeconds < 20, "stopped, not left to its `sleep 30` (wide: the whole suite starts at once on 2 cores)")
        #expect(report.notes.first == "interrupted: continue with --resume")
        #expect(RunStateStore(layout: RunLayout(projectDirectory: directory.url)).latest()?.phase == .interrupted)
    }

    @Test func aSecondRunIsRefusedNamingTheHolderAndAStaleLockIsTakenOver() throws {
        let directory = try TemporaryDirectory()
        let layout = RunLayout(projectDirectory: directory.url)
        let held = try RunLock(layout: layout, job: "j", runID: "r1")
        do {
            _ = try RunLock(layout: layout, job: "j", runID: "r2")
            Issue.record("a second lock was granted")
        } catch let busy as RunLock.Busy {
            #expect(busy.description.contains("pid \(getpid()), run r1"))
        }
        withExtendedLifetime(held) {}

        // A lock file left by a process that died holds no lock.
        let other = try TemporaryDirectory()
        try other.write("logs/.j.lock", "pid 99999, run old, started 2020-01-01T00:00:00.000Z\n")
        let taken = try RunLock(layout: RunLayout(projectDirectory: other.url), job: "j", runID: "new")
        #expect(try other.read("logs/.j.lock").contains("run new"))
        withExtendedLifetime(taken) {}
    }
}


/// Reports, for each step, the context it was given; step N sets `from_N`.
/// Step 2 fails, so its change must not reach anyone.
final class ContextExecutor: StepExecutor, @unchecked Sendable {
    private let lock = NSLock()
    private var contexts: [StepID: [String: String]] = [:]

    func seen(by id: StepID) -> [String: String]? { lock.withLock { contexts[id] } }

    func execute(_ attempt: StepAttempt) async -> AttemptOutcome {
        lock.withLock { contexts[attempt.step.id] = attempt.context }
        let passed = attempt.step.id != 2
        return AttemptOutcome(
            status: passed ? .pass : .fail, startedAt: Date(), endedAt: Date(), reason: passed ? .empty : .exit,
            contextChanges: ["from_\(attempt.step.id)": attempt.step.id.description])
    }
}
