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
