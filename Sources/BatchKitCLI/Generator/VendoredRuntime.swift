import BatchKitRunner
import BatchKitCommandLine
import BatchKit
import Foundation

/// The copy of BatchKit inside a generated job, `Vendor/BatchKit/`:
/// `Sources/BatchKit/` (the runtime's sources, built as a target of the job's
/// own package) and `VERSION`. Vendoring is what lets a job build offline with
/// nothing but the Swift toolchain.
struct VendoredRuntime {
    let projectDirectory: URL

    var folder: URL { projectDirectory.appendingPathComponent("Vendor/BatchKit") }
    var sources: URL { folder.appendingPathComponent("Sources/BatchKit") }
    var versionFile: URL { folder.appendingPathComponent("VERSION") }

    /// The vendored version, if recorded.
    func installedVersion() -> String? {
        (try? String(contentsOf: versionFile, encoding: .utf8))?.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// How the vendored sources differ from `resources`' copy, by relative path.
    struct Differences: Equatable {
        var changed: [String] = []
        var added: [String] = []
        var removed: [String] = []

        var isEmpty: Bool { changed.isEmpty && added.isEmpty && removed.isEmpty }

        /// "2 changed (a.swift, b.swift), 1 only in the job (x.swift)".
        var summary: String {
            var parts: [String] = []
            if !changed.isEmpty { parts.append("\(changed.count) changed (\(changed.joined(separator: ", ")))") }
            if !removed.isEmpty { parts.append("\(removed.count) only in the job (\(removed.joined(separator: ", ")))") }
            if !added.isEmpty { parts.append("\(added.count) new (\(added.joined(separator: ", ")))") }
            return parts.joined(separator: ", ")
        }
    }

    /// Compares the vendored sources with `resources`' runtime sources.
    /// `added` are files the upgrade brings; `removed` are files only the job has.
    func differences(from resources: Resources) -> Differences {
        let mine = Self.files(under: sources)
        let theirs = Self.files(under: resources.runtimeSources)
        var result = Differences()
        for file in theirs.keys.sorted() {
            guard let local = mine[file] else { result.added.append(file); continue }
            if local != theirs[file] { result.changed.append(file) }
        }
        result.removed = mine.keys.filter { theirs[$0] == nil }.sorted()
        return result
    }

    private static func files(under root: URL) -> [String: Data] {
        var files: [String: Data] = [:]
        let enumerator = FileManager.default.enumerator(atPath: root.path)
        while let path = enumerator?.nextObject() as? String {
            if let data = FileManager.default.contents(atPath: root.appendingPathComponent(path).path),
               !path.hasPrefix(".") {
                var isDirectory: ObjCBool = false
                _ = FileManager.default.fileExists(atPath: root.appendingPathComponent(path).path, isDirectory: &isDirectory)
                if !isDirectory.boolValue { files[path] = data }
            }
        }
        return files
    }

    /// Copies the runtime from `resources` and records `version`. The new
    /// sources are assembled beside the old ones and swapped in with renames,
    /// so an interrupted upgrade leaves a complete copy behind.
    func install(from resources: Resources, version: String) throws {
        let manager = FileManager.default
        try manager.createDirectory(at: sources.deletingLastPathComponent(), withIntermediateDirectories: true)
        let staging = sources.deletingLastPathComponent().appendingPathComponent(".BatchKit.new-\(getpid())")
        let retired = sources.deletingLastPathComponent().appendingPathComponent(".BatchKit.old-\(getpid())")
        try? manager.removeItem(at: staging)
        try manager.copyItem(at: resources.runtimeSources, to: staging)
        if manager.fileExists(atPath: sources.path) {
            try manager.moveItem(at: sources, to: retired)
        }
        try manager.moveItem(at: staging, to: sources)
        try? manager.removeItem(at: retired)
        try Data("\(version)\n".utf8).write(to: versionFile, options: .atomic)
        let readme = """
            # Vendored BatchKit \(version)

            This folder is a copy of the BatchKit runtime, made by `batchkit new` (or
            `batchkit upgrade`). It is built as a target of this job's own package, so the job
            needs nothing but the Swift toolchain: no network, no package resolution.

            Do not edit these files: `batchkit upgrade`, run in the job's folder, replaces them
            with the installed batchkit's copy and updates `VERSION`. Review the change with
            `git diff Vendor/` and run `./run.sh` and `swift test` before committing it.

            """
        try Data(readme.utf8).write(to: folder.appendingPathComponent("README.md"), options: .atomic)
    }
}
