import BatchKit
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation

/// Runs the planned steps of a validated ``JobGraph``: a thin async loop that
/// carries out what the ``Scheduler`` decides, hands attempts to the
/// ``StepExecutor`` and records everything through the ``RunRecorder``.
///
/// An attempt's start is recorded before it is launched, and its outcome
/// (with the context it set) before anything else is launched, so a runner
/// killed at any moment loses nothing and can be resumed. Starts and
/// outcomes that happen together share one journal line (``CommitBatch``).
///
/// Cancelling the task (Ctrl-C) stops the running attempts (the executor
/// sends SIGTERM, then SIGKILL) and launches nothing more; what did not run
/// is SKIPPED.
public struct Engine: Sendable {
    public let job: Job
    public let graph: JobGraph
    public let executor: any StepExecutor
    public let recorder: RunRecorder
    /// How many slots (steps × cpus) may be busy at once.
    public let jobs: Int
    /// Stop launching new steps after the first failure.
    public let failFast: Bool
    /// Finding steps up to date as they become ready, and recording what
    /// each pass depended on; `nil` for neither.
    public let caching: Caching?

    /// How a run uses the step cache while it goes on.
    public struct Caching: Sendable {
        public let cache: StepCache
        /// The context the run started with that no step of it set.
        public let base: [String: String]
        /// Whether a step is checked once it is ready, after the parents
        /// that ran (a local run). A cluster that submitted the whole plan
        /// ahead only records entries.
        public let checksWhenReady: Bool

        public init(cache: StepCache, base: [String: String], checksWhenReady: Bool) {
            self.cache = cache
            self.base = base
            self.checksWhenReady = checksWhenReady
        }
    }

    public init(
        job: Job, graph: JobGraph, executor: any StepExecutor, recorder: RunRecorder, jobs: Int, failFast: Bool = false,
        caching: Caching? = nil
    ) {
        self.job = job
        self.graph = graph
        self.executor = executor
        self.recorder = recorder
        self.jobs = max(1, jobs)
        self.failFast = failFast
        self.caching = caching
    }

    /// What one child task of the run reports back.
    private enum Completion: Sendable {
        case attempt(ExecutionRecord, contextChanges: [String: String], retryable: Bool)
        /// A failed step's wait before its next attempt is over (or was cancelled).
        case retryDue(stepID: StepID)
    }

    /// Runs the planned steps.
    ///
    /// What happens at once is recorded at once (``CommitBatch``): the
    /// completions that arrived together and the skips they cause are one
    /// journal line and one CSV append; the starts they allow, one more
    /// journal line. One `fsync` of the journal makes both durable before
    /// anything is launched; the CSV's is made while the launched steps
    /// run; both before the engine waits again.
    ///
    /// - Parameters:
    ///   - plan: Which steps to run.
    ///   - observer: Told of each start and end, for progress display.
    /// - Returns: What happened to each planned step in this session.
    public func run(plan: RunPlan, observer: @escaping @Sendable (RunEvent) -> Void = { _ in }) async -> [StepRun] {
        let layout = recorder.layout
        let runID = recorder.state.runID
        var records: [StepID: [ExecutionRecord]] = [:]
        var scheduler = Scheduler(
            graph: graph, plan: plan, jobs: jobs, failFast: failFast,
            attempts: Dictionary(uniqueKeysWithValues: plan.selected.map { ($0, recorder.state[step: $0]?.attempts ?? 0) }))
        var cannotRecord: String?
        /// Each step's inputs when its latest attempt was launched: what its
        /// cache entry records if it passes.
        var inputsAtLaunch: [StepID: StepInputs] = [:]
        var checked: Set<StepID> = []
        var batch = CommitBatch()
        /// Attempts whose start is in the batch, to launch once it is recorded (or not).
        var starts: [(step: Step, attempt: Int, logFile: URL, started: Date, recorded: Bool)] = []

        func warnOfNewProblems(since known: Int) {
            recorder.problems.dropFirst(known).forEach { observer(.warning($0)) }
        }
        /// Records what the batch holds, then runs its follow-ups.
        ///
        /// - Parameter syncing: `false` leaves the `fsync`s to the next
        ///   flush or ``syncRecords()``.
        @discardableResult
        func flush(syncing: Bool = true) -> Bool {
            guard !batch.isEmpty else { return cannotRecord == nil }
            let known = recorder.problems.count
            let (result, followUps) = batch.commit(to: recorder, syncing: syncing)
            var recorded = true
            if case .failure(let error) = result {
                let problem = "cannot record the run's state: \(ErrorDescription.of(error))"
                if cannotRecord == nil { observer(.warning(problem)) }
                cannotRecord = cannotRecord ?? problem
                recorded = false
            }
            warnOfNewProblems(since: known)
            followUps.forEach { $0(recorded) }
            return recorded
        }
        /// Makes everything recorded so far durable, before the engine waits.
        func syncRecords() {
            let known = recorder.problems.count
            do {
                try recorder.syncJournal()
            } catch {
                let problem = "cannot record the run's state: \(ErrorDescription.of(error))"
                if cannotRecord == nil { observer(.warning(problem)) }
                cannotRecord = cannotRecord ?? problem
            }
            recorder.syncHistory()
            warnOfNewProblems(since: known)
        }
        func recorded(_ entry: ExecutionRecord, retryIn: Double? = nil) {
            records[entry.stepID, default: []].append(entry)
            observer(retryIn.map { .attemptFailed(entry, retryIn: $0) } ?? .finished(entry))
        }
        func skip(_ ids: [StepID], reason: FailureReason, message: (StepID) -> String) {
            let now = Date()
            let rows = ids.compactMap { id in
                graph.step(id).map {
                    ExecutionRecord(
                        runID: runID, job: job.name, stepID: id, stepName: $0.name, attempt: 0, status: .skipped,
                        startedAt: now, endedAt: now, reason: reason, message: message(id))
                }
            }
            guard !rows.isEmpty else { return }
            batch.add(rows, steps: ids, { state in for id in ids { state[step: id]?.status = .skipped } }, then: { _ in
                rows.forEach { recorded($0) }
            })
        }

        let selected = plan.selected
        batch.add(steps: selected) { state in
            for id in selected {
                state[step: id] = RunState.StepState(name: graph.step(id)?.name ?? "", attempts: state[step: id]?.attempts ?? 0)
            }
        }
        flush()
        observer(.planned(count: plan.selected.count))

        let mailbox = CompletionMailbox<Completion>()
        await withTaskGroup(of: Void.self) { group in
            /// Takes the pass `entry` records for `step`, which is up to date.
            func takeCached(_ step: Step, _ entry: CacheEntry) {
                let row = ExecutionRecord.cached(runID: runID, job: job.name, step: step, entry: entry)
                batch.add([row], steps: [step.id], context: Array((entry.contextSet ?? [:]).keys), { state in
                    state[step: step.id]?.status = .pass
                    state[step: step.id]?.contextSet = entry.contextSet
                    state[step: step.id]?.cachedFrom = entry.runID
                    for (key, value) in entry.contextSet ?? [:] { state.context[key] = value }
                }, then: { _ in recorded(row) })
                _ = scheduler.attemptEnded(step.id, passed: true, retryable: false)
            }

            /// Notes the step's inputs for its cache entry, and finds it up
            /// to date when it is checked the first time it is ready.
            ///
            /// - Returns: Whether the step was taken as `CACHED`.
            func checkCache(_ step: Step) -> Bool {
                guard let caching, step.declaresFiles else { return false }
                // What its parents set must be in the state read below.
                flush()
                // Only the first launch in this session may be skipped, never a retry.
                let first = checked.insert(step.id).inserted
                let sets = recorder.state.steps.compactMapValues(\.contextSet)
                let received = StepCache.received(by: step.id, graph: graph, base: caching.base, contextSets: sets)
                guard case .success(let inputs) = caching.cache.inputs(of: step, context: received) else {
                    inputsAtLaunch[step.id] = nil
                    return false
                }
                inputsAtLaunch[step.id] = inputs
                guard caching.checksWhenReady, first,
                      case .upToDate(let entry) = caching.cache.verdict(of: step, inputs: inputs) else { return false }
                takeCached(step, entry)
                return true
            }

            /// Adds the start of an attempt of `step` to the batch: it is
            /// launched once the batch is recorded (a runner that dies before
            /// leaves a lost attempt, never a reused number).
            ///
            /// - Returns: `false` when the step was up to date instead.
            func stageStart(_ step: Step, attempt number: Int) -> Bool {
                if checkCache(step) { return false }
                let logFile = layout.stepLog(runID: runID, step: step, attempt: number)
                let started = Date()
                let relativeLog = layout.relative(logFile)
                batch.add(steps: [step.id], { state in
                    state[step: step.id]?.attempts = number
                    state[step: step.id]?.status = .running
                    state[step: step.id]?.startedAt = started
                    state[step: step.id]?.logFile = relativeLog
                }, then: { recorded in starts.append((step, number, logFile, started, recorded)) })
                return true
            }

            /// Launches an attempt whose start was recorded, or fails it when
            /// the start could not be.
            func launch(_ step: Step, attempt number: Int, logFile: URL, started: Date, recorded: Bool) {
                guard recorded else {
                    let entry = ExecutionRecord(
                        runID: runID, job: job.name, stepID: step.id, stepName: step.name, attempt: number, status: .fail,
                        startedAt: started, endedAt: Date(), reason: .error,
                        message: "not started: \(cannotRecord ?? "the run's state cannot be written")")
                    group.addTask { mailbox.post(.attempt(entry, contextChanges: [:], retryable: false)) }
                    return
                }
                let state = recorder.state
                let attempt = StepAttempt(
                    job: job.name, runID: runID, step: step, attempt: number, logFile: logFile,
                    resultFile: layout.resultFile(runID: runID, stepID: step.id, attempt: number),
                    context: state.context, layout: layout, parameters: state.parameters ?? [:],
                    ledger: recorder.ledger, runDate: state.runDate)
                unlink(attempt.progressFile.path)
                observer(.started(step: step, attempt: number, progressFile: attempt.progressFile))
                group.addTask { [executor] in
                    let outcome = await executor.execute(attempt)
                    let entry = ExecutionRecord(
                        runID: runID, job: attempt.job, step: step, attempt: number, outcome: outcome,
                        logFile: layout.relative(attempt.logFile))
                    mailbox.post(.attempt(entry, contextChanges: outcome.contextChanges, retryable: outcome.retryable))
                }
            }

            /// Launches what is ready (a step found up to date may make
            /// others ready at once), once the starts are recorded, as one
            /// journal line.
            func launchReady() {
                var more = true
                while more {
                    more = false
                    guard !Task.isCancelled, cannotRecord == nil else { break }
                    for (id, number) in scheduler.launchable() {
                        guard let step = graph.step(id) else { continue }
                        if !stageStart(step, attempt: number) { more = true }
                    }
                }
                flush()
                let ready = starts
                starts = []
                for start in ready {
                    launch(start.step, attempt: start.attempt, logFile: start.logFile, started: start.started, recorded: start.recorded)
                }
            }

            /// Records what a pass depended on and wrote, once it is committed.
            func recordCache(_ step: Step, _ entry: ExecutionRecord, changes: [String: String]) {
                guard let caching, let inputs = inputsAtLaunch[step.id], let writes = caching.cache.outputs(of: step) else { return }
                let known = recorder.problems.count
                recorder.recordCache([CacheEntry(
                    step: step.id, runID: runID, passedAt: entry.endedAt, inputs: inputs, writes: writes,
                    contextSet: changes.isEmpty ? nil : changes)])
                warnOfNewProblems(since: known)
            }

            func failed(_ step: Step, skip descendants: [StepID], abandon: [StepID]) {
                executor.abandon(abandon)
                let interrupted = Task.isCancelled
                skip(descendants, reason: interrupted ? .interrupted : .upstreamFailed) { _ in
                    "step \(step.displayID) \"\(step.name)\" \(interrupted ? "was interrupted" : "failed")"
                }
            }

            func handle(_ completion: Completion) {
                switch completion {
                case .retryDue(let id):
                    guard let step = graph.step(id) else { return }
                    if case .failed(let descendants, let abandon)? = scheduler.retryDue(id, cancelled: Task.isCancelled) {
                        batch.add(steps: [id]) { $0[step: id]?.status = .fail }
                        failed(step, skip: descendants, abandon: abandon)
                    }
                case .attempt(let entry, let changes, let retryable):
                    guard let step = graph.step(entry.stepID) else { return }
                    let decision = scheduler.attemptEnded(
                        step.id, passed: entry.status == .pass,
                        retryable: retryable && entry.reason != .interrupted && !Task.isCancelled && cannotRecord == nil)
                    switch decision {
                    case .passed:
                        // The row, the status and the context it set: in one journal line.
                        batch.add([entry], steps: [step.id], context: Array(changes.keys), { state in
                            state[step: step.id]?.status = .pass
                            state[step: step.id]?.contextSet = changes.isEmpty ? nil : changes
                            for (key, value) in changes { state.context[key] = value }
                        }, then: { committed in
                            // Only a pass the records hold gets a cache entry.
                            if committed { recordCache(step, entry, changes: changes) }
                            recorded(entry)
                        })
                    case .retry(let wait):
                        batch.add([entry], steps: [step.id], { $0[step: step.id]?.status = .pending }, then: { _ in
                            recorded(entry, retryIn: wait)
                        })
                        group.addTask {
                            try? await Task.sleep(for: .seconds(wait))
                            mailbox.post(.retryDue(stepID: step.id))
                        }
                    case .failed(let descendants, let abandon):
                        batch.add([entry], steps: [step.id], { $0[step: step.id]?.status = .fail }, then: { _ in recorded(entry) })
                        failed(step, skip: descendants, abandon: abandon)
                    }
                }
            }

            launchReady()
            syncRecords()
            // Each wake takes every completion that has arrived since the
            // last: their outcomes are written together, then the starts
            // they allow, with one fsync before the launches.
            while await group.next() != nil {
                let completions = mailbox.takeAll()
                completions.forEach(handle)
                // Synced at once only when cache entries follow: never before their pass is durable.
                flush(syncing: completions.contains { completion in
                    guard case .attempt(let entry, _, _) = completion, entry.status == .pass else { return false }
                    return inputsAtLaunch[entry.stepID] != nil
                })
                launchReady()
                syncRecords()
            }
        }

        // Whatever was planned but never started: the run was stopped.
        let why: FailureReason = Task.isCancelled ? .interrupted : (scheduler.stopReason ?? .notRun)
        skip(scheduler.notStarted(), reason: why) { _ in
            switch why {
            case .failFast: "not started: --fail-fast after a failure"
            case .notRun where cannotRecord != nil: "not started: \(cannotRecord ?? "")"
            default: "not started: the run was stopped"
            }
        }
        flush()
        syncRecords()
        return plan.selected.compactMap { id in
            graph.step(id).map { StepRun(stepID: id, name: $0.name, records: records[id] ?? []) }
        }
    }
}
