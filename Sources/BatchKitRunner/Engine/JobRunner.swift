import BatchKit
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
    /// A resumed run keeps the parameters it started with; for `--resume`
    /// this holds only the values of its secret parameters, given again.
    public var parameters: [String: String]
    /// Where each parameter came from (`config/base.json`, `--param`…).
    public var parameterSources: [String: String]
    /// The parameters whose values are secret (`"secret": true` in
    /// `config/base.json`): steps get their values, but the run's state, its
    /// report and the screen show ``secretMask``, so `--resume` needs them again.
    public var secretParameters: Set<String>
    /// Variables of the runner's environment that no step (nor the post-job
    /// tests) gets: the command line names the notification secrets here,
    /// and the runner only leaves them out of each child's environment.
    public var withheldVariables: Set<String>
    /// The `--env` name, recorded with the run.
    public var environment: String?
    /// `--wait-for`: files that must exist before the run starts.
    public var waitFor: WaitCondition?
    /// `--date`: the day the run is for; `nil` for today in the job's time
    /// zone (``RunDate/jobTimeZone``). A resumed run keeps its own.
    public var runDate: RunDate?
    /// The dates a backfill (`--date FROM..TO`) runs after this one, recorded
    /// so that `--resume` of a failed date goes on with them.
    public var backfillRest: [RunDate] = []
    /// `--force [IDS]`: steps run even when up to date; an empty set forces
    /// every step, `nil` none.
    public var forced: Set<StepID>?
    /// `--no-cache`: no step is taken as up to date in this run (what its
    /// passes depended on is still recorded, for the next run).
    public var caching = true
    /// Who hears of the run's start and end (notifications: the command line
    /// plugs in `BatchKitNotify`'s `Notifier`); `nil` tells no one.
    public var notices: (any RunNoticeObserver)?

    public init(
        jobs: Int = ProcessInfo.processInfo.activeProcessorCount, failFast: Bool = false,
        selection: StepSelection = StepSelection(), resume: Bool = false, testsOnly: Bool = false,
        parameters: [String: String] = [:], parameterSources: [String: String] = [:], secretParameters: Set<String> = [],
        withheldVariables: Set<String> = [], environment: String? = nil, waitFor: WaitCondition? = nil,
        notices: (any RunNoticeObserver)? = nil
    ) {
        self.parameters = parameters
        self.parameterSources = parameterSources
        self.secretParameters = secretParameters
        self.withheldVariables = withheldVariables
        self.environment = environment
        self.waitFor = waitFor
        self.notices = notices
        self.jobs = jobs
        self.failFast = failFast
        self.selection = selection
        self.resume = resume
        self.testsOnly = testsOnly
    }
}

extension RunOptions {
    /// What the records and the screen show for a secret parameter's value.
    public static let secretMask = "***"

    /// ``parameters`` as the run's state, its report and the screen show
    /// them: each secret one as ``secretMask``.
    public var shownParameters: [String: String] {
        parameters.reduce(into: [:]) { shown, entry in
            shown[entry.key] = secretParameters.contains(entry.key) ? Self.secretMask : entry.value
        }
    }
}

/// Hears about a run's start and end: notifications plug in here, so the
/// runner knows nothing of webhooks, email or hooks.
public protocol RunNoticeObserver: Sendable {
    /// Delivers one notice; it never fails a run.
    ///
    /// - Returns: Delivery problems, as report notes.
    func send(_ notice: RunNotice) async -> [String]
}

/// Tells no one.
struct Silent: RunNoticeObserver {
    func send(_ notice: RunNotice) async -> [String] { [] }
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
        let passed = Set(state.steps.compactMap { $0.value.status == .pass ? $0.key : nil })
        var selection = options.selection
        if selection.isEverything, let scope = state.scope {
            // A resumed partial run stays partial, minus steps since removed.
            selection.only = Set(scope).intersection(graph.steps.map(\.id))
        }
        return (graph, try RunPlan.make(graph, selection: selection, passed: passed, runID: state.runID), state)
    }

    /// Runs the job, as a pipeline of named phases: admit (lock,
    /// `--wait-for`), open the records (fresh, or a resume reconciled with
    /// what the last runner left), execute the steps, run the post-job tests,
    /// close the records, publish the DAG, notify, report.
    ///
    /// - Returns: The report, already saved in the run's log folder.
    /// - Throws: ``DefinitionError`` (nothing runs), ``RunLock/Busy`` when
    ///   another run holds the lock, ``WaitTimedOut``, ``NothingToResume``.
    public func run(_ options: RunOptions = RunOptions(), observer: @escaping @Sendable (RunEvent) -> Void = { _ in }) async throws -> RunReport {
        let (graph, plan, resumed) = try plan(options)
        // The step cache is read while the run takes its lock and opens its records.
        let stored = options.testsOnly ? nil : Task.detached { [layout, job] in StepCache.Stored(layout: layout, job: job.name) }
        let notifier = options.notices ?? Silent()
        let admission = try await admit(options, resumedRunID: resumed?.runID, notifier: notifier, observer: observer)
        defer { withExtendedLifetime(admission.lock) {} }
        var session = try open(options, graph: graph, plan: plan, resumed: resumed, admission: admission)
        // The steps' earlier runs, for the sparklines of report.html, are read while the steps run, up
        // to what the history holds now (repaired, earlier sessions included); this session's are added at the end.
        let historySize = UInt64(FileStatus(path: layout.executionLog.path)?.size ?? 0)
        let trends = Task.detached { [layout, job] in StepTrends.read(layout, job: job.name, upTo: historySize) }
        let starting = Task { [session] in
            await notifier.send(RunNotice(
                event: .start, job: job.name, runID: session.runID, status: "started", logFolder: session.logFolder,
                environment: session.recorder.state.environment, detail: admission.waitNote))
        }
        if !options.testsOnly {
            let cache = StepCache(
                layout: layout, job: job.name, settings: cacheSettings(session.recorder.state, options: options), stored: await stored?.value)
            let (remaining, cached) = takeUpToDate(&session, graph: graph, plan: plan, cache: cache, observer: observer)
            session.steps = try await execute(session, graph: graph, plan: remaining, options: options, cache: cache, observer: observer)
            session.steps = (cached + session.steps).sorted { $0.stepID < $1.stepID }
            session.recorder.saveCache(cache)
        }
        session.interrupted = Task.isCancelled
        await runTests(&session, withholding: options.withheldVariables)
        // A signal during the tests interrupts the run; one after the records
        // are closed (while the DAG is drawn) only cuts that work short.
        if Task.isCancelled { session.interrupted = true }
        close(&session, options: options)
        let shown = session.shownSteps(graph: graph, plan: plan)
        if !options.testsOnly, let publisher {
            session.notes += await publisher.publish(DagDocument(jobName: job.name, graph: graph, states: DagDocument.states(of: shown)))
        }
        session.notes += await notify(session, shown: shown, starting: starting, notifier: notifier, observer: observer)
        let report = session.report(graph: graph, shown: shown, ended: Date())
        do {
            let trends = await trends.value.adding(run: session.runID, steps: shown, since: session.started)
            let dagSVG = freshDAG(since: session.started)
            try session.recorder.saveReport(report) { report.htmlBytes(trends: trends, dagSVG: dagSVG) }
        } catch {
            observer(.warning("cannot save the report: \(ErrorDescription.of(error))"))
        }
        return report
    }

    /// What `--explain` and `--dry-run` show: every step's verdict (run,
    /// cached, left out) and its first reason. Nothing is written.
    ///
    /// - Throws: As ``plan(_:)``.
    public func explain(_ options: RunOptions) throws -> (graph: JobGraph, plan: RunPlan, steps: [StepExplanation], resumed: RunState?) {
        let (graph, plan, resumed) = try plan(options)
        var state = resumed ?? RunState(runID: "", job: job.name, startedAt: Date(), steps: graph.steps)
        if resumed == nil {
            state.parameters = options.parameters.isEmpty ? nil : options.shownParameters
            state.environment = options.environment
            state.runDate = options.runDate ?? .today(in: RunDate.jobTimeZone)
            if !options.selection.isEverything {
                state.context = InheritedContext(graph: graph, plan: plan, runs: RunStateStore(layout: layout).runs(job: job.name)).values
            }
        }
        guard !options.testsOnly else { return (graph, plan, [], resumed) }
        let cache = StepCache(layout: layout, job: job.name, settings: cacheSettings(state, options: options))
        let cachePlan = CachePlan.make(
            graph: graph, plan: plan, cache: cache, base: CachePlan.base(of: state), contextSets: state.steps.compactMapValues(\.contextSet))
        return (graph, plan, StepExplanation.all(graph: graph, plan: plan, cachePlan: cachePlan), resumed)
    }

    /// What the step cache compares, from the run's state.
    func cacheSettings(_ state: RunState, options: RunOptions) -> StepCache.Settings {
        StepCache.Settings(
            parameters: state.parameters ?? [:], environment: state.environment, runDate: state.runDate, forced: options.forced,
            enabled: options.caching)
    }

    /// `dot`'s drawing of the DAG when this run made it (`docs/dag.svg`,
    /// coloured by this run), for `report.html`.
    func freshDAG(since: Date) -> String? {
        guard let publisher, let modified = FileStatus(path: publisher.svgFile.path)?.modified,
              modified >= since.addingTimeInterval(-1) else { return nil }
        return try? String(contentsOf: publisher.svgFile, encoding: .utf8)
    }

    /// The run `--resume` continues: the latest one, unless it passed.
    ///
    /// - Throws: ``NothingToResume``; ``UnreadableState`` when the latest
    ///   run's state cannot be read (an older run is never taken instead).
    private func resumable() throws -> RunState {
        guard let latest = try RunStateStore(layout: layout).latestRun(job: job.name) else {
            throw NothingToResume(message: "nothing to resume: \(job.name) has no earlier run in \(layout.relative(layout.runsDirectory)); run it without --resume")
        }
        guard latest.phase != .passed else {
            throw NothingToResume(message: "nothing to resume: the last run, \(latest.runID), passed; run without --resume to start a new run")
        }
        // Plan from what the records say happened, not from the state alone
        // (an outcome the CSV has and the journal lacks counts).
        return try RunRecorder.recoveredState(latest.runID, layout: layout) ?? latest
    }
}

