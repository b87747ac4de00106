import Foundation

/// Whether a step attempt or a post-job test passed.
public enum Status: String, Sendable, Codable, CaseIterable {
    case pass = "PASS"
    case fail = "FAIL"
    /// Not attempted, because something it depends on did not pass.
    case skipped = "SKIPPED"
}

/// Why an attempt failed or a step was skipped, in a word. The raw values
/// are the words the `reason` column of `logs/execution_logs.csv` holds.
public enum FailureReason: String, Sendable, Codable, CaseIterable, CustomStringConvertible {
    /// No reason: the attempt passed.
    case empty = ""
    /// The step's process exited with a code other than 0.
    case exit
    /// The step's process was killed by a signal.
    case signal
    /// A Swift step's body threw.
    case error
    /// The step's process could not be started.
    case spawn
    case timeout
    /// Over its memory cap.
    case memory
    /// The run was stopped (Ctrl-C, SIGTERM) while it ran or before it started.
    case interrupted
    /// Skipped: a step it depends on failed.
    case upstreamFailed = "upstream failed"
    /// Skipped: `--fail-fast` after another step failed.
    case failFast = "fail-fast"
    /// Skipped: the run ended before it could start.
    case notRun = "not run"
    /// The runner died while the attempt ran.
    case runnerDied = "runner died"
    /// A cluster node lost the attempt (the job was requeued).
    case lost
    /// Slurm: the node failed.
    case nodeFailed = "node failed"
    /// Slurm: the job was preempted.
    case preempted
    /// Slurm: the job was cancelled by someone else.
    case cancelled
    /// Slurm ended the job in another way.
    case slurm
    /// A whole run not started: another run held the lock.
    case locked
    /// A whole run not started: `--wait-for` timed out.
    case waitTimeout = "wait timeout"

    public var description: String { rawValue }

    /// Decodes the word, tolerating one this version does not know (an
    /// outcome file from a newer batchkit on a cluster node).
    public init(from decoder: any Decoder) throws {
        self.init(word: try decoder.singleValueContainer().decode(String.self))
    }

    /// The reason a history file holds; an unknown word (a newer batchkit's)
    /// reads as `error`.
    public init(word: String) {
        self = FailureReason(rawValue: word) ?? .error
    }
}
