import BatchKit
import BatchKitRunner
import BatchKitCommandLine
import Foundation
import TestSupport
import Testing

/// The repository's install.sh, run for real into a temporary prefix.
@Suite(.serialized) struct InstallScriptTests {
    let script = checkoutRoot.appendingPathComponent("install.sh").path

    @Test func installsIdempotentlyAndTheBinaryNeedsNoCheckout() async throws {
        let directory = try TemporaryDirectory()
        let prefix = directory.path("prefix")
        // A scratch folder of its own: the checkout's .build is locked by `swift test`.
        let environment = [
            "PREFIX": prefix.path, "BATCHKIT_SCRATCH_PATH": directory.path("build").path, "BATCHKIT_HOME": "",
        ]
        let first = try await runProgram("/bin/bash", [script], in: directory.url, environment: environment)
        #expect(first.status == 0, "\(first.stdout)\n\(first.stderr)")
        #expect(first.stdout.contains("Installed batchkit \(BatchKit.version) to \(prefix.path)/bin/batchkit"))
        #expect(first.stdout.contains("Note: \(prefix.path)/bin is not on your PATH"))

        let binary = prefix.appendingPathComponent("bin/batchkit").path
        // Linked statically where the toolchain can (it starts in half the time), without the
        // linker's warning about the toolchain's own Foundation.
        #expect(!(first.stdout + first.stderr).contains("mktemp"), "\(first.stdout)\n\(first.stderr)")
        if let swift = ExecutablePath.find("swift", environment: ProcessInfo.processInfo.environment),
           FileManager.default.fileExists(atPath: URL(fileURLWithPath: swift).resolvingSymlinksInPath()
               .deletingLastPathComponent().appendingPathComponent("../lib/swift_static/linux/libFoundation.a").standardized.path) {
            let libraries = try await runProgram("/usr/bin/ldd", [binary], in: directory.url)
            #expect(libraries.status == 0 && !libraries.stdout.contains("libswiftCore"), "\(libraries.stdout)")
        }
        let second = try await runProgram("/bin/bash", [script], in: directory.url, environment: environment)
        #expect(second.status == 0, "running it again works")
        #expect(try FileManager.default.contentsOfDirectory(atPath: prefix.appendingPathComponent("bin").path) == ["batchkit"])
        #expect(try FileManager.default.contentsOfDirectory(atPath: prefix.appendingPathComponent("share").path) == ["batchkit"])
        #expect(try String(contentsOf: prefix.appendingPathComponent("share/batchkit/VERSION"), encoding: .utf8) == "\(BatchKit.version)\n")

        let onPath = try await runProgram(
            "/bin/bash", [script], in: directory.url,
            environment: environment.merging(["PATH": "\(prefix.path)/bin:" + (ProcessInfo.processInfo.environment["PATH"] ?? "")]) { $1 })
        #expect(!onPath.stdout.contains("is not on your PATH"))

        // It works from any folder, using only what was installed.
        let elsewhere = directory.path("elsewhere")
        try FileManager.default.createDirectory(at: elsewhere, withIntermediateDirectories: true)
        let made = try await runProgram(binary, ["new", "from-install"], in: elsewhere, environment: ["BATCHKIT_HOME": ""])
        #expect(made.status == 0, "\(made.stderr)")
        #expect(FileManager.default.fileExists(atPath: elsewhere.appendingPathComponent("from-install/Vendor/BatchKit/VERSION").path))
        let share = prefix.appendingPathComponent("share/batchkit")
        let hidden = prefix.appendingPathComponent("share/hidden")
        try FileManager.default.moveItem(at: share, to: hidden)
        let without = try await runProgram(binary, ["new", "no-share"], in: elsewhere, environment: ["BATCHKIT_HOME": ""])
        try FileManager.default.moveItem(at: hidden, to: share)
        #expect(without.status == 1, "the installed binary must not fall back to the checkout")
        #expect(without.stderr.contains("reinstall with ./install.sh"))
    }

    @Test func aMissingOrOldToolchainIsExplained() async throws {
        let directory = try TemporaryDirectory()
        let missing = try await runProgram("/bin/bash", [script], in: directory.url, environment: ["PATH": "/usr/bin:/bin"])
        #expect(missing.status == 1)
        #expect(missing.stderr.contains("the Swift toolchain is not installed"))

        try directory.write("fake/swift", "#!/bin/sh\necho 'Apple Swift version 5.10 (swift-5.10-RELEASE)'\n")
        _ = chmod(directory.path("fake/swift").path, 0o755)
        let old = try await runProgram("/bin/bash", [script], in: directory.url, environment: ["PATH": "\(directory.path("fake").path):/usr/bin:/bin"])
        #expect(old.status == 1)
        #expect(old.stderr.contains("batchkit needs Swift 6.0 or newer; 'swift --version' says: Apple Swift version 5.10"))
    }
}
