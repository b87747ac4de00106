import BatchKit
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation

/// Whether output may use ANSI colours, and the colours themselves.
/// Colour only on a terminal, never with `NO_COLOR` set or `TERM=dumb`.
public struct TerminalStyle: Sendable {
    /// True when colour escapes are written.
    public let colors: Bool

    public init(colors: Bool) {
        self.colors = colors
    }

    /// The style for a file descriptor: colour when it is a TTY, `NO_COLOR`
    /// is unset and `TERM` is not `dumb`.
    public static func forDescriptor(_ descriptor: Int32, environment: [String: String] = ProcessInfo.processInfo.environment) -> TerminalStyle {
        let noColor = environment["NO_COLOR"].map { !$0.isEmpty } ?? false
        return TerminalStyle(colors: isatty(descriptor) == 1 && !noColor && environment["TERM"] != "dumb")
    }

    /// ANSI colours used by reports.
    public enum Color: String, Sendable {
        case red = "31", green = "32", yellow = "33", cyan = "36", gray = "90", bold = "1"
    }

    /// `text` in `color`, or plain when colours are off.
    public func paint(_ text: String, _ color: Color) -> String {
        colors ? "\u{1B}[\(color.rawValue)m\(text)\u{1B}[0m" : text
    }

    /// A status word in its colour: PASS green, CACHED cyan, FAIL red,
    /// SKIPPED and PENDING grey, RUNNING yellow.
    public func status(_ status: Status) -> String {
        switch status {
        case .pass: return paint(status.rawValue, .green)
        case .cached: return paint(status.rawValue, .cyan)
        case .fail: return paint(status.rawValue, .red)
        case .skipped, .pending: return paint(status.rawValue, .gray)
        case .running: return paint(status.rawValue, .yellow)
        }
    }
}
