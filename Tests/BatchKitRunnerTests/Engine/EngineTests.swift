@testable import BatchKit
@testable import BatchKitRunner
import Foundation
import TestSupport
import Testing

@Suite struct EngineTests {
    func run(_ steps: [Step], jobs: Int = 2, tests: [Check] = [], in directory: TemporaryDirectory) async throws -> RunReport {
        let runner = JobRunner(job: Job("test-job", steps: steps, tests: tests), layout: RunLayout(projectDirectory: directory.url))
        return try await runner.run(RunOptions(jobs: jobs))
    }

    @Test func stepsRunInOrderAndEveryAttemptIsARow() async throws {
        let directory = try TemporaryDirectory()
        let report = try await run([
            shellStep(1, "first", "echo one >> order.txt"),
            shellStep(2, "second", "echo two >> order.txt; echo logged"),
            shellStep(3, "third", "echo three >> order.txt"),
        ], in: directory)
        #expect(report.status == .pass)
        #expect(try directory.read("order.txt") == "one\ntwo\nthree\n")
        let rows = try ExecutionLog(url: directory.path("logs/execution_logs.csv")).readAll()
        #expect(rows.map(\.stepID) == [1, 2, 3])
        #expect(rows.allSatisfy { $0.status == .pass && $0.runID == report.runID && $0.attempt == 1 && $0.exitStatus == "0" })
        #expect(rows.allSatisfy { $0.endedAt >= $0.startedAt })
        let log = try directory.read(rows[1].logFile)
        #expect(log == "logged\n")
        #expect(rows[1].logFile == "logs/runs/\(report.runID)/02_second.log")
        #expect(FileManager.default.fileExists(atPath: directory.path("logs/runs/\(report.runID)/report.txt").path))
    }

    @Test func aFailureSkipsDescendantsButNotIndependentBranches() async throws {
        let directory = try TemporaryDirectory()
        let report = try await run([
            shellStep(1, "start", after: [], "true"),
            shellStep(2, "crashes", after: [1], "echo about to crash; kill -SEGV $$"),
            shellStep(3, "independent", after: [1], "touch independent.done"),
            shellStep(4, "after crash", after: [2], "touch never"),
            shellStep(5, "join", after: [3, 4], "touch never"),
        ], in: directory)
        #expect(report.status == .fail)
        let byID = Dictionary(uniqueKeysWithValues: report.steps.map { ($0.stepID, $0) })
        #expect(byID[1]?.status == .pass)
        #expect(byID[2]?.status == .fail)
        #expect(byID[2]?.records.last?.exitStatus == "SIGSEGV")
        #expect(byID[2]?.records.last?.reason == .signal)
        #expect(byID[3]?.status == .pass)
        #expect(byID[4]?.status == .skipped)
        #expect(byID[5]?.status == .skipped)
        #expect(byID[4]?.records.last?.message == "step 02 \"crashes\" failed")
        #expect(FileManager.default.fileExists(atPath: directory.path("independent.done").path))
        #expect(!FileManager.default.fileExists(atPath: directory.path("never").path))
        #expect(report.failureLogTails[2] == ["about to crash"])

        let rows = try ExecutionLog(url: directory.path("logs/execution_logs.csv")).readAll()
        #expect(rows.filter { $0.status == .skipped }.map(\.stepID).sorted() == [4, 5])
        #expect(rows.first { $0.stepID == 4 }?.attempt == 0)
    }

    @Test(arguments: [
        ("exit 3", "3", "exit", "exited with code 3"),
        ("kill -KILL $$", "SIGKILL", "signal", "killed by SIGKILL"),
        ("kill -ABRT $$", "SIGABRT", "signal", "killed by SIGABRT"),
    ])
    func crashesAreFailuresWithTheirRealCause(command: String, exitStatus: String, reason: String, message: String) async throws {
        let directory = try TemporaryDirectory()
        let report = try await run([shellStep(1, "dies", command), shellStep(2, "next", "true")], in: directory)
        let record = try #require(report.steps.first?.records.last)
        #expect(record.status == .fail)
        #expect(record.exitStatus == exitStatus)
        #expect(record.reason.rawValue == reason)
        #expect(record.message.hasPrefix(message))
        #expect(report.steps.last?.status == .skipped)
    }

    @Test func readyStepsRunInParallelUpToJobs() async throws {
        let directory = try TemporaryDirectory()
        // Each waits for the other's marker: only a concurrent run can pass.
        let wait = { (mine: String, theirs: String) in
            "touch \(mine); i=0; while [ ! -f \(theirs) ] && [ $i -lt 200 ]; do sleep 0.05; i=$((i+1)); done; [ -f \(theirs) ]"
        }
        let report = try await run([
            shellStep(1, "left", after: [], wait("left", "right")),
            shellStep(2, "right", after: [], wait("right", "left")),
        ], jobs: 2, in: directory)
        #expect(report.status == .pass)
    }

    @Test func jobsOneRunsOneAtATimeInIDOrder() async throws {
        let directory = try TemporaryDirectory()
        let step = { (id: StepID) in
            shellStep(id, "s\(id)", after: [], "[ ! -f running ] && touch running && echo \(id) >> order && sleep 0.05 && rm running")
        }
        let report = try await run([step(3), step(1), step(2)], jobs: 1, in: directory)
        #expect(report.status == .pass)
        #expect(try directory.read("order") == "1\n2\n3\n")
    }

    @Test func theDAGIsPublishedWithStatuses() async throws {
        let directory = try TemporaryDirectory()
        try directory.write("README.md", "# x\n\(ReadmeDagSection.beginMarker)\n\(ReadmeDagSection.endMarker)\nend\n")
        let report = try await run([shellStep(1, "ok", "true"), shellStep(2, "bad", "false")], in: directory)
        let dot = try directory.read("docs/dag.dot")
        #expect(dot.contains("01 ok\\nPASS"))
        #expect(dot.contains("02 bad\\nFAIL"))
        let readme = try directory.read("README.md")
        #expect(readme.contains("s1[\"01 ok\"]"))
        #expect(readme.hasSuffix("\(ReadmeDagSection.endMarker)\nend\n"))
        #expect(report.status == .fail)
        _ = try await run([shellStep(1, "ok", "true"), shellStep(2, "bad", "true")], in: directory)
        #expect(try directory.read("README.md") == readme, "a run with the same steps leaves the README as it was")
        #expect(try directory.read("docs/dag.dot").contains("02 bad\\nPASS"))
    }

    @Test func failedPostJobTestsFailTheRunAndAreRecorded() async throws {
        let directory = try TemporaryDirectory()
        let tests = [Check.fileNotEmpty("missing.csv")]
        // Checks run in the job binary, which a unit test does not have; a
        // missing binary must still give a clear failed result.
        let runner = JobRunner(
            job: Job("j", steps: [shellStep(1, "s", "true")], tests: tests),
            layout: RunLayout(projectDirectory: directory.url), executable: "/nonexistent/job",
            executor: LocalExecutor(executable: "/bin/sh"))
        let report = try await runner.run(RunOptions(jobs: 1))
        #expect(report.status == .fail)
        #expect(report.tests.first?.status == .fail)
        #expect(report.tests.first?.message.contains("cannot run the post-job tests") == true)
        let rows = try CSVHistoryFile(url: directory.path("logs/test_results.csv"), columns: []).readAll()
        #expect(rows.first?["status"] == "FAIL")
        #expect(rows.first?["run_id"] == report.runID)
    }

    @Test func anInvalidDefinitionRunsNothing() async throws {
        let directory = try TemporaryDirectory()
        await #expect(throws: DefinitionError.self) {
            _ = try await run([shellStep(1, "a", after: [2], "touch ran"), shellStep(2, "b", after: [1], "touch ran")], in: directory)
        }
        #expect(!FileManager.default.fileExists(atPath: directory.path("ran").path))
        #expect(!FileManager.default.fileExists(atPath: directory.path("logs").path))
    }
}
