import BatchKitRunner
import BatchKitCommandLine
import BatchKit
import Foundation

/// `batchkit upgrade [--path DIR]`.
enum UpgradeCommand: CLICommand {
    static let name = "upgrade"
    static let help = """
        USAGE: batchkit upgrade [--path DIR] [--force]

        Replaces the job's vendored runtime, the local package Vendor/BatchKit/,
        with the copy that comes with this batchkit (\(BatchKit.version)), records the
        version in Vendor/BatchKit/VERSION and lists the files that changed. Only
        files whose content differs are written, so the next ./run.sh rebuilds only
        what changed; run twice, the second upgrade writes nothing.

        A job made by batchkit 0.1.0 built the runtime as a target of its own
        package; upgrade moves it to the vendored package: it rewrites Package.swift,
        adds `import BatchKitCommandLine` to Sources/Run/main.swift and
        `import BatchKitParallel` to files that use MapReduce. Nothing else in the
        job changes. Review with `git diff`, then run ./run.sh and swift test.

        When the job already has \(BatchKit.version) but its copy was edited by hand,
        upgrade lists the edits and refuses (exit 1) rather than discard them.

        OPTIONS:
          --path DIR      The job's folder (default: the current folder or a parent).
          --force         Replace the vendored copy even if it was edited by hand.
          -h, --help      Show this help.

        """

    static func run(_ arguments: [String], workingDirectory: URL) async throws -> String {
        let command = "batchkit upgrade"
        let parsed = try Arguments(arguments, flags: ["--force"], options: ["--path"], command: command)
        if let extra = parsed.positionals.first {
            throw UsageError("unexpected argument '\(extra)'", command: command)
        }
        let start = parsed.value("--path").map { URL(fileURLWithPath: $0, relativeTo: workingDirectory) } ?? workingDirectory
        let project = try JobProject.find(from: start)
        let vendored = VendoredRuntime(projectDirectory: project.root)
        let before = vendored.installedVersion() ?? "unknown"
        let resources = try Resources.locate()
        let differences = vendored.differences(from: resources, version: BatchKit.version)
        if before == BatchKit.version, !differences.isEmpty, !parsed.has("--force") {
            throw GeneratorError(
                .io,
                "Vendor/BatchKit is already \(before) but was edited by hand: \(differences.summary). "
                    + "Nothing was changed. Save the edits (git diff Vendor/ > local.patch), then run `batchkit upgrade --force`")
        }
        var migrated: [String] = []
        let written: VendoredRuntime.Written
        do {
            // A 0.1 job built the runtime as a target of its own; today it is a local package.
            if JobManifest.isOld(project.root) { migrated = try JobManifest.migrate(project.root) }
            written = try vendored.install(from: resources, version: BatchKit.version)
        } catch let error as GeneratorError {
            throw error
        } catch {
            throw GeneratorError(.io, "cannot update \(vendored.folder.path): \(ErrorDescription.of(error))")
        }
        // Files left as they were keep their times, so the next ./run.sh rebuilds only for what changed.
        let detail = differences.isEmpty ? "no files changed" : differences.summary
        if before == BatchKit.version {
            return written.written.isEmpty && written.removed.isEmpty
                ? "Vendor/BatchKit is at \(before); it already matched this batchkit, so nothing was written (\(written.unchanged) files unchanged).\n"
                : "Vendor/BatchKit is at \(before); put back what was edited by hand ("
                    + (differences.isEmpty ? (written.written + written.removed).joined(separator: ", ") : differences.summary)
                    + "); \(written.summary).\n"
        }
        let moved = migrated.isEmpty ? "" : "; moved the job to the vendored package layout: \(migrated.joined(separator: ", "))"
        return "Upgraded Vendor/BatchKit from \(before) to \(BatchKit.version): \(detail); \(written.summary)\(moved). "
            + "Review with `git diff`, then run ./run.sh (it rebuilds what changed) and swift test.\n"
    }
}
