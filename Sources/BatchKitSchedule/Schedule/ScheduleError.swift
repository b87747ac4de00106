import BatchKit
import BatchKitRunner
/// Why a schedule could not be made, installed or removed, with a message
/// saying what, where and what to do.
public struct ScheduleError: Error, CustomStringConvertible, Sendable {
    /// The kind of failure, which decides the exit code.
    public enum Code: Equatable, Sendable {
        /// A cron expression that does not parse (exit 64).
        case invalidExpression
        /// A valid cron expression the chosen scheduler cannot express (exit 64).
        case unsupported
        /// A name, path or argument that cannot go into a crontab or unit (exit 64).
        case invalidSetting
        /// What is installed under this name belongs to another job folder (exit 64).
        case conflict
        /// `crontab` or `systemctl` is not installed (exit 1).
        case toolMissing
        /// `crontab` or `systemctl` failed (exit 1).
        case toolFailed
        /// A file could not be read or written (exit 1).
        case io

        /// True for the kinds a different command line would fix (exit 64).
        public var isUsage: Bool {
            switch self {
            case .invalidExpression, .unsupported, .invalidSetting, .conflict: true
            case .toolMissing, .toolFailed, .io: false
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
}
