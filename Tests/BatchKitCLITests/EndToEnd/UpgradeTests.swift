import BatchKit
import BatchKitRunner
import Foundation
import TestSupport
import Testing

/// `batchkit upgrade` on a job made by the previous release, 0.1.0, whose
/// runtime was one target of the job's own package: that release is checked
/// out from this repository's history, built, and used to generate the job.
@Suite(.serialized) struct UpgradeTests {
    /// The last commit of batchkit 0.1.0.
    static let previousRelease = "a7025426bd211d98bc13457d85e3b4f124daecf7"

    @Test func aJobOfThePreviousReleaseMovesToTheVendoredPackageAndRuns() async throws {
        let directory = try TemporaryDirectory()
        let old = directory.path("batchkit-0.1")
        let archive = try await runProgram(
            "/bin/sh", ["-c", "mkdir -p '\(old.path)' && git -C '\(checkoutRoot.path)' archive \(Self.previousRelease) | tar -x -C '\(old.path)'"],
            in: directory.url, environment: [:])
        guard archive.status == 0 || !isCI else {
            FileHandle.standardError.write(Data("\n*** SKIPPED: upgrading a 0.1 job: this checkout has no git history with \(Self.previousRelease) (\(archive.stderr)) (CI never skips this) ***\n\n".utf8))
            return
        }
        #expect(archive.status == 0, "\(archive.stderr)")
        let build = try await runProgram("/usr/bin/env", ["swift", "build", "--product", "batchkit"], in: old)
        #expect(build.status == 0, "\(build.stdout)\(build.stderr)")
        let oldBinary = old.appendingPathComponent(".build/debug/batchkit").path
        let made = try await runProgram(oldBinary, ["new", "counts", "--template", "wordcount"], in: directory.url, environment: ["BATCHKIT_HOME": old.path])
        #expect(made.status == 0, "\(made.stdout)\(made.stderr)")
        let job = directory.path("counts")
        #expect(try String(contentsOf: job.appendingPathComponent("Vendor/BatchKit/VERSION"), encoding: .utf8) == "0.1.0\n")

        let upgraded = try await runProgram(try batchkitBinary(), ["upgrade"], in: job)
        #expect(upgraded.status == 0, "\(upgraded.stdout)\(upgraded.stderr)")
        #expect(upgraded.stdout.contains("Upgraded Vendor/BatchKit from 0.1.0 to \(BatchKit.version)"), "\(upgraded.stdout)")
        #expect(upgraded.stdout.contains("moved the job to the vendored package layout: Package.swift"), "\(upgraded.stdout)")
        let manifest = try String(contentsOf: job.appendingPathComponent("Package.swift"), encoding: .utf8)
        #expect(manifest.contains(#".package(path: "Vendor/BatchKit")"#))
        #expect(!manifest.contains(#"path: "Vendor/BatchKit/Sources/BatchKit""#))
        #expect(manifest.contains(#".product(name: "BatchKitParallel", package: "BatchKit")"#), "the job uses MapReduce")
        #expect(try String(contentsOf: job.appendingPathComponent("Sources/Run/main.swift"), encoding: .utf8).contains("import BatchKitCommandLine"))

        let run = try await runProgram(job.appendingPathComponent("run.sh").path, ["--param", "size=200KB"], in: job)
        #expect(run.status == 0, "\(run.stdout)\(run.stderr)")
        #expect(run.stdout.contains("PASS  3/3 steps passed"), "\(run.stdout)")
        let tests = try await runProgram("/usr/bin/env", ["swift", "test"], in: job)
        #expect(tests.status == 0, "\(tests.stdout)\(tests.stderr)")
        let again = try await runProgram(try batchkitBinary(), ["upgrade"], in: job)
        #expect(again.stdout.contains("it already matched this batchkit"), "\(again.stdout)\(again.stderr)")
    }
}
