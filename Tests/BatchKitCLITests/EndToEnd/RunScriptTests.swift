import Foundation
import TestSupport
import Testing

/// A generated job's `run.sh` and `install.sh` around the build, with a
/// stand-in `swift` on PATH that builds slowly (or fails), so the scripts'
/// own behaviour is seen in seconds rather than a real minute-long build.
@Suite struct RunScriptTests {
    /// A job made by the real `batchkit new`, and a folder with a fake `swift`
    /// whose `build` prints SwiftPM-like steps, waits `seconds`, then writes
    /// the job binary (a script that prints its arguments) or fails.
    func job(buildSeconds seconds: Int, fails: Bool = false) async throws -> (TemporaryDirectory, URL, [String: String]) {
        let directory = try TemporaryDirectory()
        let made = try await runProgram(try batchkitBinary(), ["new", "slow"], in: directory.url)
        #expect(made.status == 0, "\(made.stderr)")
        let build = fails
            ? "echo '[3/4] Compiling Slow Job.swift'; echo 'Job.swift:3:1: error: oops'; exit 1"
            : "mkdir -p .build/release && printf '#!/bin/sh\\necho ran \"$@\"\\n' > .build/release/slow && chmod +x .build/release/slow"
        try directory.write("bin/swift", """
            #!/bin/sh
            if [ "$1" = --version ]; then echo 'Swift version 6.1 (swift-6.1-RELEASE)'; exit 0; fi
            echo 'Building for production...'
            echo '[1/4] Write sources'
            echo '[2/4] Compiling BatchKitRunner Engine.swift'
            sleep \(seconds)
            \(build)
            echo '[4/4] Linking slow'

            """)
        _ = chmod(directory.path("bin/swift").path, 0o755)
        let path = directory.path("bin").path + ":" + (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin")
        return (directory, directory.path("slow"), ["PATH": path])
    }

    /// The first build says what it usually takes, then how far it is every
    /// 10 s, instead of being silent for a minute.
    @Test func theFirstBuildStatesItsMeasuredTimeAndShowsProgress() async throws {
        let (directory, job, environment) = try await job(buildSeconds: 11)
        let run = try await runProgram("/bin/bash", ["./run.sh", "steps"], in: job, environment: environment)
        #expect(run.status == 0, "\(run.stderr)")
        #expect(run.stdout == "ran steps\n")
        let lines = run.stderr.split(separator: "\n").map(String.init)
        #expect(lines.first == "Building slow for the first time (95 s on 2 cores when measured; later runs start at once)...")
        #expect(lines.contains("  10 s  [2/4] BatchKitRunner compiled"), "\(run.stderr)")
        #expect(lines.last?.hasPrefix("Built in 1") == true, "\(run.stderr)")
        #expect(!run.stderr.contains("Write sources"), "SwiftPM's own lines stay in the log")
        withExtendedLifetime(directory) {}
    }

    @Test func aFailedBuildShowsTheCompilersOutput() async throws {
        let (directory, job, environment) = try await job(buildSeconds: 0, fails: true)
        let run = try await runProgram("/bin/bash", ["./run.sh"], in: job, environment: environment)
        #expect(run.status == 1)
        #expect(run.stdout.isEmpty)
        #expect(run.stderr.contains("Job.swift:3:1: error: oops\nerror: the build failed; fix the errors above and run ./run.sh again."), "\(run.stderr)")
        #expect(!FileManager.default.fileExists(atPath: job.appendingPathComponent(".build/batchkit-build.stamp").path))
        withExtendedLifetime(directory) {}
    }
}
