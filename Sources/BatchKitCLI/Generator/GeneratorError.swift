import BatchKitRunner
import BatchKitCommandLine
import BatchKit

/// Why `batchkit` could not do what was asked, with a message saying what,
/// where and what to do.
public struct GeneratorError: Error, CustomStringConvertible, Sendable {
    /// The kind of failure, which decides the exit code.
    public struct Code: Equatable, Sendable {
        private enum Kind { case invalidName, usage, targetExists, notAProject, missingResources, io }
        private let kind: Kind

        /// A job name that cannot be used (exit 64).
        public static let invalidName = Code(kind: .invalidName)
        /// A bad command line (exit 64).
        public static let usage = Code(kind: .usage)
        /// The target folder exists and is not empty (exit 1).
        public static let targetExists = Code(kind: .targetExists)
        /// Not inside a generated job (exit 1).
        public static let notAProject = Code(kind: .notAProject)
        /// The installed templates or runtime sources are missing (exit 1).
        public static let missingResources = Code(kind: .missingResources)
        /// A file could not be read or written (exit 1).
        public static let io = Code(kind: .io)

        var exitCode: ExitCode {
            switch kind {
            case .invalidName, .usage: return .usage
            default: return .failure
            }
        }
    }

    public let code: Code
    public let message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { message }
    /// The process exit code for this error.
    public var exitCode: ExitCode { code.exitCode }
}
