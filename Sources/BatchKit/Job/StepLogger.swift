#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation

/// Writes timestamped, levelled lines to standard output, which the runner
/// sends to the step's log file. Each line is one unbuffered `write(2)`, so
/// nothing is lost when a step crashes right after logging.
public struct StepLogger: Sendable {
    /// How important a line is.
    public enum Level: String, Sendable {
        case info = "INFO"
        case warning = "WARN"
        case error = "ERROR"
    }

    private let descriptor: Int32

    /// A logger writing to `descriptor` (standard output by default).
    public init(descriptor: Int32 = 1) {
        self.descriptor = descriptor
    }

    /// Logs a line at `level`.
    public func log(_ level: Level, _ message: String) {
        let line = "\(Timestamp.iso8601(Date())) \(level.rawValue) \(message)\n"
        _ = FileDescriptorWriter.writeAll(descriptor, line)
    }

    /// Logs an informational line.
    public func info(_ message: String) { log(.info, message) }
    /// Logs a warning.
    public func warning(_ message: String) { log(.warning, message) }
    /// Logs an error.
    public func error(_ message: String) { log(.error, message) }
}
