import BatchKit
import Foundation

/// `batchkit upgrade [--path DIR]`.
enum UpgradeCommand: CLICommand {
    static let name = "upgrade"
    static let help = """
        USAGE: batchkit upgrade [--path DIR]

        Replaces the job's vendored runtime, Vendor/BatchKit/, with the copy that
        comes with this batchkit (\(BatchKit.version)) and records the version in
        Vendor/BatchKit/VERSION. Nothing else in the job changes. Review with
        `git diff Vendor/`, then run ./run.sh and swift test.

        OPTIONS:
          --path DIR      The job's folder (default: the current folder or a parent).
          -h, --help      Show this help.

        """

    static func run(_ arguments: [String], workingDirectory: URL) async throws -> String {
        let command = "batchkit upgrade"
        let parsed = try Arguments(arguments, flags: [], options: ["--path"], command: command)
        if let extra = parsed.positionals.first {
            throw UsageError("unexpected argument '\(extra)'", command: command)
        }
        let start = parsed.value("--path").map { URL(fileURLWithPath: $0, relativeTo: workingDirectory) } ?? workingDirectory
        let project = try JobProject.find(from: start)
        let vendored = VendoredRuntime(projectDirectory: project.root)
        let before = vendored.installedVersion() ?? "unknown"
        do {
            try vendored.install(from: try Resources.locate(), version: BatchKit.version)
        } catch let error as GeneratorError {
            throw error
        } catch {
            throw GeneratorError(.io, "cannot update \(vendored.folder.path): \(error.localizedDescription)")
        }
        if before == BatchKit.version {
            return "Vendor/BatchKit was already at \(before); its files were refreshed from this batchkit.\n"
        }
        return "Upgraded Vendor/BatchKit from \(before) to \(BatchKit.version). Review with `git diff Vendor/`, then run ./run.sh and swift test.\n"
    }
}
