@testable import BatchKit
@testable import BatchKitRunner
import Foundation
import TestSupport
import Testing

/// The scheduling rules, case by case, with no process started.
@Suite struct SchedulerTests {
    func scheduler(_ steps: [Step], jobs: Int = 2, failFast: Bool = false) throws -> Scheduler {
        let graph = try JobGraph(job: Job("j", steps: steps))
        return Scheduler(graph: graph, plan: RunPlan.all(graph), jobs: jobs, failFast: failFast)
    }

    @Test func readyStepsLaunchLowestIDFirstWithinTheSlots() throws {
        var scheduler = try scheduler([
            shellStep(1, "a", after: [], "true"), shellStep(2, "b", after: [], "true"), shellStep(3, "c", after: [], "true"),
        ])
        #expect(scheduler.launchable().map(\.stepID) == [1, 2])
        #expect(scheduler.launchable().isEmpty)
        #expect(scheduler.attemptEnded(2, passed: true, retryable: true) == .passed)
        #expect(scheduler.launchable().map(\.stepID) == [3])
    }

    @Test func aChildWaitsForEveryParent() throws {
        var scheduler = try scheduler([
            shellStep(1, "a", after: [], "true"), shellStep(2, "b", after: [], "true"), shellStep(3, "join", after: [1, 2], "true"),
        ])
        _ = scheduler.launchable()
        _ = scheduler.attemptEnded(1, passed: true, retryable: true)
        #expect(scheduler.launchable().isEmpty)
        _ = scheduler.attemptEnded(2, passed: true, retryable: true)
        #expect(scheduler.launchable().map(\.stepID) == [3])
    }

    @Test func aFailureIsRetriedThenSkipsItsDescendants() throws {
        let retried = Step(id: 1, name: "a", parents: [], source: "", action: .shell("false"), policy: StepPolicy(maxAttempts: 2))
        var scheduler = try scheduler([retried, shellStep(2, "b", after: [1], "true"), shellStep(3, "c", after: [2], "true")])
        #expect(scheduler.launchable().map(\.attempt) == [1])
        #expect(scheduler.attemptEnded(1, passed: false, retryable: true) == .retry(wait: 0))
        #expect(scheduler.retryDue(1, cancelled: false) == nil)
        #expect(scheduler.launchable().map(\.attempt) == [2])
        #expect(scheduler.attemptEnded(1, passed: false, retryable: true) == .failed(skip: [2, 3], abandon: [2, 3]))
        #expect(scheduler.notStarted().isEmpty)
    }

    @Test func anInterruptedAttemptIsNotRetried() throws {
        let retried = Step(id: 1, name: "a", parents: [], source: "", action: .shell("false"), policy: StepPolicy(maxAttempts: 3))
        var scheduler = try scheduler([retried])
        _ = scheduler.launchable()
        #expect(scheduler.attemptEnded(1, passed: false, retryable: false) == .failed(skip: [], abandon: []))
    }

    @Test func failFastStartsNothingNew() throws {
        var scheduler = try scheduler([
            shellStep(1, "a", after: [], "false"), shellStep(2, "b", after: [], "true"), shellStep(3, "c", after: [], "true"),
        ], jobs: 2, failFast: true)
        #expect(scheduler.launchable().map(\.stepID) == [1, 2])
        #expect(scheduler.attemptEnded(1, passed: false, retryable: true) == .failed(skip: [], abandon: [3]))
        #expect(scheduler.launchable().isEmpty)
        #expect(scheduler.stopReason == .failFast)
        _ = scheduler.attemptEnded(2, passed: true, retryable: true)
        #expect(scheduler.notStarted() == [3])
    }

    @Test func attemptNumbersContinueAResumedRun() throws {
        let graph = try JobGraph(job: Job("j", steps: [shellStep(1, "a", after: [], "true")]))
        var scheduler = Scheduler(graph: graph, plan: RunPlan.all(graph), jobs: 1, failFast: false, attempts: [1: 3])
        #expect(scheduler.launchable().map(\.attempt) == [4])
    }
}
