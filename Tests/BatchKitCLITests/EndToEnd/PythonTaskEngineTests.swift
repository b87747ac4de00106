import BatchKit
import BatchKitRunner
import Foundation
import TestSupport
import Testing

/// A Python task gets what a shell step gets — retries after their wait,
/// timeouts that kill grandchildren, a FAIL for any exit that is not the
/// worker's own success — and a worker that cannot be loaded says why.
@Suite struct PythonTaskEngineTests {
    typealias App = PythonWorkerTests.App

    func python() async -> String? {
        await PythonFlavor.batchkit.interpreter(for: "Python tasks in the engine")
    }

    @Test func aFailedAttemptIsRetriedAfterItsWait() async throws {
        guard let python = await python() else { return }
        let app = try App(python, workers: """
            class Flaky(Worker):
                def run(self):
                    marker = os.path.join(os.path.dirname(__file__), "..", "tried")
                    if not os.path.exists(marker):
                        open(marker, "w").close()
                        raise IOError("first attempt fails")

            """, tasks: "1|-1|2|1|flaky|workers|Flaky\n")
        let result = try await app.run()
        #expect(result.status == 0, "\(result.stdout)\(result.stderr)")
        let rows = try app.rows()
        #expect(rows.map(\.status) == [.fail, .pass])
        #expect(rows.map(\.attempt) == [1, 2])
        #expect(rows[0].exitStatus == "901")
        #expect(rows[1].startedAt.timeIntervalSince(rows[0].endedAt) >= 1, "RETRY_WAIT_TIME 1 s")
    }

    /// (8 s: on a loaded machine, Python alone can take seconds to start.)
    @Test func aTimeoutKillsTheWorkerAndWhatItStarted() async throws {
        guard let python = await python() else { return }
        let app = try App(python, workers: """
            import subprocess, time

            class Hangs(Worker):
                def run(self):
                    child = subprocess.Popen(["sleep", "60"])
                    with open(os.path.join(os.path.dirname(__file__), "..", "child.pid"), "w") as f:
                        f.write(str(child.pid))
                    time.sleep(60)

            """, tasks: "1|-1|1|0|hangs|workers|Hangs|||8\n")
        let result = try await app.run()
        #expect(result.status == 1, "\(result.stdout)\(result.stderr)")
        let row = try #require(try app.rows().first)
        #expect(row.status == .fail && row.reason == .timeout)
        let child = try #require(pid_t(try app.read("child.pid")))
        #expect(!isRunning(child), "the worker's own child is killed with it")
    }

    /// The worker dies with a runner killed by SIGKILL (parent-death
    /// signal), and `--resume` runs it again without redoing what passed,
    /// with the context the first task set.
    @Test func aRunnerKilledWithSIGKILLTakesItsWorkerAlongAndResumeFinishes() async throws {
        guard let python = await python() else { return }
        let app = try App(python, workers: """
            import time

            class First(Worker):
                def run(self):
                    self.context["from_first"] = "kept"

            class Waits(Worker):
                def run(self):
                    here = os.path.join(os.path.dirname(__file__), "..")
                    if os.path.exists(os.path.join(here, "allow")):
                        with open(os.path.join(here, "second.txt"), "w") as f:
                            f.write(self.context["from_first"])
                        return
                    with open(os.path.join(here, "worker.pid"), "w") as f:
                        f.write(str(os.getpid()))
                    time.sleep(60)

            """, tasks: "1|-1|1|0|first|workers|First\n2|1|1|0|waits|workers|Waits\n")
        let (runner, _) = try await startBatchkit(["run", "tasks.lst", "--python", python], in: app.directory)
        try await waitFor(app.directory.path("worker.pid"))
        let ledger = app.directory.path("logs/.tasks.process-groups")
        for _ in 0..<200 where ((try? FileManager.default.contentsOfDirectory(atPath: ledger.path)) ?? []).isEmpty {
            try await Task.sleep(for: .milliseconds(10))
        }
        #expect(kill(runner.processIdentifier, SIGKILL) == 0)
        _ = await runner.exitCode()
        let worker = try #require(pid_t(try app.read("worker.pid")))
        #expect(!isRunning(worker), "the worker died with the runner")

        try app.directory.write("allow", "")
        let resumed = try await app.run(["--resume"])
        #expect(resumed.status == 0, "\(resumed.stdout)\(resumed.stderr)")
        #expect(try app.read("second.txt") == "kept")
        let rows = try app.rows()
        #expect(rows.map(\.stepID) == [1, 2, 2])
        #expect(rows[1].reason == .runnerDied)
        #expect(Set(rows.map(\.runID)).count == 1)
    }

    @Test func aTaskOverItsMemoryCapIsKilledAndFailsWithReasonMemory() async throws {
        guard let python = await python() else { return }
        let app = try App(python, workers: """
            import time

            class Greedy(Worker):
                def run(self):
                    blocks = []
                    for _ in range(40):
                        blocks.append(bytearray(16 * 1024 * 1024))
                        time.sleep(0.05)

            """, tasks: "1|-1|1|0|greedy|workers|Greedy||||64MB\n")
        let result = try await app.run()
        #expect(result.status == 1, "\(result.stdout)\(result.stderr)")
        let row = try #require(try app.rows().first)
        #expect(row.status == .fail && row.reason == .memory, "\(row)")
    }

    @Test(arguments: [
        ("sys.exit(3)", "3", FailureReason.error, "sys.exit(3)"),
        ("os.kill(os.getpid(), 9)", "SIGKILL", FailureReason.signal, "SIGKILL"),
        ("os._exit(0)", "0", FailureReason.exit, "before the worker finished"),
    ])
    func anExitThatIsNotTheWorkersSuccessFails(statement: String, exitStatus: String, reason: FailureReason, message: String) async throws {
        guard let python = await python() else { return }
        let app = try App(python, workers: """
            class Leaves(Worker):
                def run(self):
                    \(statement)

            """, tasks: "1|-1|1|0|leaves|workers|Leaves\n")
        let result = try await app.run()
        #expect(result.status == 1, "\(result.stdout)\(result.stderr)")
        let row = try #require(try app.rows().first)
        #expect(row.status == .fail)
        #expect(row.exitStatus == exitStatus)
        #expect(row.reason == reason)
        #expect(row.message.contains(message), "\(row.message)")
    }

    @Test(arguments: [
        ("1|-1|1|0|missing module|nowhere|Start\n", "cannot import module nowhere from", "set APP_WORKER_DIR"),
        ("1|-1|1|0|missing class|workers|Nobody\n", "has no class Nobody", "check WORKER_NAME"),
    ])
    func aWorkerThatCannotBeLoadedFailsWith905AndSaysWhy(tasks: String, message: String, hint: String) async throws {
        guard let python = await python() else { return }
        let app = try App(python, workers: "class Start(Worker):\n    def run(self): pass\n", tasks: tasks)
        let result = try await app.run()
        #expect(result.status == 1, "\(result.stdout)\(result.stderr)")
        let row = try #require(try app.rows().first)
        #expect(row.exitStatus == "905")
        #expect(row.message.contains(message) && row.message.contains(hint), "\(row.message)")
    }

    @Test func aMissingInterpreterIsAUsageError() async throws {
        let app = try App("/nonexistent/python3", workers: "", tasks: "1|-1|1|0|a|workers|A\n")
        let result = try await app.run()
        #expect(result.status == 64)
        #expect(result.stderr.contains("--python /nonexistent/python3 is not an executable file"), "\(result.stderr)")
        #expect(!FileManager.default.fileExists(atPath: app.directory.path("logs/execution_logs.csv").path))
    }
}
