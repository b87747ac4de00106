import BatchKitRunner
import BatchKitCommandLine
import BatchKit
import Foundation

/// The copy of BatchKit inside a generated job, `Vendor/BatchKit/`: a local
/// package (`Package.swift`, and `Sources/<module>/` for each of
/// ``modules``) that the job's manifest names with `.package(path:)`, and
/// `VERSION`. Vendoring is what lets a job build offline with nothing but the
/// Swift toolchain.
struct VendoredRuntime {
    let projectDirectory: URL

    /// The runtime's modules, lowest layer first: the targets of
    /// `Templates/runtime/Package.swift`.
    static let modules = [
        "BatchKit", "BatchKitParallel", "BatchKitRunner", "BatchKitNotify", "BatchKitCluster", "BatchKitSchedule",
        "BatchKitCommandLine",
    ]

    var folder: URL { projectDirectory.appendingPathComponent("Vendor/BatchKit") }
    var sources: URL { folder.appendingPathComponent("Sources") }
    var manifest: URL { folder.appendingPathComponent("Package.swift") }
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

    /// Compares the vendored package with `resources`' runtime, by path
    /// under `Vendor/BatchKit/`. `added` are files the upgrade brings;
    /// `removed` are files only the job has.
    func differences(from resources: Resources, version: String) -> Differences {
        var mine = Self.files(under: sources).reduce(into: [String: Data]()) { $0["Sources/" + $1.key] = $1.value }
        mine["Package.swift"] = FileManager.default.contents(atPath: manifest.path)
        var theirs: [String: Data] = [:]
        for module in Self.modules {
            for (path, data) in Self.files(under: resources.runtimeSources.appendingPathComponent(module)) {
                theirs["Sources/\(module)/\(path)"] = data
            }
        }
        theirs["Package.swift"] = try? Self.manifestText(resources, version: version)
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

    /// The vendored manifest for `version`.
    static func manifestText(_ resources: Resources, version: String) throws -> Data {
        let template = try String(contentsOf: resources.runtimeManifest, encoding: .utf8)
        return Data(template.replacingOccurrences(of: "{{BATCHKIT_VERSION}}", with: version).utf8)
    }

    /// Copies the runtime from `resources` and records `version`. The new
    /// sources are assembled beside the old ones and swapped in with renames,
    /// so an interrupted upgrade leaves a complete copy behind; the manifest
    /// goes in after them.
    func install(from resources: Resources, version: String) throws {
        let manager = FileManager.default
        try manager.createDirectory(at: folder, withIntermediateDirectories: true)
        let staging = folder.appendingPathComponent(".Sources.new-\(getpid())")
        let retired = folder.appendingPathComponent(".Sources.old-\(getpid())")
        try? manager.removeItem(at: staging)
        try manager.createDirectory(at: staging, withIntermediateDirectories: true)
        for module in Self.modules {
            try manager.copyItem(at: resources.runtimeSources.appendingPathComponent(module), to: staging.appendingPathComponent(module))
        }
        if manager.fileExists(atPath: sources.path) {
            try manager.moveItem(at: sources, to: retired)
        }
        try manager.moveItem(at: staging, to: sources)
        try? manager.removeItem(at: retired)
        try Self.manifestText(resources, version: version).write(to: manifest, options: .atomic)
        try Data("\(version)\n".utf8).write(to: versionFile, options: .atomic)
        let readme = """
            # Vendored BatchKit \(version)

            This folder is a copy of the BatchKit runtime, made by `batchkit new` (or
            `batchkit upgrade`): a local package whose modules the job's Package.swift names
            (`BatchKit` for steps, `BatchKitParallel` for MapReduce, `BatchKitCommandLine` for
            the job binary). The job needs nothing but the Swift toolchain: no network.

            Do not edit these files: `batchkit upgrade`, run in the job's folder, replaces them
            with the installed batchkit's copy and updates `VERSION`. Review the change with
            `git diff Vendor/` and run `./run.sh` and `swift test` before committing it.

            """
        try Data(readme.utf8).write(to: folder.appendingPathComponent("README.md"), options: .atomic)
    }
}
