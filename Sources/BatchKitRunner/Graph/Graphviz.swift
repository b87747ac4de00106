import BatchKit
import Foundation

/// Graphviz's `dot`, when it is installed.
public enum Graphviz {
    /// The path of `dot` on `PATH`, if any.
    public static func dotExecutable(environment: [String: String] = ProcessInfo.processInfo.environment) -> String? {
        ExecutablePath.find("dot", environment: environment)
    }

    /// A `dot` run that failed.
    public struct RenderError: Error, CustomStringConvertible {
        public let message: String
        public var description: String { message }
    }

    /// Renders DOT text to `format` (`svg`, `png`, …) at `output`, atomically.
    ///
    /// `dot` gets `timeout` seconds; then its process group is killed. A
    /// cancelled task (the runner got a signal) kills it at once.
    ///
    /// - Throws: ``RenderError`` with dot's own message when it rejects the
    ///   input, or when it ran out of time; `CancellationError` when cancelled.
    public static func render(dot: String, format: String, to output: URL, executable: String, timeout: Double = 30) async throws {
        try Task.checkCancellation()
        let scratch = FileManager.default.temporaryDirectory
            .appendingPathComponent("batchkit-dot-\(getpid())-\(UInt32.random(in: 0...UInt32.max))")
        try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: scratch) }
        let input = scratch.appendingPathComponent("dag.dot")
        let rendered = scratch.appendingPathComponent("dag.\(format)")
        let log = scratch.appendingPathComponent("dot.log")
        try Data(dot.utf8).write(to: input)
        let child = try await ChildProcess.spawn(ChildProcess.Request(
            executable: executable, arguments: ["-T\(format)", "-o", rendered.path, input.path], logFile: log.path))
        let exit = await withTaskCancellationHandler {
            await withTaskGroup(of: ProcessExit?.self) { group in
                group.addTask { await child.wait() }
                group.addTask {
                    try? await Task.sleep(for: .seconds(timeout))
                    return nil
                }
                var ended: ProcessExit?
                while let next = await group.next() {
                    if let next {
                        ended = next
                        group.cancelAll()
                    } else if ended == nil {
                        // Out of time (or cancelled): end dot, then collect it.
                        child.signalGroup(SIGKILL)
                    }
                }
                return ended ?? ProcessExit(termination: .signaled(SIGKILL))
            }
        } onCancel: {
            child.signalGroup(SIGKILL)
        }
        try Task.checkCancellation()
        if case .signaled(SIGKILL) = exit.termination {
            throw RenderError(message: "dot did not finish within \(DurationFormat.seconds(timeout)) and was stopped (set BATCHKIT_DOT_TIMEOUT to give it longer)")
        }
        guard exit.succeeded, FileManager.default.fileExists(atPath: rendered.path) else {
            let output = (try? String(contentsOf: log, encoding: .utf8))?
                .trimmingCharacters(in: .whitespacesAndNewlines) ?? ""
            throw RenderError(message: "dot \(exit.summary)\(output.isEmpty ? "" : ": \(output)")")
        }
        try FileManager.default.createDirectory(at: output.deletingLastPathComponent(), withIntermediateDirectories: true)
        _ = try? FileManager.default.removeItem(at: output)
        try FileManager.default.moveItem(at: rendered, to: output)
    }
}
