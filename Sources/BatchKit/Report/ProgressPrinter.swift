import Foundation

/// Live progress on standard error: one timestamped line per event, so CI
/// logs and terminals both show what is running and what ended how.
public struct ProgressPrinter: Sendable {
    public let style: TerminalStyle

    public init(style: TerminalStyle) {
        self.style = style
    }

    /// Prints one event.
    public func handle(_ event: RunEvent) {
        let time = Timestamp.iso8601(Date())
        switch event {
        case .started(let step, let attempt):
            let retry = attempt > 1 ? " (attempt \(attempt))" : ""
            Console.error("\(style.paint(time, .gray)) START   \(step.displayID) \(step.name)\(retry)\n")
        case .finished(let record):
            let id = RunReport.displayID(record.stepID)
            var line = "\(style.paint(time, .gray)) \(style.status(record.status))"
                + String(repeating: " ", count: max(1, 8 - record.status.rawValue.count))
                + "\(id) \(record.stepName)"
            if record.status != .skipped { line += "  \(DurationFormat.seconds(record.durationSeconds))" }
            if !record.message.isEmpty { line += "  \(record.message)" }
            Console.error(line + "\n")
        case .warning(let message):
            Console.error("\(style.paint(time, .gray)) \(style.paint("WARNING", .yellow)) \(message)\n")
        }
    }
}
