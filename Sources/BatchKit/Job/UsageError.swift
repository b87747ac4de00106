import Foundation

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
