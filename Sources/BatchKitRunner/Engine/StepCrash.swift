import BatchKit
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation

/// A Swift step's child that died of a crash signal, explained: the trap's
/// message (`Index out of range`, a `fatalError` text) and the line of the
/// job's code it came from, for the step's log and the report.
struct StepCrash: Equatable {
    /// What failed: the trap's message, else the signal's description.
    var message: String
    /// `Sources/Job/03_transform.swift:10:40`, when debug information had it.
    var location: String?
    /// `file:line  function` per frame of the crashed thread, innermost first,
    /// without the runtime's and the compiler's own frames.
    var backtrace: [String]
    /// Swift's full report, relative to the job's folder.
    var reportFile: String?

    /// The signals a crash ends with (a trap is `SIGILL` on x86-64 and
    /// `SIGTRAP` on arm64).
    static let signals: Set<Int32> = [SIGILL, SIGTRAP, SIGSEGV, SIGBUS, SIGFPE, SIGABRT]

    /// At most this many frames go to the step's log; the report file has all.
    static let shownFrames = 6

    /// The outcome's message: `crashed at FILE:LINE:COL: MESSAGE (SIGILL)`.
    func summary(signal: Int32) -> String {
        let place = location.map { " at \($0)" } ?? ""
        return "crashed\(place): \(message) (\(SignalName.name(signal)))"
    }

    /// Explains the crash of one attempt from Swift's report, the log's
    /// `Fatal error:` line and, when the backtracer dropped the trap's
    /// message, the toolchain's symbolizer. `nil` when there is nothing to
    /// add to what the signal says.
    static func explain(
        attempt: StepAttempt, toolchain: SwiftBacktrace.Toolchain? = .current
    ) async -> StepCrash? {
        let project = attempt.layout.projectDirectory
        let crashFile = attempt.layout.crashFile(runID: attempt.runID, stepID: attempt.step.id, attempt: attempt.attempt)
        let report = CrashReport.read(crashFile)
        var message = report?.runtimeFailure ?? LogTail.fatalError(in: attempt.logFile).map(Self.fatalErrorText)
        if message == nil, let report, let symbolizer = toolchain?.symbolizer {
            message = await report.runtimeFailure(symbolizer: symbolizer)
        }
        guard let report else {
            return message.map { StepCrash(message: $0, location: nil, backtrace: [], reportFile: nil) }
        }
        // Down to the job's outermost frame: what called the step is batchkit's.
        var located = report.frames.filter { !$0.isSystem && $0.file != nil }
        if let outermost = located.lastIndex(where: { CrashReport.isInJob($0, projectDirectory: project) }) {
            located = Array(located[...outermost])
        }
        let frames = located.prefix(shownFrames).map { frame in
            "\(CrashReport.location(of: frame, in: attempt.layout) ?? "?")  \(frame.function)"
        }
        return StepCrash(
            message: message ?? report.description,
            location: report.userFrame(projectDirectory: project).flatMap { CrashReport.location(of: $0, in: attempt.layout) },
            backtrace: Array(frames),
            reportFile: attempt.layout.relative(crashFile))
    }

    /// What goes at the end of the step's log.
    func logLines(signal: Int32, at date: Date = Date()) -> String {
        let stamp = Timestamp.iso8601(date)
        var text = "\(stamp) ERROR \(summary(signal: signal))\n"
        if !backtrace.isEmpty {
            let full = reportFile.map { "; all of it in \($0)" } ?? ""
            text += "\(stamp) ERROR backtrace, innermost call first\(full):\n"
            text += backtrace.map { "    \($0)\n" }.joined()
        }
        return text
    }

    /// `Index out of range` from `Swift/Array.swift:400: Fatal error: Index out of range`.
    static func fatalErrorText(_ line: String) -> String {
        guard let range = line.range(of: "Fatal error: ") else { return line }
        let text = line[range.upperBound...].trimmingCharacters(in: .whitespaces)
        return text.isEmpty ? "Fatal error" : text
    }

    /// Said in the step's log when no backtracer was found, so the reader
    /// knows why there is no line number.
    static let noBacktracer = "no backtrace: Swift's backtracer was not found next to `swift` on PATH "
        + "(…/usr/libexec/swift/linux/swift-backtrace-static); put the toolchain's bin folder on PATH to get one"
}
