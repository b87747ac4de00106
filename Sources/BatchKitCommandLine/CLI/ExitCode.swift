import BatchKit
import BatchKitRunner
import BatchKitNotify
import BatchKitCluster
import BatchKitSchedule
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
/// The exit codes of `batchkit` and of every job binary.
public enum ExitCode: Int32, Sendable {
    /// Everything passed.
    case success = 0
    /// A step or a post-job test failed (or an operation could not be done).
    case failure = 1
    /// A usage error or an invalid job definition (EX_USAGE).
    case usage = 64
    /// Interrupted by SIGHUP (the terminal was closed).
    case hangup = 129
    /// Interrupted by SIGINT (Ctrl-C).
    case interrupted = 130
    /// Terminated by SIGTERM.
    case terminated = 143

    /// The code for a run stopped by `signal`: 128 + its number, as a shell
    /// reports a process the signal ended.
    static func stopped(by signal: Int32) -> ExitCode {
        switch signal {
        case SIGHUP: .hangup
        case SIGTERM: .terminated
        default: .interrupted
        }
    }
}

