import Foundation

/// Where a step stands, and how an attempt or a post-job test ended: the one
/// status the engine, the state file, the history and the report share.
///
/// An attempt or a test ends `pass`, `fail` or `skipped`; the history's
/// `status` column holds those words. `pending` and `running` are where a
/// step stands in a run that has not finished with it.
public enum Status: String, Sendable, Codable, CaseIterable {
    /// Not attempted yet in this run.
    case pending = "PENDING"
    /// An attempt is under way (or was, when the runner died).
    case running = "RUNNING"
    case pass = "PASS"
    /// Not run, because it was up to date: its code, parameters, inputs and
    /// outputs are as they were when it last passed (it declares its reads
    /// and writes). It counts as a pass, and the context it set then is
    /// given to its descendants.
    case cached = "CACHED"
    case fail = "FAIL"
    /// Not attempted, because something it depends on did not pass.
    case skipped = "SKIPPED"

    /// Whether this is how an attempt or a test ends (pass, fail, skipped),
    /// rather than where a step stands in a run.
    public var isOutcome: Bool {
        switch self {
        case .pass, .cached, .fail, .skipped: true
        case .pending, .running: false
        }
    }

    /// Whether the step's outputs are good: it passed, or was up to date.
    public var isSuccess: Bool { self == .pass || self == .cached }

    /// Reads the word in either case (state files of batchkit 0.1 wrote
    /// `pass`, the history writes `PASS`).
    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        let word = try container.decode(String.self)
        guard let status = Status(rawValue: word.uppercased()) else {
            throw DecodingError.dataCorruptedError(
                in: container, debugDescription: "unknown status \"\(word)\"; expected PASS, CACHED, FAIL, SKIPPED, PENDING or RUNNING")
        }
        self = status
    }

    /// The outcome a history row or test result holds; `nil` for anything
    /// else (including `PENDING` and `RUNNING`, which no row holds).
    public init?(outcome word: String) {
        guard let status = Status(rawValue: word), status.isOutcome else { return nil }
        self = status
    }
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
