import BatchKit
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation

/// A Swift child of the runner (a step's, or the post-job tests') that died
/// of a crash signal, explained: the trap's message (`Index out of range`, a
/// `fatalError` text) and the line of the job's code it came from, for the
/// child's log and the report.
struct ChildCrash: Equatable {
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

    /// The variables that set up Swift's backtracer for a child whose report
    /// goes to `crashFile`; none when no backtracer was found.
    static func environment(crashFile: URL, toolchain: SwiftBacktrace.Toolchain?) -> [String: String] {
        SwiftBacktrace.setting(crashFile: crashFile, toolchain: toolchain).map { [SwiftBacktrace.variable: $0] } ?? [:]
    }

    /// When the child died of a crash signal, explains it at the end of its
    /// log (or says why it cannot) and returns the explanation.
    static func record(
        _ exit: ProcessExit, crashFile: URL, logFile: URL, layout: RunLayout, toolchain: SwiftBacktrace.Toolchain?
    ) async -> ChildCrash? {
        guard case .signaled(let signal) = exit.termination, signals.contains(signal) else { return nil }
        let crash = await explain(crashFile: crashFile, logFile: logFile, layout: layout, toolchain: toolchain)
        var lines = crash?.logLines(signal: signal) ?? ""
        if toolchain == nil { lines += "\(Timestamp.iso8601(Date())) WARN \(noBacktracer)\n" }
        append(lines, to: logFile)
        return crash
    }

    /// Explains a crash from Swift's report, the log's `Fatal error:` line
    /// and, when the backtracer dropped the trap's message, the toolchain's
    /// symbolizer. `nil` when there is nothing to add to what the signal says.
    static func explain(
        crashFile: URL, logFile: URL, layout: RunLayout, toolchain: SwiftBacktrace.Toolchain?
    ) async -> ChildCrash? {
        let project = layout.projectDirectory
        let report = CrashReport.read(crashFile)
        var message = report?.runtimeFailure ?? LogTail.fatalError(in: logFile).map(Self.fatalErrorText)
        if message == nil, let report, let symbolizer = toolchain?.symbolizer {
            message = await report.runtimeFailure(symbolizer: symbolizer)
        }
        guard let report else {
            return message.map { ChildCrash(message: $0, location: nil, backtrace: [], reportFile: nil) }
        }
        // Down to the job's outermost frame: what called the step is batchkit's.
        var located = report.frames.filter { !$0.isSystem && $0.file != nil }
        if let outermost = located.lastIndex(where: { CrashReport.isInJob($0, projectDirectory: project) }) {
            located = Array(located[...outermost])
        }
        let frames = located.prefix(shownFrames).map { frame in
            "\(CrashReport.location(of: frame, in: layout) ?? "?")  \(frame.function)"
        }
        return ChildCrash(
            message: message ?? report.description,
            location: report.userFrame(projectDirectory: project).flatMap { CrashReport.location(of: $0, in: layout) },
            backtrace: Array(frames),
            reportFile: layout.relative(crashFile))
    }

    /// Appends text to a log that exists.
    private static func append(_ text: String, to file: URL) {
        guard !text.isEmpty, let handle = try? FileHandle(forWritingTo: file) else { return }
        defer { try? handle.close() }
        _ = try? handle.seekToEnd()
        try? handle.write(contentsOf: Data(text.utf8))
    }

    /// What goes at the end of the child's log.
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
