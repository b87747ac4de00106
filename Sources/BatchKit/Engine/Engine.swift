import Foundation

/// The scheduler: runs the planned steps of a validated ``JobGraph``.
///
/// - A step is ready when every parent in the plan has passed; among ready
///   steps the lowest id launches first, as long as its `cpus` fit in the
///   free slots of `jobs`.
/// - A failed attempt is retried per the step's policy; during the wait its
///   slots are free for others, then it queues up again by its id. When its
///   attempts are used up, every step that depends on it is SKIPPED and
///   independent branches go on — unless `failFast`, which starts no new
///   steps (retries of steps already started go on).
/// - Cancelling the task (Ctrl-C) stops the running attempts (SIGTERM, then
///   SIGKILL) and launches nothing more; what did not run is SKIPPED.
///
/// Every attempt and every skip is appended to the CSV history the moment it
/// happens, and the run's state is saved durably after every change, so a
/// runner killed at any moment loses nothing and can be resumed.
public struct Engine: Sendable {
    public let job: Job
    public let graph: JobGraph
    public let layout: RunLayout
    public let executor: any StepExecutor
    /// How many slots (steps × cpus) may be busy at once.
    public let jobs: Int
    /// Stop launching new steps after the first failure.
    public let failFast: Bool

    public init(job: Job, graph: JobGraph, layout: RunLayout, executor: any StepExecutor, jobs: Int, failFast: Bool = false) {
        self.job = job
        self.graph = graph
        self.layout = layout
        self.executor = executor
        self.jobs = max(1, jobs)
        self.failFast = failFast
    }

    /// What one child task of the run reports back.
    private enum Completion: Sendable {
        case attempt(ExecutionRecord, contextChanges: [String: String], retryable: Bool)
        /// A failed step's wait before its next attempt is over (or was cancelled).
        case retryDue(stepID: Int)
    }

    /// Runs the planned steps.
    ///
    /// - Parameters:
    ///   - plan: Which steps to run.
    ///   - state: The run's state: a fresh one, or a resumed run's. It is
    ///     updated, saved after every change and returned.
    ///   - observer: Told of each start and end, for progress display.
    /// - Returns: What happened to each planned step in this session, and the final state.
    public func run(
        plan: RunPlan, state initial: RunState, observer: @escaping @Sendable (RunEvent) -> Void = { _ in }
    ) async -> (steps: [StepRun], state: RunState) {
        var state = initial
        let runID = state.runID
        let history = ExecutionLog(url: layout.executionLog)
        let store = RunStateStore(layout: layout)
        let planned = Set(plan.selected)

        func save() {
            do { try store.save(state) } catch { observer(.warning("cannot save the run state: \(ErrorDescription.of(error))")) }
        }
        var records: [Int: [ExecutionRecord]] = [:]
        func record(_ entry: ExecutionRecord, retryIn: Double? = nil) {
            records[entry.stepID, default: []].append(entry)
            do { try history.append([entry]) } catch { observer(.warning(ErrorDescription.of(error))) }
            observer(retryIn.map { .attemptFailed(entry, retryIn: $0) } ?? .finished(entry))
        }
        func skip(_ id: Int, reason: String, message: String) {
            guard let step = graph.step(id), records[id] == nil else { return }
            let now = Date()
            state[step: id]?.status = .skipped
            record(ExecutionRecord(
                runID: runID, job: job.name, stepID: id, stepName: step.name, attempt: 0, status: .skipped,
                startedAt: now, endedAt: now, reason: reason, message: message))
        }

        let parents = plan.parents(in: graph)
        var children: [Int: [Int]] = [:]
        for (id, list) in parents { for parent in list { children[parent, default: []].append(id) } }
        var waiting: [Int: Int] = [:]
        for id in plan.selected { waiting[id] = parents[id]?.count ?? 0 }
        var ready = plan.selected.filter { waiting[$0] == 0 }  // ascending
        var busySlots = 0
        var sessionAttempts: [Int: Int] = [:]
        var retrying: Set<Int> = []
        var stopReason: String?
        for id in plan.selected { state[step: id] = RunState.StepState(name: graph.step(id)?.name ?? "", attempts: state[step: id]?.attempts ?? 0) }
        save()
        observer(.planned(count: plan.selected.count))

        await withTaskGroup(of: Completion.self) { group in
            func slots(_ step: Step) -> Int { min(step.policy.cpus, jobs) }

            func launch(_ step: Step) {
                let number = (state[step: step.id]?.attempts ?? 0) + 1
                state[step: step.id]?.attempts = number
                state[step: step.id]?.status = .running
                sessionAttempts[step.id, default: 0] += 1
                save()
                let attempt = StepAttempt(
                    job: job.name, runID: runID, step: step, attempt: number,
                    logFile: layout.stepLog(runID: runID, step: step, attempt: number),
                    resultFile: layout.stateDirectory(runID).appendingPathComponent("\(step.id).attempt-\(number).json"),
                    context: state.context, layout: layout, parameters: state.parameters ?? [:])
                try? FileManager.default.removeItem(at: attempt.progressFile)
                observer(.started(step: step, attempt: number, progressFile: attempt.progressFile))
                group.addTask { [executor, layout] in
                    let outcome = await executor.execute(attempt)
                    let entry = ExecutionRecord(
                        runID: runID, job: attempt.job, step: step, attempt: number, outcome: outcome,
                        logFile: layout.relative(attempt.logFile))
                    return .attempt(entry, contextChanges: outcome.contextChanges, retryable: outcome.retryable)
                }
            }

            // Lowest id first, and no step jumps ahead of one waiting for
            // enough free slots. After --fail-fast stops the run, only retries
            // of steps already started go on.
            func launchReady() {
                guard !Task.isCancelled else { return }
                var index = 0
                while index < ready.count {
                    let id = ready[index]
                    guard let step = graph.step(id) else { ready.remove(at: index); continue }
                    if stopReason != nil, !retrying.contains(id) { index += 1; continue }
                    guard busySlots + slots(step) <= jobs else { return }
                    ready.remove(at: index)
                    retrying.remove(id)
                    busySlots += slots(step)
                    launch(step)
                }
            }

            func finish(_ id: Int, passed: Bool, holdsSlots: Bool = true) {
                guard let step = graph.step(id) else { return }
                if holdsSlots { busySlots -= slots(step) }
                state[step: id]?.status = passed ? .pass : .fail
                save()
                if passed {
                    for child in children[id] ?? [] where records[child] == nil {
                        waiting[child, default: 1] -= 1
                        if waiting[child] == 0 {
                            ready.insert(child, at: ready.firstIndex(partitionedBy: { $0 > child }))
                        }
                    }
                    return
                }
                let descendants = graph.descendants(of: id).filter(planned.contains)
                executor.abandon(descendants.filter { records[$0] == nil })
                for descendant in descendants {
                    ready.removeAll { $0 == descendant }
                    let interrupted = Task.isCancelled
                    skip(descendant, reason: interrupted ? "interrupted" : "upstream failed",
                         message: "step \(step.displayID) \"\(step.name)\" \(interrupted ? "was interrupted" : "failed")")
                }
                save()
                if failFast, stopReason == nil {
                    stopReason = "fail-fast"
                    executor.abandon(plan.selected.filter { sessionAttempts[$0] == nil && records[$0] == nil })
                }
            }

            launchReady()
            while let completion = await group.next() {
                switch completion {
                case .retryDue(let id):
                    if Task.isCancelled {
                        finish(id, passed: false, holdsSlots: false)
                    } else {
                        retrying.insert(id)
                        ready.insert(id, at: ready.firstIndex(partitionedBy: { $0 > id }))
                    }
                case .attempt(let entry, let changes, let retryable):
                    guard let step = graph.step(entry.stepID) else { continue }
                    if entry.status == .pass {
                        record(entry)
                        for (key, value) in changes { state.context[key] = value }
                        finish(step.id, passed: true)
                    } else if entry.reason != "interrupted", retryable, !Task.isCancelled,
                              sessionAttempts[step.id, default: 0] < step.policy.maxAttempts {
                        // Wait without holding slots, then queue up again.
                        let wait = step.policy.wait(beforeAttempt: sessionAttempts[step.id, default: 0] + 1)
                        record(entry, retryIn: wait)
                        busySlots -= slots(step)
                        state[step: step.id]?.status = .pending
                        save()
                        group.addTask {
                            try? await Task.sleep(for: .seconds(wait))
                            return .retryDue(stepID: step.id)
                        }
                    } else {
                        record(entry)
                        finish(step.id, passed: false)
                    }
                }
                launchReady()
            }
        }

        // A step stopped while waiting to retry ends with its last attempt.
        for id in plan.selected where state[step: id]?.status == .pending && records[id] != nil {
            state[step: id]?.status = .fail
        }
        // Whatever was planned but never started: the run was stopped.
        let why = Task.isCancelled ? "interrupted" : (stopReason ?? "not run")
        for id in plan.selected where records[id] == nil {
            skip(id, reason: why, message: why == "fail-fast" ? "not started: --fail-fast after a failure" : "not started: the run was stopped")
        }
        save()
        let steps = plan.selected.compactMap { id in
            graph.step(id).map { StepRun(stepID: id, name: $0.name, records: records[id] ?? []) }
        }
        return (steps, state)
    }
}
