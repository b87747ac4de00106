import BatchKit
/// The scheduling decisions of one run, as a value: which planned steps may
/// start, what a failure skips, when a step is tried again. It does no I/O;
/// ``Engine`` drives it with what happens and carries out what it answers,
/// so every rule can be tested case by case.
///
/// - A step is ready when every parent in the plan has passed; among ready
///   steps the lowest id launches first, as long as its `cpus` fit in the
///   free slots, and no step jumps ahead of one waiting for enough slots.
/// - A failed attempt is retried while attempts remain; during the wait its
///   slots are free, then it queues up again by its id.
/// - A final failure skips every planned descendant; with `failFast` no new
///   step starts (retries of steps already started go on).
struct Scheduler: Sendable {
    /// What to do after an attempt ended.
    enum Decision: Equatable, Sendable {
        /// The step passed; its children may now be ready.
        case passed
        /// Try again after `wait` seconds (slots are released meanwhile).
        case retry(wait: Double)
        /// The step failed for good: skip `skip` (planned descendants not yet
        /// run) and tell the executor to drop `abandon`.
        case failed(skip: [StepID], abandon: [StepID])
    }

    private let graph: JobGraph
    private let planned: [StepID]
    private let plannedSet: Set<StepID>
    private let jobs: Int
    private let failFast: Bool
    private var children: [StepID: [StepID]] = [:]
    private var waiting: [StepID: Int] = [:]
    /// Ready steps, ascending.
    private var ready: [StepID]
    private var busySlots = 0
    /// Attempts each step has made in this run (across resumes).
    private(set) var attempts: [StepID: Int]
    /// Attempts made in this session, for the retry limit.
    private var sessionAttempts: [StepID: Int] = [:]
    private var retrying: Set<StepID> = []
    /// Steps that reached an end in this session (passed, failed, skipped).
    private(set) var ended: Set<StepID> = []
    /// Why no new step starts (`fail-fast`), if so.
    private(set) var stopReason: FailureReason?

    /// - Parameters:
    ///   - attempts: Attempts each step made before this session (a resume).
    init(graph: JobGraph, plan: RunPlan, jobs: Int, failFast: Bool, attempts: [StepID: Int] = [:]) {
        self.graph = graph
        self.planned = plan.selected
        self.plannedSet = Set(plan.selected)
        self.jobs = max(1, jobs)
        self.failFast = failFast
        self.attempts = attempts
        let parents = plan.parents(in: graph)
        var children: [StepID: [StepID]] = [:]
        for (id, list) in parents { for parent in list { children[parent, default: []].append(id) } }
        self.children = children
        var waiting: [StepID: Int] = [:]
        for id in plan.selected { waiting[id] = parents[id]?.count ?? 0 }
        self.waiting = waiting
        ready = plan.selected.filter { waiting[$0] == 0 }
    }

    private func slots(_ id: StepID) -> Int { min(graph.step(id)?.policy.cpus ?? 1, jobs) }

    /// Takes the steps that may launch now, with their attempt numbers.
    mutating func launchable() -> [(stepID: StepID, attempt: Int)] {
        var launches: [(stepID: StepID, attempt: Int)] = []
        var index = 0
        while index < ready.count {
            let id = ready[index]
            if stopReason != nil, !retrying.contains(id) { index += 1; continue }
            guard busySlots + slots(id) <= jobs else { break }
            ready.remove(at: index)
            retrying.remove(id)
            busySlots += slots(id)
            let number = attempts[id, default: 0] + 1
            attempts[id] = number
            sessionAttempts[id, default: 0] += 1
            launches.append((id, number))
        }
        return launches
    }

    /// An attempt of `stepID` ended.
    ///
    /// - Parameters:
    ///   - retryable: Another attempt could help (not an interruption, not a
    ///     cluster job cancelled as a whole).
    mutating func attemptEnded(_ stepID: StepID, passed: Bool, retryable: Bool) -> Decision {
        busySlots -= slots(stepID)
        if passed {
            ended.insert(stepID)
            for child in children[stepID] ?? [] where !ended.contains(child) {
                waiting[child, default: 1] -= 1
                if waiting[child] == 0 { insertReady(child) }
            }
            return .passed
        }
        if retryable, let step = graph.step(stepID), sessionAttempts[stepID, default: 0] < step.policy.maxAttempts {
            return .retry(wait: step.policy.wait(beforeAttempt: sessionAttempts[stepID, default: 0] + 1))
        }
        return fail(stepID)
    }

    /// A step's wait before its next attempt is over; with `cancelled`, the
    /// run was stopped meanwhile and the step fails with its last attempt.
    mutating func retryDue(_ stepID: StepID, cancelled: Bool) -> Decision? {
        guard !cancelled else { return fail(stepID) }
        retrying.insert(stepID)
        insertReady(stepID)
        return nil
    }

    private mutating func fail(_ stepID: StepID) -> Decision {
        ended.insert(stepID)
        let descendants = graph.descendants(of: stepID).filter { plannedSet.contains($0) && !ended.contains($0) }
        ready.removeAll { descendants.contains($0) }
        ended.formUnion(descendants)
        var abandon = descendants
        if failFast, stopReason == nil {
            stopReason = .failFast
            abandon += planned.filter { sessionAttempts[$0] == nil && !ended.contains($0) }
        }
        return .failed(skip: descendants.sorted(), abandon: abandon)
    }

    /// Planned steps that never started, once nothing more can run.
    mutating func notStarted() -> [StepID] {
        let left = planned.filter { !ended.contains($0) && sessionAttempts[$0] == nil }
        ended.formUnion(left)
        return left
    }

    private mutating func insertReady(_ id: StepID) {
        ready.insert(id, at: ready.firstIndex(partitionedBy: { $0 > id }))
    }
}
