import BatchKit
import Foundation

/// What admission hands on: the job's lock, held for the whole run.
struct Admission: Sendable {
    let lock: RunLock
    /// The id the lock file shows (a fresh run keeps it).
    let runID: String
    /// "started after waiting …", when `--wait-for` waited.
    let waitNote: String?
}

/// One run in progress, as the phases of ``JobRunner/run(_:observer:)`` pass
/// it on.
struct RunSession: Sendable {
    let recorder: RunRecorder
    let layout: RunLayout
    let job: Job
    let started: Date
    let resumed: Bool
    /// Rows of the run from earlier sessions (a resume), by step.
    let earlier: [StepID: [ExecutionRecord]]
    var notes: [String]
    var steps: [StepRun] = []
    var interrupted = false
    var tests: [CheckResult] = []
    var testsNotRun: String?
    /// The rows for `logs/test_results.csv`: the results, or SKIPPED rows.
    var testRows: [CheckResult] = []
    /// The run's final state or test results could not be written.
    var recordsFailed = false

    var runID: String { recorder.state.runID }
    var logFolder: String { layout.runDirectory(runID).path }
    var failedSteps: [StepRun] { steps.filter { !$0.status.isSuccess } }
    /// Every step and test passed, and every row of the run is in the history.
    var passed: Bool {
        !interrupted && failedSteps.isEmpty && tests.allSatisfy { $0.status == .pass } && !recordsFailed
            && recorder.unrecordedRows.isEmpty
    }

    /// The report's note on rows the CSV history could not take.
    var unrecordedNote: String? {
        let rows = recorder.unrecordedRows
        guard !rows.isEmpty else { return nil }
        let listed = rows.prefix(20).map { "\($0.stepID.display) attempt \($0.attempt) \($0.status.rawValue)" }
        return "the run fails because \(rows.count) row(s) could not be written to \(layout.relative(layout.executionLog)): "
            + listed.joined(separator: "; ") + (rows.count > 20 ? "; …" : "")
            + ". They are kept in \(layout.relative(layout.stateJournal(runID))); the next run adds them once the file is writable again"
    }

    /// The steps the report shows: this session's, after those that passed
    /// earlier in a resumed run.
    func shownSteps(graph: JobGraph, plan: RunPlan) -> [StepRun] {
        let ran = Dictionary(steps.map { ($0.stepID, $0) }, uniquingKeysWith: { first, _ in first })
        return graph.steps.compactMap { step -> StepRun? in
            let now = ran[step.id]?.records ?? []
            let before = resumed ? earlier[step.id] ?? [] : []
            guard !now.isEmpty || (!before.isEmpty && plan.excluded[step.id]?.isPassedEarlier == true) else { return nil }
            return StepRun(stepID: step.id, name: step.name, records: now.isEmpty ? before : now)
        }
    }

    /// The end-of-run report.
    func report(graph: JobGraph, shown: [StepRun], ended: Date) -> RunReport {
        var tails: [StepID: [String]] = [:]
        for step in shown where step.status == .fail {
            if let log = step.records.last?.logFile, !log.isEmpty {
                tails[step.stepID] = LogTail.lines(of: layout.projectDirectory.appendingPathComponent(log), count: 10)
            }
        }
        let state = recorder.state
        var report = RunReport(
            job: job.name, runID: runID, status: passed ? .pass : .fail, startedAt: started, endedAt: ended,
            steps: shown, tests: tests, testsNotRun: testsNotRun, failureLogTails: tails,
            logDirectory: layout.relative(layout.runDirectory(runID)),
            historyFiles: [layout.relative(layout.executionLog)]
                + (job.tests.isEmpty && !FileManager.default.fileExists(atPath: layout.testResults.path) ? [] : [layout.relative(layout.testResults)]),
            notes: (interrupted ? ["interrupted: continue with --resume"] : []) + notes + recorder.problems
                + (unrecordedNote.map { [$0] } ?? []),
            parameters: state.parameters ?? [:], parameterSources: state.parameterSources ?? [:], environment: state.environment,
            parents: Dictionary(uniqueKeysWithValues: shown.map { ($0.stepID, graph.parents[$0.stepID] ?? []) }))
        report.interrupted = interrupted ? true : nil
        report.runDate = state.runDate
        report.criticalPath = CriticalPath(steps: shown, parents: graph.parents, wallSeconds: ended.timeIntervalSince(started), since: started)
        report.earlierSessions = resumed ? earlierSessions : nil
        return report
    }

    /// The sessions of a resumed run before this one, with the attempts each
    /// made, from the session starts the resume recorded (the last is this
    /// session's).
    var earlierSessions: [RunReport.Session] {
        let starts = (recorder.state.sessionStarts ?? []).dropLast()
        var attempts = earlier.values.joined().filter { $0.attempt > 0 }.sorted { ($0.startedAt, $0.stepID) < ($1.startedAt, $1.stepID) }[...]
        return starts.indices.map { index in
            // Attempts are in start order: each session takes those that started before the next one.
            let end = index + 1 < starts.endIndex ? starts[index + 1] : started
            let count = attempts.prefix { $0.startedAt < end }.count
            defer { attempts = attempts.dropFirst(count) }
            return RunReport.Session(startedAt: starts[index], attempts: Array(attempts.prefix(count)))
        }
    }
}

extension JobRunner {
    /// Admit: take the job's lock, then wait for `--wait-for` files. A run
    /// refused by the lock, or whose files did not appear in time, leaves one
    /// FAIL row (step id 0) and a failure notice, then throws.
    func admit(
        _ options: RunOptions, resumedRunID: String?, notifier: any RunNoticeObserver, observer: @escaping @Sendable (RunEvent) -> Void
    ) async throws -> Admission {
        let runID = resumedRunID ?? RunLayout.newRunID()
        let lock: RunLock
        do {
            lock = try RunLock(layout: layout, job: job.name, runID: runID)
        } catch let busy as RunLock.Busy {
            // A refused run leaves a row, so overlapping schedules show in the history.
            let warnings = await notStarted(
                runID: RunLayout.newRunID(), since: Date(), reason: .locked, message: "not started: \(busy.description)",
                status: "refused", environment: options.environment, notifier: notifier)
            warnings.forEach { observer(.warning($0)) }
            throw busy
        }
        guard let condition = options.waitFor, case let missing = condition.missing(in: layout.projectDirectory), !missing.isEmpty else {
            return Admission(lock: lock, runID: runID, waitNote: nil)
        }
        let limit = condition.timeout.map { " (at most \(DurationFormat.seconds($0)))" } ?? ""
        observer(.note("waiting for \(missing.joined(separator: ", "))\(limit)…"))
        let waitStarted = Date()
        do {
            let waited = try await condition.wait(in: layout.projectDirectory)
            let note = "started after waiting \(DurationFormat.seconds(waited)) for \(condition.paths.joined(separator: ", "))"
            observer(.note(note))
            return Admission(lock: lock, runID: runID, waitNote: note)
        } catch let timedOut as WaitTimedOut {
            // The row has the id the lock showed while waiting (a resumed run keeps its own rows clean).
            let warnings = await notStarted(
                runID: resumedRunID == nil ? runID : RunLayout.newRunID(), since: waitStarted, reason: .waitTimeout,
                message: "not started: \(timedOut.description)", status: "wait timed out",
                environment: options.environment, notifier: notifier)
            warnings.forEach { observer(.warning($0)) }
            throw timedOut
        }
    }

    /// Records a run that could not start as one FAIL row with step id 0,
    /// and sends the failure notice. Nothing else is written.
    ///
    /// - Returns: Notification problems, for the caller to show.
    private func notStarted(
        runID: String, since: Date, reason: FailureReason, message: String, status: String, environment: String?, notifier: any RunNoticeObserver
    ) async -> [String] {
        let now = Date()
        var problems: [String]
        do { problems = try RunRecorder.openHistory(layout) } catch { problems = [error.description] }
        let record = ExecutionRecord(
            runID: runID, job: job.name, stepID: ExecutionRecord.runStepID, stepName: ExecutionRecord.runStepName, attempt: 0,
            status: .fail, startedAt: since, endedAt: now, reason: reason, message: message)
        do { try RunRecorder.appendRows([record], layout: layout) } catch { problems.append(ErrorDescription.of(error)) }
        problems += await notifier.send(RunNotice(
            event: .failure, job: job.name, runID: runID, status: status, durationSeconds: now.timeIntervalSince(since),
            logFolder: layout.logsDirectory.path, environment: environment, detail: message))
        return problems
    }

    /// Open the records: repair a torn history, kill what a dead runner's
    /// steps left, then start a fresh run (closing a dead previous one) or
    /// reconcile the resumed one with what its last runner left.
    func open(
        _ options: RunOptions, graph: JobGraph, plan: RunPlan, resumed: RunState?, admission: Admission
    ) throws -> RunSession {
        var notes = admission.waitNote.map { [$0] } ?? []
        notes += try RunRecorder.openHistory(layout)
        RunRecorder.reapStale(layout, job: job.name)
        OrphanSweeper.becomeSubreaper()
        let recorder: RunRecorder
        var earlier: [StepID: [ExecutionRecord]] = [:]
        if let resumed {
            let (opened, rows) = try RunRecorder.resume(resumed.runID, layout: layout)
            recorder = opened
            try recorder.commit { state in
                state.steps = state.steps.filter { id, _ in graph.step(id) != nil }
                for step in graph.steps where state[step: step.id] == nil {
                    // A step taken out and put back continues its attempt numbers.
                    let attempts = rows.filter { $0.stepID == step.id }.map(\.attempt).max() ?? 0
                    state[step: step.id] = RunState.StepState(name: step.name, attempts: attempts)
                }
            }
            for row in rows { earlier[row.stepID, default: []].append(row) }
            let passedEarlier = plan.excluded.values.filter(\.isPassedEarlier).count
            notes.append("resumed run \(recorder.state.runID) (resume \(recorder.state.resumes)); \(passedEarlier) step(s) that passed earlier were not rerun")
        } else {
            if !options.testsOnly, let note = RunRecorder.closeAbandoned(layout, job: job.name) { notes.append(note) }
            var state = RunState(runID: admission.runID, job: job.name, startedAt: Date(), steps: graph.steps)
            if !options.selection.isEverything {
                state.scope = plan.selected
                let inherited = InheritedContext(graph: graph, plan: plan, runs: RunStateStore(layout: layout).runs(job: job.name))
                state.context = inherited.values
                if let note = inherited.note(graph: graph) { notes.append(note) }
            }
            if !options.parameters.isEmpty {
                // A secret value stays in memory, for the steps: never in the state.
                state.parameters = options.shownParameters
                state.parameterSources = options.parameterSources.isEmpty ? nil : options.parameterSources
                let secrets = options.secretParameters.intersection(options.parameters.keys)
                state.secretParameters = secrets.isEmpty ? nil : secrets.sorted()
            }
            state.environment = options.environment
            state.runDate = options.runDate ?? .today(in: RunDate.jobTimeZone)
            state.backfillRest = options.backfillRest.isEmpty ? nil : options.backfillRest
            recorder = try RunRecorder.start(state, layout: layout, keepsState: !options.testsOnly)
        }
        if !options.selection.isEverything || recorder.state.scope != nil {
            let left = plan.excluded.filter { !$0.value.isPassedEarlier }.keys.sorted()
            if !left.isEmpty { notes.append("partial run: not run \(left.map { $0.display }.joined(separator: ", "))") }
        }
        return RunSession(
            recorder: recorder, layout: layout, job: job, started: Date(), resumed: resumed != nil, earlier: earlier, notes: notes)
    }

    /// Take what is up to date: the planned steps whose planned parents are
    /// up to date too get their `CACHED` rows, their status and the context
    /// they set in one commit, before anything runs (and before a cluster is
    /// given the plan).
    ///
    /// - Returns: The plan without them, and their rows as the report shows them.
    func takeUpToDate(
        _ session: inout RunSession, graph: JobGraph, plan: RunPlan, cache: StepCache, observer: @escaping @Sendable (RunEvent) -> Void
    ) -> (plan: RunPlan, cached: [StepRun]) {
        let state = session.recorder.state
        let cachePlan = CachePlan.make(
            graph: graph, plan: plan, cache: cache, base: CachePlan.base(of: state), contextSets: state.steps.compactMapValues(\.contextSet))
        let entries = cachePlan.upToDate.compactMap { id in cachePlan.verdicts[id]?.entry }
        guard !entries.isEmpty else { return (plan, []) }
        let now = Date()
        let rows = entries.compactMap { entry in
            graph.step(entry.step).map { ExecutionRecord.cached(runID: state.runID, job: job.name, step: $0, entry: entry, at: now) }
        }
        do {
            try session.recorder.commit(rows: rows) { state in
                for entry in entries {
                    state[step: entry.step]?.status = .pass
                    state[step: entry.step]?.contextSet = entry.contextSet
                    state[step: entry.step]?.cachedFrom = entry.runID
                    for (key, value) in entry.contextSet ?? [:] { state.context[key] = value }
                }
            }
        } catch {
            session.notes.append("the steps found up to date run anyway: their CACHED rows cannot be recorded (\(ErrorDescription.of(error)))")
            return (plan, [])
        }
        let names = rows.prefix(8).map { "\($0.stepID.display) \($0.stepName)" }.joined(separator: ", ") + (rows.count > 8 ? ", …" : "")
        observer(.note("\(rows.count) step(s) up to date, not run (CACHED): \(names)"))
        let ids = Dictionary(uniqueKeysWithValues: entries.map { ($0.step, $0.runID) })
        return (plan.removing(upToDate: ids), rows.map { StepRun(stepID: $0.stepID, name: $0.stepName, records: [$0]) })
    }

    /// Execute: let the executor prepare (a cluster submits the plan here),
    /// then run the engine.
    func execute(
        _ session: RunSession, graph: JobGraph, plan: RunPlan, options: RunOptions, cache: StepCache?,
        observer: @escaping @Sendable (RunEvent) -> Void
    ) async throws -> [StepRun] {
        let state = session.recorder.state
        var before: [StepID: Int] = [:]
        for id in plan.selected { before[id] = state[step: id]?.attempts ?? 0 }
        // The state shows secret parameters as ***; their values come from the options.
        let secretNames = Set(state.secretParameters ?? [])
        let secrets = options.parameters.filter { secretNames.contains($0.key) }
        var planned = PlannedRun(
            job: job.name, runID: state.runID, layout: layout, graph: graph, plan: plan, attemptsBefore: before,
            context: state.context, parameters: state.parameters ?? [:], resumed: session.resumed)
        planned.secrets = secrets
        planned.withheldVariables = options.withheldVariables
        planned.runDate = state.runDate
        do {
            try await executor.prepare(planned)
        } catch {
            // Nothing ran: a fresh run leaves no trace.
            if !session.resumed { try? FileManager.default.removeItem(at: layout.runDirectory(state.runID)) }
            throw error
        }
        let jobs = executor.limitsSlots ? options.jobs : max(1, plan.selected.count) * max(1, graph.steps.map(\.policy.cpus).max() ?? 1)
        let supplied = SecretSupply(base: executor, secrets: secrets, withheld: options.withheldVariables)
        let caching = cache.map {
            Engine.Caching(cache: $0, base: CachePlan.base(of: state), checksWhenReady: !executor.submitsAhead)
        }
        let engine = Engine(
            job: job, graph: graph, executor: supplied, recorder: session.recorder, jobs: jobs, failFast: options.failFast,
            caching: caching)
        let steps = await engine.run(plan: plan, observer: observer)
        await executor.finish()
        return steps
    }

    /// Post-job tests: run when every step passed (without the `withholding`
    /// variables); otherwise recorded as SKIPPED.
    func runTests(_ session: inout RunSession, withholding: Set<String> = []) async {
        if session.interrupted {
            session.testsNotRun = "the run was interrupted"
        } else if !session.failedSteps.isEmpty {
            session.testsNotRun = "a step did not pass, so the outputs are not this run's"
        } else {
            session.tests = await PostJobTests(job: job, layout: layout, executable: executable, withheldVariables: withholding)
                .run(runID: session.runID)
        }
        session.testRows = session.tests
        if let why = session.testsNotRun {
            let now = Date()
            session.testRows = job.tests.map { CheckResult(name: $0.name, status: .skipped, message: "not run: \(why)", startedAt: now, endedAt: now) }
        }
    }

    /// Close the records: the run's final phase, then its test results.
    func close(_ session: inout RunSession, options: RunOptions) {
        let phase: RunState.Phase = session.interrupted ? .interrupted : (session.passed ? .passed : .failed)
        do {
            try session.recorder.finish(phase: phase, tests: session.testRows)
        } catch {
            session.recordsFailed = true
            session.notes.append("the run fails because its final state or test results could not be saved: \(ErrorDescription.of(error))")
        }
    }

    /// Notify: wait for the start notice, send the success or failure notice.
    ///
    /// - Returns: Delivery problems, as report notes (also shown as warnings).
    func notify(
        _ session: RunSession, shown: [StepRun], starting: Task<[String], Never>, notifier: any RunNoticeObserver,
        observer: @escaping @Sendable (RunEvent) -> Void
    ) async -> [String] {
        var problems = await starting.value
        let failures = shown.filter { !$0.status.isSuccess }.map { step in
            RunNotice.FailedStep(
                id: step.stepID, name: step.name, reason: step.records.last?.reason ?? .empty, message: step.records.last?.message ?? "")
        }
        let notice = RunNotice(
            event: session.passed ? .success : .failure, job: job.name, runID: session.runID,
            status: session.passed ? "passed" : (session.interrupted ? "interrupted" : "failed"), failedSteps: failures,
            failedTests: session.tests.filter { $0.status == .fail }.map(\.name),
            durationSeconds: Date().timeIntervalSince(session.started),
            logFolder: session.logFolder, environment: session.recorder.state.environment)
        for problem in await notifier.send(notice) where !problems.contains(problem) {
            problems.append(problem)
        }
        problems.forEach { observer(.warning($0)) }
        return problems
    }
}
