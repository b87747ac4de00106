@testable import BatchKit
@testable import BatchKitRunner
import Foundation
import TestSupport
import Testing

/// Memory caps enforced on real child processes: the runner's watchdog, the
/// hard limit set in the step's shell, retries, and what is left running.
@Suite struct MemoryCapTests {
    func run(_ steps: [Step], in directory: TemporaryDirectory) async throws -> RunReport {
        try await JobRunner(job: Job("caps", steps: steps), layout: RunLayout(projectDirectory: directory.url), publisher: .some(nil)).run()
    }

    func step(_ id: StepID, _ name: String, after parents: [StepID] = [], _ command: String, policy: StepPolicy) -> Step {
        Step(id: id, name: name, parents: parents, source: "test:\(id)", action: .shell(command), policy: policy)
    }

    func rows(_ directory: TemporaryDirectory, step: StepID) throws -> [ExecutionRecord] {
        try ExecutionLog(url: directory.path("logs/execution_logs.csv")).readAll().filter { $0.stepID == step }
    }

    /// Writes `hold.py MiB PIDFILE`: it writes its pid, holds that much memory and sleeps 30 s.
    func writeHolder(in directory: TemporaryDirectory) throws {
        try directory.write("hold.py", """
            import os, sys, time
            open(sys.argv[2], "w").write(str(os.getpid()))
            x = bytearray(int(sys.argv[1]) * 1024 * 1024)
            time.sleep(30)

            """)
    }

    func pid(_ directory: TemporaryDirectory, _ file: String) throws -> pid_t {
        try #require(pid_t(try directory.read(file).trimmingCharacters(in: .whitespacesAndNewlines)))
    }

    @Test func aStepFarAboveItsCapIsKilledAtOnceAndRetriedPerItsPolicy() async throws {
        guard requireTool("python3", for: "allocating memory in a step") != nil else { return }
        let directory = try TemporaryDirectory()
        try writeHolder(in: directory)
        let hog = step(1, "hog", "python3 hold.py 400 hog.$BATCHKIT_ATTEMPT", policy: StepPolicy(maxAttempts: 2, memory: .megabytes(100)))
        let report = try await run([hog, step(2, "after", after: [1], "true", policy: StepPolicy())], in: directory)
        #expect(report.status == .fail)
        let attempts = try rows(directory, step: 1)
        #expect(attempts.count == 2, "a memory failure is retried like any failure")
        for attempt in attempts {
            #expect(attempt.status == .fail && attempt.reason == .memory && attempt.exitStatus == "SIGKILL")
            #expect(attempt.message.hasPrefix("used ") && attempt.message.contains("above its memory cap of 100 MB, so its process group was killed"), "\(attempt.message)")
            #expect(attempt.durationSeconds < 15, "killed well before its 30 s sleep ends")
            #expect(!isRunning(try pid(directory, "hog.\(attempt.attempt)")), "the step's python is gone")
        }
        #expect(try rows(directory, step: 2).first?.status == .skipped)
    }

    @Test func grandchildrenCountTogether() async throws {
        guard requireTool("python3", for: "allocating memory in a step") != nil else { return }
        let directory = try TemporaryDirectory()
        try writeHolder(in: directory)
        // Three grandchildren (sh → sh → python) of 60 MiB each: each under the 150 MB cap, together above it.
        let command = "sh -c 'for i in 1 2 3; do python3 hold.py 60 child.$i & done; wait' & wait"
        let report = try await run([step(1, "fan-out", command, policy: StepPolicy(memory: .megabytes(150)))], in: directory)
        #expect(report.status == .fail)
        let attempt = try #require(try rows(directory, step: 1).first)
        #expect(attempt.reason == .memory, "\(attempt.message)")
        #expect(attempt.message.contains("above its memory cap of 150 MB"))
        #expect(attempt.durationSeconds < 15)
        for child in 1...3 where FileManager.default.fileExists(atPath: directory.path("child.\(child)").path) {
            #expect(!isRunning(try pid(directory, "child.\(child)")), "grandchild \(child) is gone")
        }
    }

    @Test func oneHugeAllocationIsRefusedByTheHardLimit() async throws {
        guard requireTool("python3", for: "allocating memory in a step") != nil else { return }
        let directory = try TemporaryDirectory()
        // 8 GiB at once: past the hard limit (2 × 100 MB + 256 MiB), so it fails before any of it is resident.
        let greedy = step(1, "greedy", "python3 -c 'x = bytearray(8 * 1024 ** 3)'", policy: StepPolicy(memory: .megabytes(100)))
        _ = try await run([greedy], in: directory)
        let attempt = try #require(try rows(directory, step: 1).first)
        #expect(attempt.status == .fail && attempt.reason == .memory && attempt.exitStatus == "1")
        #expect(attempt.message.hasPrefix("failed for lack of memory under its memory cap of 100 MB (its log says \"MemoryError\""), "\(attempt.message)")
    }

    @Test func aBurstAboveTheCapFailsEvenWhenTheStepExitsZero() async throws {
        guard requireTool("python3", for: "allocating memory in a step") != nil else { return }
        let directory = try TemporaryDirectory()
        // 300 MiB, touched, then a clean exit, possibly between two samples.
        let burst = step(1, "burst", "python3 -c 'x = bytearray(300 * 1024 * 1024)'", policy: StepPolicy(memory: .megabytes(100)))
        _ = try await run([burst], in: directory)
        let attempt = try #require(try rows(directory, step: 1).first)
        #expect(attempt.status == .fail && attempt.reason == .memory, "\(attempt.message)")
        #expect(attempt.message.hasPrefix("used "))
    }

    @Test func aStepUnderItsCapPassesAndSeesItsLimits() async throws {
        guard requireTool("python3", for: "allocating memory in a step") != nil else { return }
        let directory = try TemporaryDirectory()
        let modest = step(
            1, "modest", "python3 -c 'x = bytearray(20 * 1024 * 1024)' && echo \"$BATCHKIT_MEMORY_CAP $(ulimit -d)\" > seen.1",
            policy: StepPolicy(memory: .megabytes(100)))
        let uncapped = step(2, "uncapped", "echo \"${BATCHKIT_MEMORY_CAP:-none} $(ulimit -d)\" > seen.2", policy: StepPolicy())
        let report = try await run([modest, uncapped], in: directory)
        #expect(report.status == .pass)
        #expect(try directory.read("seen.1") == "100000000 \(MemoryLimit.dataLimit(forCap: .megabytes(100)) / 1024)\n")
        let inherited = try directory.read("seen.2")
        #expect(inherited.hasPrefix("none ") && !inherited.contains("457456"), "no cap, no limit: \(inherited)")
        #expect(try rows(directory, step: 1).first?.reason == .empty)
    }
}
