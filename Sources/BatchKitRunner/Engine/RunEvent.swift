import BatchKit
import Foundation

/// What the engine reports while it runs, for live progress.
public enum RunEvent: Sendable {
    /// The run starts with this many planned steps.
    case planned(count: Int)
    /// An attempt of a step started; it may report progress in `progressFile`.
    case started(step: Step, attempt: Int, progressFile: URL?)
    /// An attempt ended (PASS or FAIL), or a step was skipped; the record is
    /// already in the CSV history.
    case finished(ExecutionRecord)
    /// An attempt failed and the step will be tried again after `retryIn`
    /// seconds; the record is already in the CSV history.
    case attemptFailed(ExecutionRecord, retryIn: Double)
    /// A problem that does not stop the run, such as a history write failing.
    case warning(String)
    /// Something worth a line that is not a problem (waiting for a file).
    case note(String)
}

/// Everything that happened to one step in one run.
public struct StepRun: Sendable, Codable {
    public let stepID: StepID
    public let name: String
    /// One record per attempt, in order; one SKIPPED record for a skipped step.
    public let records: [ExecutionRecord]

    /// The final status: that of the last record.
    public var status: Status { records.last?.status ?? .skipped }
    /// Attempts made in the run, across resumes: the highest attempt
    /// number, as the CSV history and the progress line number them (a
    /// resumed step's records are this session's, so counting them would
    /// miss the attempts an earlier session made).
    public var attempts: Int { records.map(\.attempt).max() ?? 0 }
    /// Wall time across all attempts, in seconds.
    public var durationSeconds: Double { records.reduce(0) { $0 + $1.durationSeconds } }
}
