import BatchKit
import Foundation

/// One attempt of one step, as the engine hands it to an executor.
public struct StepAttempt: Sendable {
    public let job: String
    public let runID: String
    public let step: Step
    /// From 1.
    public let attempt: Int
    /// Where the attempt's output goes.
    public let logFile: URL
    /// Where a Swift step's child reports how its body ended.
    public let resultFile: URL
    /// The shared context as the step should see it (key → JSON text).
    public let context: [String: String]
    public let layout: RunLayout
    /// The run's `--param` values.
    public var parameters: [String: String] = [:]
    /// Variables of the runner's environment the attempt's process must not
    /// inherit (``RunOptions/withheldVariables``).
    public var withheldVariables: Set<String> = []
    /// Where the attempt's process group is noted while it runs (``RunRecorder/ledger``);
    /// `nil` notes nothing.
    public var ledger: ProcessGroupLedger?

    /// Where the attempt reports its progress.
    public var progressFile: URL { layout.progressFile(runID: runID, stepID: step.id) }
    /// The run date (``ChildContract/runDate``); `nil` leaves the step to
    /// take today's.
    public var runDate: RunDate?

    package init(
        job: String, runID: String, step: Step, attempt: Int, logFile: URL, resultFile: URL,
        context: [String: String], layout: RunLayout, parameters: [String: String] = [:], ledger: ProcessGroupLedger? = nil,
        runDate: RunDate? = nil
    ) {
        self.runDate = runDate
        self.job = job
        self.runID = runID
        self.step = step
        self.attempt = attempt
        self.logFile = logFile
        self.resultFile = resultFile
        self.context = context
        self.layout = layout
        self.parameters = parameters
        self.ledger = ledger
    }
}

/// How an attempt ended.
public struct AttemptOutcome: Sendable, Codable {
    public var status: Status
    public var startedAt: Date
    public var endedAt: Date
    /// `0`, `3` or a signal name.
    public var exitStatus: String
    /// Why it failed; `.empty` on success.
    public var reason: FailureReason
    public var message: String
    public var cpuSeconds: Double?
    public var maxRSSKilobytes: Int?
    /// Context values the step set, merged into the run when it passed.
    public var contextChanges: [String: String]
    /// `false` when another attempt cannot help or cannot happen (a cluster
    /// job that was cancelled or timed out as a whole): the engine then does
    /// not retry.
    public var retryable: Bool = true
    /// The machine the attempt ran on, when not the runner's (a cluster node).
    public var host: String?
    /// How many times the cluster had restarted the job that ran the attempt
    /// (Slurm's `SLURM_RESTART_COUNT`), so the runner can tell an attempt a
    /// requeue stopped from one that failed.
    public var clusterRestarts: Int?

    public init(
        status: Status, startedAt: Date, endedAt: Date, exitStatus: String = "", reason: FailureReason = .empty,
        message: String = "", cpuSeconds: Double? = nil, maxRSSKilobytes: Int? = nil,
        contextChanges: [String: String] = [:], retryable: Bool = true
    ) {
        self.retryable = retryable
        self.status = status
        self.startedAt = startedAt
        self.endedAt = endedAt
        self.exitStatus = exitStatus
        self.reason = reason
        self.message = message
        self.cpuSeconds = cpuSeconds
        self.maxRSSKilobytes = maxRSSKilobytes
        self.contextChanges = contextChanges
    }
}

extension ExecutionRecord {
    /// The history row of attempt `attempt` of `step`, which ended with `outcome`.
    package init(runID: String, job: String, step: Step, attempt: Int, outcome: AttemptOutcome, logFile: String) {
        self.init(
            runID: runID, job: job, stepID: step.id, stepName: step.name, attempt: attempt, status: outcome.status,
            startedAt: outcome.startedAt, endedAt: outcome.endedAt,
            cpuSeconds: outcome.cpuSeconds, maxRSSKilobytes: outcome.maxRSSKilobytes,
            exitStatus: outcome.exitStatus, reason: outcome.reason, message: outcome.message,
            logFile: logFile, host: outcome.host ?? ExecutionRecord.hostName)
    }
}

/// Runs step attempts somewhere: in local child processes, or on a cluster.
/// The engine decides what runs when; an executor decides where.
///
/// A local executor starts an attempt when ``execute(_:)`` is called. A
/// cluster executor submits the whole plan in ``prepare(_:)`` (the cluster
/// then starts each step when its parents pass) and ``execute(_:)`` waits for
/// the attempt's outcome; the engine's bookkeeping is the same for both.
public protocol StepExecutor: Sendable {
    /// Whether the engine limits steps by `--jobs` slots. A cluster
    /// scheduler decides that itself.
    var limitsSlots: Bool { get }

    /// Whether ``prepare(_:)`` submits every planned step ahead (a cluster),
    /// so a step must be found up to date before the run starts, not when
    /// its parents have run.
    var submitsAhead: Bool { get }

    /// Called once before the first attempt with what the run will launch.
    ///
    /// - Throws: When the steps cannot be run at all (a cluster that cannot
    ///   be reached); nothing has been recorded yet.
    func prepare(_ run: PlannedRun) async throws

    /// Runs one attempt to completion and says how it ended. It never throws:
    /// every failure is an outcome.
    func execute(_ attempt: StepAttempt) async -> AttemptOutcome

    /// The engine will not launch these steps (skipped after a failure,
    /// `--fail-fast`), so whatever was prepared for them can go.
    func abandon(_ stepIDs: [StepID])

    /// The run's steps are over (or interrupted): release what ``prepare(_:)``
    /// took.
    func finish() async
}

extension StepExecutor {
    public var limitsSlots: Bool { true }
    public var submitsAhead: Bool { false }
    public func prepare(_ run: PlannedRun) async throws {}
    public func abandon(_ stepIDs: [StepID]) {}
    public func finish() async {}
}

/// What a run is about to launch, as ``StepExecutor/prepare(_:)`` sees it.
public struct PlannedRun: Sendable {
    public let job: String
    public let runID: String
    public let layout: RunLayout
    public let graph: JobGraph
    public let plan: RunPlan
    /// Attempts each planned step made before this session (a resumed run).
    public let attemptsBefore: [StepID: Int]
    /// The shared context at the start of this session.
    public let context: [String: String]
    /// The run's parameters as recorded: secret ones as `***`.
    public let parameters: [String: String]
    /// Whether this session continues an earlier one (`--resume`).
    public let resumed: Bool
    /// The values of the secret parameters, for the steps only: an executor
    /// must never write them where the run's records or others can read them.
    public var secrets: [String: String] = [:]
    /// Variables of the runner's environment no step may inherit
    /// (``RunOptions/withheldVariables``).
    public var withheldVariables: Set<String> = []
    /// The run date every step gets.
    public var runDate: RunDate?

    public init(
        job: String, runID: String, layout: RunLayout, graph: JobGraph, plan: RunPlan,
        attemptsBefore: [StepID: Int], context: [String: String], parameters: [String: String], resumed: Bool
    ) {
        self.job = job
        self.runID = runID
        self.layout = layout
        self.graph = graph
        self.plan = plan
        self.attemptsBefore = attemptsBefore
        self.context = context
        self.parameters = parameters
        self.resumed = resumed
    }
}

/// What a Swift step's child writes when its body returns or throws, so the
/// runner can tell a finished step from a process that merely exited 0.
package struct StepResultFile: Codable {
    var ok: Bool
    var error: String?
    /// Context values the step set (key → JSON text).
    var context: [String: String]?
    /// The step process's own peak memory (`VmHWM`), in kilobytes.
    var peakKilobytes: Int?
    /// A Python task's return code (PyRunner's: 0, the worker's own, or
    /// 901–905), which the process's exit status cannot carry.
    var returnCode: Int?

    package init(ok: Bool, error: String? = nil, context: [String: String]? = nil, peakKilobytes: Int? = nil) {
        self.ok = ok
        self.error = error
        self.context = context
        self.peakKilobytes = peakKilobytes
    }

    static func read(_ url: URL) -> StepResultFile? {
        guard let data = try? Data(contentsOf: url) else { return nil }
        return try? JSONDecoder().decode(StepResultFile.self, from: data)
    }

    package func write(to url: URL) throws {
        try JSONEncoder().encode(self).write(to: url, options: .atomic)
    }
}
