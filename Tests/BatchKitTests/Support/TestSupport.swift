import BatchKit
import Foundation
import Testing

/// A fresh temporary folder, removed when the test ends.
final class TemporaryDirectory {
    let url: URL

    init() throws {
        url = FileManager.default.temporaryDirectory
            .appendingPathComponent("batchkit-tests-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }

    deinit {
        try? FileManager.default.removeItem(at: url)
    }

    func path(_ relative: String) -> URL { url.appendingPathComponent(relative) }

    func write(_ relative: String, _ text: String) throws {
        let target = path(relative)
        try FileManager.default.createDirectory(at: target.deletingLastPathComponent(), withIntermediateDirectories: true)
        try Data(text.utf8).write(to: target)
    }

    func read(_ relative: String) throws -> String {
        try String(contentsOf: path(relative), encoding: .utf8)
    }
}

/// True when running in CI (`BATCHKIT_CI=1` or `CI=true`), where nothing may skip.
let isCI: Bool = {
    let environment = ProcessInfo.processInfo.environment
    return environment["BATCHKIT_CI"] == "1" || environment["CI"] == "true"
}()

/// The path of `tool` on PATH; when missing, a loud skip message outside CI
/// and a test failure in CI.
func requireTool(_ tool: String, for purpose: String) -> String? {
    for directory in (ProcessInfo.processInfo.environment["PATH"] ?? "").split(separator: ":") {
        let candidate = "\(directory)/\(tool)"
        if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
    }
    if isCI {
        Issue.record("\(tool) is required in CI for \(purpose) but is not on PATH")
    } else {
        FileHandle.standardError.write(Data("\n*** SKIPPED: \(purpose): `\(tool)` is not installed (install it; CI never skips this) ***\n\n".utf8))
    }
    return nil
}

/// A shell step, for engine tests that need no job binary.
func shellStep(_ id: Int, _ name: String, after parents: [Int]? = nil, _ command: String) -> Step {
    Step(id: id, name: name, parents: parents, source: "test:\(id)", action: .shell(command))
}
