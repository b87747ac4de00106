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
        "CBatchKitSpawn", "BatchKit", "BatchKitParallel", "BatchKitRunner", "BatchKitNotify", "BatchKitCluster", "BatchKitSchedule",
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

    /// What ``install(from:version:)`` did, by path under `Vendor/BatchKit/`.
    struct Written: Equatable {
        /// Files whose content changed (or that were new), rewritten.
        var written: [String] = []
        /// Files only the old copy had, removed.
        var removed: [String] = []
        /// Files that already held the new content, left untouched.
        var unchanged = 0

        /// "2 files written, 1 removed, 141 unchanged".
        var summary: String {
            let files = written.count == 1 ? "1 file" : "\(written.count) files"
            return "\(files) written" + (removed.isEmpty ? "" : ", \(removed.count) removed") + ", \(unchanged) unchanged"
        }
    }

    /// The files of the runtime `resources` holds for `version`, by path
    /// under `Vendor/BatchKit/`: the sources, then `Package.swift`,
    /// `README.md` and, last, `VERSION`.
    func expectedFiles(from resources: Resources, version: String) throws -> [(path: String, data: Data)] {
        var files: [(String, Data)] = []
        for module in Self.modules {
            let folder = resources.runtimeSources.appendingPathComponent(module)
            guard FileManager.default.fileExists(atPath: folder.path) else {
                throw GeneratorError(.missingResources, "the runtime sources have no \(folder.path); reinstall batchkit with ./install.sh")
            }
            for (path, data) in Self.files(under: folder).sorted(by: { $0.key < $1.key }) {
                files.append(("Sources/\(module)/\(path)", data))
            }
        }
        files.append(("Package.swift", try Self.manifestText(resources, version: version)))
        files.append(("README.md", Data(Self.readme(version).utf8)))
        files.append(("VERSION", Data("\(version)\n".utf8)))
        return files
    }

    /// Brings the vendored copy to `resources`' runtime and records
    /// `version`, writing only the files whose content differs: a file left
    /// as it was keeps its modification time, so neither `run.sh` nor SwiftPM
    /// rebuilds for it. Each file is written beside its place and renamed
    /// in, and `VERSION` goes last, so an interrupted upgrade leaves whole
    /// files and the old version recorded: running it again finishes it.
    /// Files under `Sources/` that the runtime no longer has are removed.
    @discardableResult
    func install(from resources: Resources, version: String) throws -> Written {
        let manager = FileManager.default
        let expected = try expectedFiles(from: resources, version: version)
        var result = Written()
        for (path, data) in expected {
            let file = folder.appendingPathComponent(path)
            if manager.contents(atPath: file.path) == data {
                result.unchanged += 1
                continue
            }
            try manager.createDirectory(at: file.deletingLastPathComponent(), withIntermediateDirectories: true)
            try data.write(to: file, options: .atomic)
            result.written.append(path)
        }
        let kept = Set(expected.map(\.path))
        for path in Self.allFiles(under: sources).sorted() where !kept.contains("Sources/" + path) {
            try manager.removeItem(at: sources.appendingPathComponent(path))
            result.removed.append("Sources/" + path)
        }
        try Self.removeEmptyFolders(under: sources)
        return result
    }

    /// Every file under `root`, hidden ones too, by relative path.
    private static func allFiles(under root: URL) -> [String] {
        var files: [String] = []
        let enumerator = FileManager.default.enumerator(atPath: root.path)
        while let path = enumerator?.nextObject() as? String {
            var isDirectory: ObjCBool = false
            if FileManager.default.fileExists(atPath: root.appendingPathComponent(path).path, isDirectory: &isDirectory), !isDirectory.boolValue {
                files.append(path)
            }
        }
        return files
    }

    /// Removes the folders under `root` that hold nothing (a module or a
    /// folder the runtime no longer has), deepest first.
    private static func removeEmptyFolders(under root: URL) throws {
        let manager = FileManager.default
        var folders: [String] = []
        let enumerator = manager.enumerator(atPath: root.path)
        while let path = enumerator?.nextObject() as? String {
            var isDirectory: ObjCBool = false
            if manager.fileExists(atPath: root.appendingPathComponent(path).path, isDirectory: &isDirectory), isDirectory.boolValue {
                folders.append(path)
            }
        }
        for path in folders.sorted(by: { $0.count > $1.count }) {
            let folder = root.appendingPathComponent(path)
            if (try? manager.contentsOfDirectory(atPath: folder.path))?.isEmpty == true { try manager.removeItem(at: folder) }
        }
    }

    /// The vendored folder's README for `version`.
    private static func readme(_ version: String) -> String {
        """
        # Vendored BatchKit \(version)

        This folder is a copy of the BatchKit runtime, made by `batchkit new` (or
        `batchkit upgrade`): a local package whose modules the job's Package.swift names
        (`BatchKit` for steps, `BatchKitParallel` for MapReduce, `BatchKitCommandLine` for
        the job binary). The job needs nothing but the Swift toolchain: no network.

        Do not edit these files: `batchkit upgrade`, run in the job's folder, replaces them
        with the installed batchkit's copy and updates `VERSION`. Review the change with
        `git diff Vendor/` and run `./run.sh` and `swift test` before committing it.

        """
    }
}
