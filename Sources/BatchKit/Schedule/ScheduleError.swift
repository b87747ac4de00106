/// Why a schedule could not be made, installed or removed, with a message
/// saying what, where and what to do.
public struct ScheduleError: Error, CustomStringConvertible, Sendable {
    /// The kind of failure, which decides the exit code.
    public struct Code: Equatable, Sendable {
        private enum Kind { case invalidExpression, unsupported, invalidSetting, conflict, toolMissing, toolFailed, io }
        private let kind: Kind

        /// A cron expression that does not parse (exit 64).
        public static let invalidExpression = Code(kind: .invalidExpression)
        /// A valid cron expression the chosen scheduler cannot express (exit 64).
        public static let unsupported = Code(kind: .unsupported)
        /// A name, path or argument that cannot go into a crontab or unit (exit 64).
        public static let invalidSetting = Code(kind: .invalidSetting)
        /// What is installed under this name belongs to another job folder (exit 64).
        public static let conflict = Code(kind: .conflict)
        /// `crontab` or `systemctl` is not installed (exit 1).
        public static let toolMissing = Code(kind: .toolMissing)
        /// `crontab` or `systemctl` failed (exit 1).
        public static let toolFailed = Code(kind: .toolFailed)
        /// A file could not be read or written (exit 1).
        public static let io = Code(kind: .io)

        /// True for the kinds a different command line would fix (exit 64).
        public var isUsage: Bool {
            switch kind {
            case .invalidExpression, .unsupported, .invalidSetting, .conflict: return true
            case .toolMissing, .toolFailed, .io: return false
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
