import BatchKit
import BatchKitRunner
import BatchKitNotify
import BatchKitCluster
import BatchKitSchedule
/// The exit codes of `batchkit` and of every job binary.
public enum ExitCode: Int32, Sendable {
    /// Everything passed.
    case success = 0
    /// A step or a post-job test failed (or an operation could not be done).
    case failure = 1
    /// A usage error or an invalid job definition (EX_USAGE).
    case usage = 64
    /// Interrupted by SIGINT (Ctrl-C).
    case interrupted = 130
    /// Terminated by SIGTERM.
    case terminated = 143
}

