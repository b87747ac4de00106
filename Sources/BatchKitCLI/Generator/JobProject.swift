import BatchKitRunner
import BatchKitCommandLine
import BatchKit
import Foundation

/// A job made by `batchkit new`, found on disk: its root, its steps module
/// and the file holding the step list.
struct JobProject {
    let root: URL
    let module: String

    var stepsFolder: URL { root.appendingPathComponent("Sources/\(module)") }
    var jobFile: URL { stepsFolder.appendingPathComponent("Job.swift") }

    /// Finds the job containing `directory` (or a parent of it): the nearest
    /// folder with `Package.swift` and a `Sources/<Module>/Job.swift`.
    ///
    /// - Throws: ``GeneratorError`` (`.notAProject`) when there is none.
    static func find(from directory: URL) throws(GeneratorError) -> JobProject {
        var current = directory.standardizedFileURL
        let manager = FileManager.default
        while true {
            if manager.fileExists(atPath: current.appendingPathComponent("Package.swift").path) {
                let sources = current.appendingPathComponent("Sources")
                let modules = ((try? manager.contentsOfDirectory(atPath: sources.path)) ?? []).sorted()
                if let module = modules.first(where: {
                    manager.fileExists(atPath: sources.appendingPathComponent("\($0)/Job.swift").path)
                }) {
                    return JobProject(root: current, module: module)
                }
            }
            let parent = current.deletingLastPathComponent()
            if parent.path == current.path { break }
            current = parent
        }
        throw GeneratorError(
            .notAProject,
            "\(directory.path) is not inside a batchkit job (no Package.swift with Sources/<Module>/Job.swift above it); run this in a folder made by `batchkit new`, or pass --path")
    }

    /// The numbered step files, by number.
    func stepFiles() -> [Int: [String]] {
        var files: [Int: [String]] = [:]
        let enumerator = FileManager.default.enumerator(atPath: stepsFolder.path)
        while let path = enumerator?.nextObject() as? String {
            if let name = StepFileName(fileID: path) { files[name.number, default: []].append(path) }
        }
        return files
    }
}
