import BatchKit
import Foundation

/// Swift's own crash reporter, turned on for a step's child so a trap says
/// what and where.
///
/// A job is linked with the Swift runtime inside it (`swift build -c release`
/// on Linux), and such a binary finds no backtracer unless it is told where
/// one is. The runner tells it: the toolchain's `swift-backtrace-static`, found
/// from `swift` on `PATH` (the one `./run.sh` builds with), writing a JSON
/// report to the attempt's ``RunLayout/crashFile(runID:stepID:attempt:)``.
/// Debug information is in the binary already: SwiftPM's release builds pass
/// `-g`. The cost is measured in docs/PERFORMANCE.md.
public enum SwiftBacktrace {
    /// The variable the Swift runtime reads.
    public static let variable = "SWIFT_BACKTRACE"

    /// The tools of the toolchain `swift` on `PATH` belongs to.
    public struct Toolchain: Sendable, Equatable {
        /// `…/usr/libexec/swift/linux/swift-backtrace-static`.
        public let backtracer: String
        /// `…/usr/bin/llvm-symbolizer`, when the toolchain has it.
        public let symbolizer: String?

        /// Finds the toolchain from `swift` on the given `PATH`, following
        /// symbolic links (`/usr/bin/swift` → `/opt/swift/usr/bin/swift`).
        public static func find(environment: [String: String] = ProcessInfo.processInfo.environment) -> Toolchain? {
            guard let swift = ExecutablePath.find("swift", environment: environment) else { return nil }
            let bin = URL(fileURLWithPath: swift).resolvingSymlinksInPath().deletingLastPathComponent()
            let libexec = bin.deletingLastPathComponent().appendingPathComponent("libexec/swift/linux")
            let files = FileManager.default
            guard let backtracer = ["swift-backtrace-static", "swift-backtrace"]
                .map({ libexec.appendingPathComponent($0).path })
                .first(where: files.isExecutableFile(atPath:)) else { return nil }
            let symbolizer = bin.appendingPathComponent("llvm-symbolizer").path
            return Toolchain(backtracer: backtracer, symbolizer: files.isExecutableFile(atPath: symbolizer) ? symbolizer : nil)
        }

        /// The runner's toolchain, looked up once.
        public static let current = find()
    }

    /// The value of `SWIFT_BACKTRACE` for a child whose crash report goes to
    /// `crashFile`; `nil` when no backtracer was found. Settings the user put
    /// in `SWIFT_BACKTRACE` come after batchkit's, so they win (the
    /// runtime reads them left to right).
    public static func setting(
        crashFile: URL, toolchain: Toolchain? = .current,
        environment: [String: String] = ProcessInfo.processInfo.environment
    ) -> String? {
        // The runtime splits the setting at commas; a path with one cannot be given.
        guard let toolchain, !crashFile.path.contains(","), !toolchain.backtracer.contains(",") else { return nil }
        let ours = [
            "enable=yes", "swift-backtrace=\(toolchain.backtracer)", "format=json", "output-to=\(crashFile.path)",
            "interactive=no", "color=no", "threads=crashed", "registers=none", "images=mentioned", "sanitize=no",
            "warnings=suppressed",
        ]
        let theirs = environment[variable].map { [$0] } ?? []
        return (ours + theirs).joined(separator: ",")
    }
}
