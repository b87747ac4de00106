import Foundation

/// How to run a job: the command-line options of `./run.sh` and
/// `batchkit run FILE.lst`.
public struct RunOptions: Sendable {
    /// Slots for steps at once (`--jobs`).
    public var jobs: Int
    /// Stop launching after the first failure (`--fail-fast`).
    public var failFast: Bool
    /// `--only`, `--from`, `--to`, `--exclude`.
    public var selection: StepSelection
    /// Continue the last unfinished or failed run (`--resume`).
    public var resume: Bool
    /// Only the post-job tests (`--tests-only`).
    public var testsOnly: Bool
    /// `--param key=value`: what steps read through ``StepContext/parameters``.
    /// A resumed run keeps the parameters it started with.
    public var parameters: [String: String]
    /// Where each parameter came from (`config/base.json`, `--param`…).
    public var parameterSources: [String: String]
    /// The `--env` name, recorded with the run.
    public var environment: String?
    /// `--wait-for`: files that must exist before the run starts.
    public var waitFor: WaitCondition?
    /// Where notifications go (the job's Swift hooks are always called).
    public var notify: NotifySettings

    public init(
        jobs: Int = ProcessInfo.processInfo.activeProcessorCount, failFast: Bool = false,
        selection: StepSelection = StepSelection(), resume: Bool = false, testsOnly: Bool = false,
        parameters: [String: String] = [:], parameterSources: [String: String] = [:], environment: String? = nil,
        waitFor: WaitCondition? = nil, notify: NotifySettings = NotifySettings()
    ) {
        self.parameters = parameters
        self.parameterSources = parameterSources
        self.environment = environment
        self.waitFor = waitFor
        self.notify = notify
        self.jobs = jobs
        self.failFast = failFast
        self.selection = selection
        self.resume = resume
        self.testsOnly = testsOnly
    }
}

/// `--resume` found no run to continue.
public struct NothingToResume: Error, CustomStringConvertible {
    public let message: String
    public var description: String { message }
}

/// One whole run of a job, from validation to report: check the definition,
/// take the job's lock, plan (fresh, partial or resumed), run the steps
/// through the ``Engine``, run the post-job tests, publish the DAG and build
/// the ``RunReport``.
public struct JobRunner: Sendable {
    public let job: Job
    public let layout: RunLayout
    public let executor: any StepExecutor
    /// The job binary, which runs Swift steps and the post-job tests.
    public let executable: String
    /// Where the DAG goes; `nil` publishes nothing.
    public let publisher: DagPublisher?

    public init(
        job: Job, layout: RunLayout, executable: String = ExecutablePath.current,
        executor: (any StepExecutor)? = nil, publisher: DagPublisher?? = nil
    ) {
        self.job = job
        self.layout = layout
        self.executable = executable
        self.executor = executor ?? LocalExecutor(executable: executable)
        self.publisher = publisher ?? DagPublisher(layout: layout)
    }

    /// Validates the definition: the DAG, and the numbered files against the
    /// step list.
    ///
    /// - Throws: ``DefinitionError`` with every problem found.
    public func validate() throws(DefinitionError) -> JobGraph {
        let problems = StepSourceCheck.problems(job: job, projectDirectory: layout.projectDirectory)
        let graph: JobGraph
        do {
            graph = try JobGraph(job: job)
        } catch {
            throw DefinitionError(error.problems + problems)
        }
        if !problems.isEmpty { throw DefinitionError(problems) }
        return graph
    }

    /// What a run with `options` would do, without doing it (`--dry-run`).
    ///
    /// - Throws: ``DefinitionError``; ``NothingToResume``.
    public func plan(_ options: RunOptions) throws -> (graph: JobGraph, plan: RunPlan, resumed: RunState?) {
        let graph = try validate()
        guard options.resume else {
            return (graph, try RunPlan.make(graph, selection: options.selection), nil)
        }
        let state = try resumable()
        let passed = Set(state.steps.compactMap { $0.value.status == .pass ? Int($0.key) : nil })
        var selection = options.selection
        if selection.isEverything, let scope = state.scope {
            // A resumed partial run stays partial, minus steps since removed.
            selection.only = Set(scope).intersection(graph.steps.map(\.id))
        }
        return (graph, try RunPlan.make(graph, selection: selection, passed: passed, runID: state.runID), state)
    }

    /// Runs the job.
    ///
    /// - Returns: The report, already saved in the run's log folder.
    /// - Throws: ``DefinitionError`` (nothing runs), ``RunLock/Busy`` when
    ///   another run holds the lock, ``NothingToResume``.
    public func run(_ options: RunOptions = RunOptions(), observer: @escaping @Sendable (RunEvent) -> Void = { _ in }) async throws -> RunReport {
        let (graph, plan, resumed) = try plan(options)
        let notifier = Notifier(settings: options.notify, hooks: job.hooks, log: layout.notificationsLog)
        let runID = resumed?.runID ?? RunLayout.newRunID()
        let lock: RunLock
        do {
            lock = try RunLock(layout: layout, job: job.name, runID: runID)
        } catch let busy as RunLock.Busy {
            // A refused run leaves a row, so overlapping schedules show in the history.
            let warnings = await notStarted(
                runID: RunLayout.newRunID(), since: Date(), reason: "locked", message: "not started: \(busy.description)",
                status: "refused", environment: options.environment, notifier: notifier)
            warnings.forEach { observer(.warning($0)) }
            throw busy
        }
        defer { withExtendedLifetime(lock) {} }
        var waitNote: String?
        if let condition = options.waitFor, case let missing = condition.missing(in: layout.projectDirectory), !missing.isEmpty {
            let limit = condition.timeout.map { " (at most \(DurationFormat.seconds($0)))" } ?? ""
            observer(.note("waiting for \(missing.joined(separator: ", "))\(limit)…"))
            let waitStarted = Date()
            do {
                let waited = try await condition.wait(in: layout.projectDirectory)
                waitNote = "started after waiting \(DurationFormat.seconds(waited)) for \(condition.paths.joined(separator: ", "))"
                observer(.note(waitNote!))
            } catch let timedOut as WaitTimedOut {
                // The row has the id the lock showed while waiting (a resumed run keeps its own rows clean).
                let warnings = await notStarted(
                    runID: resumed == nil ? runID : RunLayout.newRunID(), since: waitStarted, reason: "wait timeout",
                    message: "not started: \(timedOut.description)", status: "wait timed out",
                    environment: options.environment, notifier: notifier)
                warnings.forEach { observer(.warning($0)) }
                throw timedOut
            }
        }
        let started = Date()
        var state = resumed ?? RunState(runID: runID, job: job.name, startedAt: started, steps: graph.steps)
        if resumed == nil, !options.selection.isEverything { state.scope = plan.selected }
        if resumed == nil, !options.parameters.isEmpty {
            state.parameters = options.parameters
            state.parameterSources = options.parameterSources.isEmpty ? nil : options.parameterSources
        }
        if resumed == nil { state.environment = options.environment }
        ProcessGroupLedger(layout: layout).reapStale()
        OrphanSweeper.becomeSubreaper()
        try FileManager.default.createDirectory(at: layout.runDirectory(state.runID), withIntermediateDirectories: true)

        let logFolder = layout.runDirectory(state.runID).path
        let startNotice = RunNotice(
            event: .start, job: job.name, runID: state.runID, status: "started", logFolder: logFolder,
            environment: state.environment, detail: waitNote)
        // Sent while the steps start; its problems are reported at the end.
        let starting = Task { await notifier.send(startNotice) }

        var earlier: [Int: [ExecutionRecord]] = [:]
        var notes: [String] = waitNote.map { [$0] } ?? []
        if resumed != nil {
            state.resumes += 1
            state.phase = .running
            state.steps = state.steps.filter { key, _ in Int(key).map { graph.step($0) != nil } ?? false }
            for step in graph.steps where state[step: step.id] == nil { state[step: step.id] = RunState.StepState(name: step.name) }
            let history = (try? ExecutionLog(url: layout.executionLog).readAll()) ?? []
            for record in history where record.runID == state.runID && record.job == job.name { earlier[record.stepID, default: []].append(record) }
            // An attempt the state shows running has no row: the runner died under it.
            let now = Date()
            for (key, step) in state.steps.sorted(by: { $0.key < $1.key }) where step.status == .running {
                guard let id = Int(key) else { continue }
                let lost = ExecutionRecord(
                    runID: state.runID, job: job.name, stepID: id, stepName: step.name, attempt: step.attempts,
                    status: .fail, startedAt: state.startedAt, endedAt: now, reason: "runner died",
                    message: "the runner stopped (killed or crashed) while this attempt ran; ended_at is when --resume found it")
                do { try ExecutionLog(url: layout.executionLog).append([lost]) } catch { notes.append(ErrorDescription.of(error)) }
                state[step: id]?.status = .fail
                earlier[id, default: []].append(lost)
            }
            notes.append("resumed run \(state.runID) (resume \(state.resumes)); \(plan.excluded.filter { $0.value.hasPrefix("passed") }.count) step(s) that passed earlier were not rerun")
        }
        if !options.selection.isEverything || state.scope != nil {
            let left = plan.excluded.filter { !$0.value.hasPrefix("passed") }.keys.sorted()
            if !left.isEmpty { notes.append("partial run: not run \(left.map { RunReport.displayID($0) }.joined(separator: ", "))") }
        }

        var steps: [StepRun] = []
        if !options.testsOnly {
            // A cluster executor submits the plan here; if it cannot, nothing is recorded.
            var before: [Int: Int] = [:]
            for id in plan.selected { before[id] = state[step: id]?.attempts ?? 0 }
            do {
                try await executor.prepare(PlannedRun(
                    job: job.name, runID: state.runID, layout: layout, graph: graph, plan: plan, attemptsBefore: before,
                    context: state.context, parameters: state.parameters ?? [:], resumed: resumed != nil))
            } catch {
                // Nothing ran: a fresh run leaves no trace.
                if resumed == nil { try? FileManager.default.removeItem(at: layout.runDirectory(state.runID)) }
                throw error
            }
            let jobs = executor.limitsSlots ? options.jobs : max(1, plan.selected.count) * max(1, graph.steps.map(\.policy.cpus).max() ?? 1)
            let engine = Engine(job: job, graph: graph, layout: layout, executor: executor, jobs: jobs, failFast: options.failFast)
            (steps, state) = await engine.run(plan: plan, state: state, observer: observer)
            await executor.finish()
        }
        let interrupted = Task.isCancelled
        let failedSteps = steps.filter { $0.status != .pass }

        var tests: [CheckResult] = []
        var testsNotRun: String?
        if interrupted {
            testsNotRun = "the run was interrupted"
        } else if !failedSteps.isEmpty {
            testsNotRun = "a step did not pass, so the outputs are not this run's"
        } else {
            tests = await PostJobTests(job: job, layout: layout, executable: executable).run(runID: state.runID)
        }
        if let testsNotRun, !job.tests.isEmpty {
            let now = Date()
            let skipped = job.tests.map { CheckResult(name: $0.name, status: .skipped, message: "not run: \(testsNotRun)", startedAt: now, endedAt: now) }
            do { try TestResultsLog(url: layout.testResults).append(skipped, runID: state.runID, job: job.name) } catch { notes.append(ErrorDescription.of(error)) }
        } else if !tests.isEmpty {
            do { try TestResultsLog(url: layout.testResults).append(tests, runID: state.runID, job: job.name) } catch { notes.append(ErrorDescription.of(error)) }
        }

        let passed = !interrupted && failedSteps.isEmpty && tests.allSatisfy { $0.status == .pass }
        if !options.testsOnly {
            state.phase = interrupted ? .interrupted : (passed ? .passed : .failed)
            do { try RunStateStore(layout: layout).save(state, snapshot: true) } catch { notes.append("cannot save the run state: \(ErrorDescription.of(error))") }
        }
        let ended = Date()

        // The report shows this session's steps, after those that passed earlier in a resumed run.
        let shown = graph.steps.compactMap { step -> StepRun? in
            let now = steps.first { $0.stepID == step.id }?.records ?? []
            let before = resumed != nil ? earlier[step.id] ?? [] : []
            guard !now.isEmpty || (!before.isEmpty && plan.excluded[step.id]?.hasPrefix("passed") == true) else { return nil }
            return StepRun(stepID: step.id, name: step.name, records: now.isEmpty ? before : now)
        }
        if !options.testsOnly, let publisher {
            var states: [Int: DagDocument.StepState] = [:]
            for step in shown {
                states[step.stepID] = DagDocument.StepState(status: step.status, durationSeconds: step.attempts > 0 ? step.durationSeconds : nil)
            }
            notes += await publisher.publish(DagDocument(jobName: job.name, graph: graph, states: states))
        }

        var tails: [String: [String]] = [:]
        for step in shown where step.status == .fail {
            if let log = step.records.last?.logFile {
                tails[String(step.stepID)] = LogTail.lines(of: layout.projectDirectory.appendingPathComponent(log), count: 10)
            }
        }
        if interrupted { notes.insert("interrupted: continue with --resume", at: 0) }

        var notificationProblems = await starting.value
        let failures = shown.filter { $0.status != .pass }.map { step in
            RunNotice.FailedStep(
                id: step.stepID, name: step.name, reason: step.records.last?.reason ?? "",
                message: step.records.last?.message ?? "")
        }
        let finalNotice = RunNotice(
            event: passed ? .success : .failure, job: job.name, runID: state.runID,
            status: passed ? "passed" : (interrupted ? "interrupted" : "failed"), failedSteps: failures,
            failedTests: tests.filter { $0.status == .fail }.map(\.name), durationSeconds: ended.timeIntervalSince(started),
            logFolder: logFolder, environment: state.environment)
        for problem in await notifier.send(finalNotice) where !notificationProblems.contains(problem) {
            notificationProblems.append(problem)
        }
        for problem in notificationProblems { observer(.warning(problem)) }
        notes += notificationProblems

        let report = RunReport(
            job: job.name, runID: state.runID, status: passed ? .pass : .fail, startedAt: started, endedAt: ended,
            steps: shown, tests: tests, testsNotRun: testsNotRun, failureLogTails: tails,
            logDirectory: layout.relative(layout.runDirectory(state.runID)),
            historyFiles: [layout.relative(layout.executionLog), layout.relative(layout.testResults)],
            notes: notes,
            parameters: state.parameters ?? [:], parameterSources: state.parameterSources ?? [:], environment: state.environment,
            parents: Dictionary(uniqueKeysWithValues: shown.map { (String($0.stepID), graph.parents[$0.stepID] ?? []) }))
        do {
            try report.save(in: layout.runDirectory(state.runID))
        } catch {
            observer(.warning("cannot save the report: \(ErrorDescription.of(error))"))
        }
        return report
    }

    /// Records a run that could not start (the lock was held, or `--wait-for`
    /// timed out) as one FAIL row with step id 0, and sends the failure
    /// notice. Nothing else is written.
    ///
    /// - Returns: Notification problems, for the caller to show.
    private func notStarted(
        runID: String, since: Date, reason: String, message: String, status: String, environment: String?, notifier: Notifier
    ) async -> [String] {
        let now = Date()
        var problems: [String] = []
        let record = ExecutionRecord(
            runID: runID, job: job.name, stepID: ExecutionRecord.runStepID, stepName: ExecutionRecord.runStepName, attempt: 0,
            status: .fail, startedAt: since, endedAt: now, reason: reason, message: message)
        do { try ExecutionLog(url: layout.executionLog).append([record]) } catch { problems.append(ErrorDescription.of(error)) }
        problems += await notifier.send(RunNotice(
            event: .failure, job: job.name, runID: runID, status: status, durationSeconds: now.timeIntervalSince(since),
            logFolder: layout.logsDirectory.path, environment: environment, detail: message))
        return problems
    }

    /// The run `--resume` continues: the latest one, unless it passed.
    private func resumable() throws -> RunState {
        guard let latest = RunStateStore(layout: layout).latest(job: job.name) else {
            throw NothingToResume(message: "nothing to resume: \(job.name) has no earlier run in \(layout.relative(layout.runsDirectory)); run it without --resume")
        }
        guard latest.phase != .passed else {
            throw NothingToResume(message: "nothing to resume: the last run, \(latest.runID), passed; run without --resume to start a new run")
        }
        return latest
    }
}
