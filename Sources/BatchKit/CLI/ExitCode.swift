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

/// A command line that cannot be understood: what is wrong, and the command
/// whose `--help` explains it.
public struct UsageError: Error, CustomStringConvertible, Sendable {
    public let message: String
    /// The command to suggest `--help` for, e.g. `batchkit new`.
    public let command: String

    public init(_ message: String, command: String) {
        self.message = message
        self.command = command
    }

    public var description: String {
        "\(message)\nRun '\(command) --help' for usage."
    }
}
