import BatchKit
import Foundation

/// Everything needed to resume a run: each step's status and attempts, and
/// the shared context. Saved as `logs/runs/<run_id>/state.json` after every
/// change (see ``RunStateStore``).
public struct RunState: Codable, Sendable, Equatable {
    /// Where the run as a whole stands.
    public enum Phase: String, Codable, Sendable {
        /// Running, or the runner died (SIGKILL, power loss) while it was.
        case running
        case passed
        case failed
        case interrupted
    }

    /// One step's state.
    public struct StepState: Codable, Sendable, Equatable {
        public var name: String
        public var status: Status
        /// Attempts made in this run, across resumes.
        public var attempts: Int
        /// When the latest attempt started, recorded before it is launched,
        /// so an attempt lost with the runner keeps its real start.
        public var startedAt: Date?
        /// The latest attempt's log, relative to the project.
        public var logFile: String?
        /// The shared-context values the step's passing attempt set (key →
        /// JSON text), so a later partial run that leaves the step out can
        /// still give its descendants what it set (see ``InheritedContext``).
        public var contextSet: [String: String]?
        /// For a step found up to date (`CACHED`): the run whose pass it
        /// took. Its status is then `pass`, so a resume or a later partial
        /// run treats it as passed.
        public var cachedFrom: String?

        public init(name: String, status: Status = .pending, attempts: Int = 0) {
            self.name = name
            self.status = status
            self.attempts = attempts
        }
    }

    public var runID: String
    public var job: String
    public var startedAt: Date
    public var phase: Phase
    /// By step id (a JSON object keyed by the id's number).
    public var steps: [StepID: StepState]
    /// Shared context: key → JSON text of the value.
    public var context: [String: String]
    /// How many times this run was resumed.
    public var resumes: Int
    /// When each session of the run started, the first one included, once
    /// the run was resumed (`nil` before; a state of batchkit before 0.3
    /// knows only ``startedAt``).
    public var sessionStarts: [Date]?
    /// The steps a partial run covered (`--only`, `--from`, …); `nil` for all.
    /// `--resume` without a selection stays within it.
    public var scope: [StepID]?
    /// The run's effective parameters, secret ones as `***`; `nil` for none.
    public var parameters: [String: String]?
    /// Where each parameter came from: `config/base.json`, `--param`…
    public var parameterSources: [String: String]?
    /// The parameters whose values are secret: ``parameters`` shows them as
    /// `***` (``RunOptions/secretMask``), and `--resume` takes them again
    /// from `--param` or the environment. `nil` for none.
    public var secretParameters: [String]?
    /// The `--env` the run started with.
    public var environment: String?
    /// The day the run is for (`--date`); `--resume` keeps it. `nil` in a
    /// state of batchkit before 0.2.
    public var runDate: RunDate?
    /// The dates still to run after this one, when the run is part of a
    /// backfill (`--date FROM..TO`): `--resume` goes on with them.
    public var backfillRest: [RunDate]?
    /// How many rows of this run `logs/execution_logs.csv` held when this
    /// snapshot was written; rows the journal holds after it come next (see
    /// ``RunRecorder``).
    public var recordedRows: Int?
    /// Which snapshot this is; journal lines name the snapshot they follow,
    /// so a journal left beside a newer snapshot (a crash between the rename
    /// and the removal) is never replayed twice.
    public var generation: Int?

    public init(runID: String, job: String, startedAt: Date, steps: [Step]) {
        self.runID = runID
        self.job = job
        self.startedAt = startedAt
        self.phase = .running
        self.steps = Dictionary(uniqueKeysWithValues: steps.map { ($0.id, StepState(name: $0.name)) })
        self.context = [:]
        self.resumes = 0
    }

    /// The state of step `id`.
    public subscript(step id: StepID) -> StepState? {
        get { steps[id] }
        set { steps[id] = newValue }
    }
}
