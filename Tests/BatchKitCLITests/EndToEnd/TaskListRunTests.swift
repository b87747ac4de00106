import BatchKit
import BatchKitRunner
import BatchKitCommandLine
import Foundation
import TestSupport
import Testing

/// `batchkit run FILE.lst` as a user runs it: the real binary, real signals.
@Suite(.serialized) struct TaskListRunTests {
    func history(_ directory: TemporaryDirectory) throws -> [ExecutionRecord] {
        try ExecutionLog(url: directory.path("logs/execution_logs.csv")).readAll()
    }

    static let longList = """
        #SHELL
        1|-1|1|0|first|echo first|
        2|1|1|0|slow|[ -f allow ] && exit 0; sleep 30 & echo $! > sleeper; touch started; wait; [ -f allow ]|
        3|2|1|0|last|echo last > last.txt|

        """

    /// (Every wait in these tests suspends rather than blocks: when other tests
    /// blocked Swift's two cooperative threads in long job builds, this test
    /// could not even send its signal until the step had run its 30 s.)
    @Test(arguments: [(SIGINT, Int32(130)), (SIGTERM, Int32(143)), (SIGHUP, Int32(129))])
    func aSignalStopsTheStepsRecordsThemAndResumeFinishes(signal: Int32, code: Int32) async throws {
        let directory = try TemporaryDirectory()
        try directory.write("t.lst", Self.longList)
        let (process, output) = try await startBatchkit(["run", "t.lst"], in: directory)
        try await waitFor(directory.path("started"))
        #expect(kill(process.processIdentifier, signal) == 0)
        #expect(await process.exitCode() == code)
        let text = try String(contentsOf: output, encoding: .utf8)
        #expect(text.contains("received \(SignalName.name(signal))"))
        #expect(text.contains("02  slow   FAIL"), "the report is printed")
        #expect(text.contains("interrupted: continue with --resume"))
        let sleeper = try #require(pid_t(try directory.read("sleeper").trimmingCharacters(in: .whitespacesAndNewlines)))
        #expect(!isRunning(sleeper), "nothing the step started outlives the run")
        let rows = try history(directory)
        #expect(rows.map(\.status) == [.pass, .fail, .skipped])
        #expect(rows[1].reason == .interrupted)

        try directory.write("allow", "")
        let resumed = try await runProgram(try batchkitBinary(), ["run", "t.lst", "--resume"], in: directory.url)
        #expect(resumed.status == 0, "\(resumed.stdout)\(resumed.stderr)")
        #expect(!resumed.stderr.contains("START   01"))
        #expect(try history(directory).allSatisfy { $0.runID == rows[0].runID })
        #expect(try directory.read("last.txt") == "last\n")
    }

    @Test func aRunnerKilledWithSIGKILLIsResumedAndItsStepDoesNotRunOn() async throws {
        let directory = try TemporaryDirectory()
        try directory.write("t.lst", Self.longList)
        let (process, _) = try await startBatchkit(["run", "t.lst"], in: directory)
        try await waitFor(directory.path("started"))
        // The step can start before the runner notes its group: wait for the note.
        let ledger = directory.path("logs/.t.process-groups")
        for _ in 0..<200 where ((try? FileManager.default.contentsOfDirectory(atPath: ledger.path)) ?? []).isEmpty {
            try await Task.sleep(for: .milliseconds(10))
        }
        #expect(kill(process.processIdentifier, SIGKILL) == 0)
        _ = await process.exitCode()
        // The step's shell dies with the runner (parent-death signal).
        let groups = try FileManager.default.contentsOfDirectory(atPath: ledger.path)
        #expect(groups.count == 1)
        let leader = try #require(pid_t(groups[0]))
        #expect(!isRunning(leader), "the step's process died with the runner")

        try directory.write("allow", "")
        let sleeper = try #require(pid_t(try directory.read("sleeper").trimmingCharacters(in: .whitespacesAndNewlines)))
        let resumed = try await runProgram(try batchkitBinary(), ["run", "t.lst", "--resume"], in: directory.url)
        #expect(!isRunning(sleeper), "what the dead runner's step left behind is killed by the next run")
        #expect(resumed.status == 0, "\(resumed.stdout)\(resumed.stderr)")
        let rows = try history(directory)
        #expect(rows.map(\.stepID) == [1, 2, 2, 3])
        #expect(rows[1].reason == .runnerDied)
        #expect(rows[2].attempt == 2 && rows[2].status == .pass)
        #expect(Set(rows.map(\.runID)).count == 1)
    }

    @Test func aSecondConcurrentRunIsRefusedNamingThePID() async throws {
        let directory = try TemporaryDirectory()
        try directory.write("t.lst", Self.longList)
        let (process, _) = try await startBatchkit(["run", "t.lst"], in: directory)
        try await waitFor(directory.path("started"))
        let second = try await runProgram(try batchkitBinary(), ["run", "t.lst"], in: directory.url)
        kill(process.processIdentifier, SIGTERM)
        _ = await process.exitCode()
        #expect(second.status == 1)
        #expect(second.stderr.contains("another run of t is in progress (pid \(process.processIdentifier), run "))
    }

    @Test func twoListsInOneFolderKeepTheirRunsApart() async throws {
        let directory = try TemporaryDirectory()
        try directory.write("a.lst", "#SHELL\n1|-1|1|0|a1|true|\n2|1|1|0|a2|[ -f a.ok ]|\n")
        try directory.write("b.lst", "#SHELL\n1|-1|1|0|b1|true|\n2|1|1|0|b2|true|\n")
        #expect(try await runProgram(try batchkitBinary(), ["run", "a.lst"], in: directory.url).status == 1)
        #expect(try await runProgram(try batchkitBinary(), ["run", "b.lst"], in: directory.url).status == 0)
        try directory.write("a.ok", "")
        let resumed = try await runProgram(try batchkitBinary(), ["run", "a.lst", "--resume"], in: directory.url)
        #expect(resumed.status == 0, "\(resumed.stdout)\(resumed.stderr)")
        let rows = try history(directory)
        let aRuns = Set(rows.filter { $0.job == "a" }.map(\.runID))
        let bRuns = Set(rows.filter { $0.job == "b" }.map(\.runID))
        #expect(aRuns.count == 1 && bRuns.count == 1 && aRuns.isDisjoint(with: bRuns), "a's resume continued a's run, not b's")
        let aHistory = try await runProgram(try batchkitBinary(), ["run", "a.lst", "history"], in: directory.url)
        #expect(aHistory.stdout.hasPrefix("a: 1 run\n"))
        #expect(!aHistory.stdout.contains("b1"))
    }

    @Test func aStepOverItsMemoryCapFailsWithReasonMemoryInTheHistoryAndReport() async throws {
        guard requireTool("python3", for: "allocating memory in a step") != nil else { return }
        let directory = try TemporaryDirectory()
        try directory.write("t.lst", """
            #SHELL
            1|-1|2|0|hog|python3 -c 'x = bytearray(400 * 1024 * 1024); import time; time.sleep(30)'|||100MB
            2|-1|1|0|modest|python3 -c 'x = bytearray(10 * 1024 * 1024)'|||100MB

            """)
        let steps = try await runProgram(try batchkitBinary(), ["run", "t.lst", "steps"], in: directory.url)
        #expect(steps.stdout.contains("01  hog  (after: -; t.lst:2; memory 100 MB)"), "\(steps.stdout)")
        let run = try await runProgram(try batchkitBinary(), ["run", "t.lst"], in: directory.url)
        #expect(run.status == 1)
        #expect(run.stdout.contains("01  hog     FAIL     2"), "\(run.stdout)")
        #expect(run.stdout.contains("01 hog failed: used "))
        #expect(run.stdout.contains("above its memory cap of 100 MB, so its process group was killed; raise its memory cap or make it use less"))
        #expect(run.stdout.contains("02  modest  PASS"))
        let csv = try directory.read("logs/execution_logs.csv")
        #expect(csv.components(separatedBy: ",SIGKILL,memory,\"used ").count == 3, "both attempts, reason memory: \(csv)")
        let rows = try history(directory).filter { $0.stepID == 1 }
        #expect(rows.allSatisfy { $0.durationSeconds < 15 })
        let junit = try directory.read("logs/runs/\(try #require(rows.first?.runID))/junit.xml")
        #expect(junit.contains("type=\"memory\""))
    }

    @Test func malformedListsExit64WithFileAndLine() async throws {
        let directory = try TemporaryDirectory()
        try directory.write("bad.lst", "#SHELL\n1|-1|1|0|ok|true|\n2|1|x|0|bad|true|\n")
        let result = try await runProgram(try batchkitBinary(), ["run", "bad.lst"], in: directory.url)
        #expect(result.status == 64)
        #expect(result.stderr.contains("bad.lst:3: MAX_ATTEMPTS \"x\" is not a whole number"))
        let cycle = try await runProgram(try batchkitBinary(), ["run", "cycle.lst"], in: directory.url)
        #expect(cycle.status == 64)
        #expect(cycle.stderr.contains("cannot read"))
        try directory.write("cycle.lst", "#SHELL\n1|2|1|0|a|true|\n2|1|1|0|b|true|\n")
        let cyclic = try await runProgram(try batchkitBinary(), ["run", "cycle.lst"], in: directory.url)
        #expect(cyclic.status == 64)
        #expect(cyclic.stderr.contains("the steps form a cycle"))
        #expect(!FileManager.default.fileExists(atPath: directory.path("logs").path), "nothing ran, nothing was written")
    }

    @Test func workdirMovesLogsAndLogfilesGetEachAttempt() async throws {
        let directory = try TemporaryDirectory()
        try directory.write("jobs/t.lst", "#SHELL\n2|1|2|0|flaky|[ -f once ] \\|\\| { touch once; echo try; exit 1; }; echo ok|$ENV{APP_LOG_DIR}/flaky.log\n1|-1|1|0|first|pwd|\n")
        let result = try await runProgram(try batchkitBinary(), ["run", "jobs/t.lst", "--workdir", "elsewhere"], in: directory.url)
        #expect(result.status == 0, "\(result.stdout)\(result.stderr)")
        #expect(FileManager.default.fileExists(atPath: directory.path("elsewhere/logs/execution_logs.csv").path))
        #expect(FileManager.default.fileExists(atPath: directory.path("elsewhere/logs/dag.dot").path))
        #expect(!FileManager.default.fileExists(atPath: directory.path("jobs/logs").path))
        #expect(try directory.read("elsewhere/logs/flaky.log").contains("try\n"))
        #expect(try directory.read("elsewhere/logs/flaky.log").hasSuffix("ok\n"))
        let rows = try ExecutionLog(url: directory.path("elsewhere/logs/execution_logs.csv")).readAll()
        #expect(rows.map(\.stepID) == [1, 2, 2], "a parent listed after its child is fine")
        #expect(try directory.read(rows[0].logFile.isEmpty ? "" : "elsewhere/" + rows[0].logFile).hasSuffix("/jobs\n"), "commands run in the list's folder")
        let dry = try await runProgram(try batchkitBinary(), ["run", "jobs/t.lst", "--workdir", "elsewhere", "--dry-run", "--only", "2"], in: directory.url)
        #expect(dry.stdout.contains("wave 1: 02 flaky"))
        #expect(dry.stdout.contains("01 first: not in --only"))
        let dag = try await runProgram(try batchkitBinary(), ["run", "jobs/t.lst", "dag", "--format", "mermaid"], in: directory.url)
        #expect(dag.stdout.contains("s1 --> s2"))
    }
}


/// The feedback commands through the real binary: report, history, --json,
/// the DAG as text, and live progress on a (pseudo-)terminal.
@Suite struct FeedbackCommandTests {
    static let list = "#SHELL\n1|-1|1|0|make|python3 -c \"x = bytearray(200 * 1024 * 1024)\" 2>/dev/null \\|\\| head -c 200000000 /dev/zero > /dev/null|\n2|1|1|0|check|sleep 1|\n3|1|1|0|fail|exit 4|\n"

    @Test func jsonReportAndHistoryAgreeWithTheRun() async throws {
        let directory = try TemporaryDirectory()
        try directory.write("t.lst", Self.list)
        let run = try await runProgram(try batchkitBinary(), ["run", "t.lst", "--json"], in: directory.url)
        #expect(run.status == 1)
        let report = try JSONCoding.decoder().decode(RunReport.self, from: Data(run.stdout.utf8))
        #expect(report.steps.map(\.status) == [.pass, .pass, .fail])
        #expect(report.steps[2].records.last?.exitStatus == "4")
        #expect(report.parents[2] == [1])

        let saved = try await runProgram(try batchkitBinary(), ["run", "t.lst", "report"], in: directory.url)
        #expect(saved.status == 0)
        #expect(saved.stdout == report.render())
        let prefix = String(report.runID.prefix(17))
        let byID = try await runProgram(try batchkitBinary(), ["run", "t.lst", "report", prefix, "--json"], in: directory.url)
        #expect(try JSONCoding.decoder().decode(RunReport.self, from: Data(byID.stdout.utf8)).runID == report.runID)
        let unknown = try await runProgram(try batchkitBinary(), ["run", "t.lst", "report", "1999"], in: directory.url)
        #expect(unknown.status == 64 && unknown.stderr.contains("no run with a report in logs/runs has 1999 in its id"))

        _ = try await runProgram(try batchkitBinary(), ["run", "t.lst"], in: directory.url)
        let history = try await runProgram(try batchkitBinary(), ["run", "t.lst", "history"], in: directory.url)
        #expect(history.stdout.hasPrefix("t: 2 runs\n"))
        #expect(history.stdout.contains("03  fail   2     0%"))
        let future = try await runProgram(try batchkitBinary(), ["run", "t.lst", "history", "--since", "2999-01-01"], in: directory.url)
        #expect(future.stdout.contains("no runs in the history since 2999-01-01"))
        let badDate = try await runProgram(try batchkitBinary(), ["run", "t.lst", "history", "--since", "yesterday"], in: directory.url)
        #expect(badDate.status == 64)

        let dag = try await runProgram(try batchkitBinary(), ["run", "t.lst", "dag", "--format", "text"], in: directory.url)
        #expect(dag.stdout == "wave 1  01 make\nwave 2  02 check  ← 01\n        03 fail   ← 01\n")
    }

    @Test func parametersReachTheStepsAreReportedAndKeptOnResume() async throws {
        let directory = try TemporaryDirectory()
        try directory.write("t.lst", """
            #SHELL
            1|-1|1|0|show|echo "size=$BATCHKIT_PARAM_SIZE mode=$BATCHKIT_PARAM_RUN_MODE" > params.txt|
            2|1|1|0|gate|[ -f allow ] && echo "$BATCHKIT_PARAMS" > json.txt|

            """)
        let first = try await runProgram(try batchkitBinary(), ["run", "t.lst", "--param", "size=2GB", "--param=run-mode=fast"], in: directory.url)
        #expect(first.status == 1)
        #expect(try directory.read("params.txt") == "size=2GB mode=fast\n")
        #expect(first.stdout.contains("Params\n  run-mode = fast  (--param)\n  size     = 2GB  (--param)\n"))
        let refused = try await runProgram(try batchkitBinary(), ["run", "t.lst", "--resume", "--param", "size=1GB"], in: directory.url)
        #expect(refused.status == 64 && refused.stderr.contains("--resume continues a run with the parameters it started with"))
        try directory.write("allow", "")
        let resumed = try await runProgram(try batchkitBinary(), ["run", "t.lst", "--resume"], in: directory.url)
        #expect(resumed.status == 0, "\(resumed.stdout)\(resumed.stderr)")
        #expect(try directory.read("json.txt") == "{\"run-mode\":\"fast\",\"size\":\"2GB\"}\n")
        let report = try await runProgram(try batchkitBinary(), ["run", "t.lst", "report"], in: directory.url)
        #expect(report.stdout.contains("Params\n  run-mode = fast  (--param)\n  size     = 2GB  (--param)\n"))
        let bad = try await runProgram(try batchkitBinary(), ["run", "t.lst", "--param", "size"], in: directory.url)
        #expect(bad.status == 64 && bad.stderr.contains("--param takes key=value, like --param size=1GB; got \"size\""))
    }

    @Test func aStepsProgressIsShownWhileItRuns() async throws {
        let directory = try TemporaryDirectory()
        try directory.write("t.lst", """
            #SHELL
            1|-1|1|0|work|echo "450 1000 files" > "$BATCHKIT_PROGRESS_FILE"; sleep 2|

            """)
        let piped = try await runProgram(try batchkitBinary(), ["run", "t.lst"], in: directory.url)
        #expect(piped.status == 0)
        #expect(piped.stderr.contains("PROGRESS 01 work 45% (450 of 1,000 files)"), "\(piped.stderr)")
        guard let script = requireTool("script", for: "running batchkit on a pseudo-terminal") else { return }
        let onTTY = try await runProgram(script, ["-qec", "\(try batchkitBinary()) run t.lst", "/dev/null"], in: directory.url, environment: ["TERM": "xterm"])
        #expect(onTTY.stdout.contains("running: 01 work 45% (450 of 1,000 files)"))
    }

    @Test func peakMemoryIsTheStepsOwnNotTheRunners() async throws {
        let directory = try TemporaryDirectory()
        try directory.write("t.lst", Self.list)
        _ = try await runProgram(try batchkitBinary(), ["run", "t.lst"], in: directory.url)
        let rows = Dictionary(try ExecutionLog(url: directory.path("logs/execution_logs.csv")).readAll().map { ($0.stepID, $0) }, uniquingKeysWith: { $1 })
        #expect((rows[1]?.maxRSSKilobytes ?? 0) > 150_000, "a 200 MB allocation is seen")
        #expect((rows[2]?.maxRSSKilobytes ?? .max) < 10_000, "`sleep` is small, whatever the runner's size")
        #expect((rows[2]?.cpuSeconds ?? 1) < 0.2)
    }

    @Test func aTerminalGetsALiveStatusLineAndPipesGetLines() async throws {
        guard let script = requireTool("script", for: "running batchkit on a pseudo-terminal") else { return }
        let directory = try TemporaryDirectory()
        try directory.write("t.lst", Self.list)
        let binary = try batchkitBinary()
        let onTTY = try await runProgram(script, ["-qec", "\(binary) run t.lst", "/dev/null"], in: directory.url, environment: ["TERM": "xterm", "NO_COLOR": ""])
        #expect(onTTY.stdout.contains("\r\u{1B}[K["), "the status line is redrawn in place")
        #expect(onTTY.stdout.contains("running: 02 check"))
        #expect(onTTY.stdout.contains("pending"))
        #expect(onTTY.stdout.contains("\u{1B}[31mFAIL\u{1B}[0m"), "colours on a terminal")
        #expect(!onTTY.stdout.contains("START "), "no line per start on a terminal")

        let noColor = try await runProgram(script, ["-qec", "\(binary) run t.lst", "/dev/null"], in: directory.url, environment: ["TERM": "xterm", "NO_COLOR": "1"])
        #expect(!noColor.stdout.contains("\u{1B}[31m"), "NO_COLOR is honoured")

        let piped = try await runProgram(binary, ["run", "t.lst"], in: directory.url)
        #expect(!piped.stderr.contains("\u{1B}["))
        let lines = piped.stderr.split(separator: "\n")
        #expect(lines.contains { $0.hasSuffix("START   02 check") })
        #expect(lines.allSatisfy { $0.first?.isNumber == true }, "every line is timestamped")
    }
}
