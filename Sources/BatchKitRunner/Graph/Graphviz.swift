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
        // Scratch files, not synced (Foundation's `write(to:)` would `fsync` them).
        func write(_ text: String, to url: URL) throws {
            let code = FileDescriptorWriter.append(text, to: url.path)
            guard code == 0 else { throw RenderError(message: "cannot write \(url.path): \(String(cString: strerror(code)))") }
        }
        try write(dot, to: input)
        var environment: [String: String] = [:]
        if format == "svg", ProcessInfo.processInfo.environment["GVBINDIR"] == nil,
           let plugins = corePlugins(of: executable) {
            try write(plugins.configuration, to: scratch.appendingPathComponent(plugins.fileName))
            environment["GVBINDIR"] = scratch.path
        }
        let child = try await ChildProcess.spawn(ChildProcess.Request(
            executable: executable, arguments: ["-T\(format)", "-o", rendered.path, input.path],
            environment: environment, logFile: log.path))
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

    /// A plugin configuration for `GVBINDIR` with only Graphviz's `core`
    /// renderers and its `dot` layout, when the installation's own
    /// configuration can be found (`nil` otherwise, and `dot` runs as it is).
    ///
    /// Left to itself, `dot` loads every plugin installed, and the pango
    /// plugin starts fontconfig: 10–15 ms before a drawing that takes 2 ms.
    /// With only the core plugins, `dot` sizes labels with its built-in
    /// font metrics, which is all an SVG needs: the browser sets the text.
    static func corePlugins(of executable: String) -> (fileName: String, configuration: String)? {
        let fileManager = FileManager.default
        let binary = URL(fileURLWithPath: executable).resolvingSymlinksInPath()
        let prefix = binary.deletingLastPathComponent().deletingLastPathComponent()
        let lib = prefix.appendingPathComponent("lib")
        let multiarch = ((try? fileManager.contentsOfDirectory(atPath: lib.path)) ?? [])
            .filter { $0.contains("-linux-") }.sorted()
            .map { lib.appendingPathComponent($0) }
        for folder in multiarch + [lib, prefix.appendingPathComponent("lib64")] {
            let plugins = folder.appendingPathComponent("graphviz")
            guard let name = ((try? fileManager.contentsOfDirectory(atPath: plugins.path)) ?? [])
                .filter({ $0.hasPrefix("config") }).sorted().last,
                let text = try? String(contentsOf: plugins.appendingPathComponent(name), encoding: .utf8),
                let configuration = corePluginConfiguration(text, folder: plugins.path)
            else { continue }
            return (name, configuration)
        }
        return nil
    }

    /// The `core` and `dot_layout` blocks of a Graphviz plugin configuration
    /// (`config6a`), their libraries named by absolute path; `nil` unless
    /// both are there.
    static func corePluginConfiguration(_ text: String, folder: String) -> String? {
        var kept: [String] = []
        var found: Set<String> = []
        var keeping = false
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            if let first = line.first, first != "\t", first != " ", first != "#", first != "}" {
                // The first line of a plugin library's block: `LIBRARY API {`.
                let words = line.split(separator: " ")
                keeping = words.count == 3 && ["core", "dot_layout"].contains(words[1]) && words[2] == "{"
                if keeping {
                    found.insert(String(words[1]))
                    let library = words[0].hasPrefix("/") ? String(words[0]) : "\(folder)/\(words[0])"
                    kept.append("\(library) \(words[1]) {")
                    continue
                }
            }
            if keeping { kept.append(String(line)) }
            if line == "}" { keeping = false }
        }
        return found.count == 2 ? kept.joined(separator: "\n") + "\n" : nil
    }
}
