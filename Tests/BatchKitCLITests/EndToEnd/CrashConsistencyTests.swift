import BatchKit
import BatchKitRunner
import BatchKitCommandLine
#if canImport(Glibc)
import Glibc
#endif
import Foundation
import TestSupport
import Testing

/// The promise: whatever happens, the history loses nothing and `--resume`
/// finishes the job without redoing what passed. Faults are injected into the
/// real binary: a SIGKILL right after each durable write in turn
/// (`BATCHKIT_CRASH_AFTER_WRITE`), and SIGKILLs at random moments.
@Suite(.serialized) struct CrashConsistencyTests {
    /// A DAG with a parallel branch (2 ‖ 3 ‖ 4), a retried step (3 fails its
    /// first attempt), a failing step (4, until `allow` exists) and a join.
    /// Every execution of a step appends a line to `ran.<id>` first.
    static let dag = """
        #SHELL
        1|-1|1|0|start|echo x >> ran.1|
        2|1|1|0|left, "quoted"|echo x >> ran.2; sleep 0.05|
        3|1|2|0|retried|echo x >> ran.3; n=$(cat tries.3 2>/dev/null); echo x >> tries.3; [ -n "$n" ]|
        4|1|1|0|flaky|echo x >> ran.4; [ -f allow ]|
        5|2,3|1|0|join|echo x >> ran.5|
        6|4|1|0|after flaky|echo x >> ran.6|

        """

    /// Runs `--resume` until the run passes (at most `limit` times).
    func resumeUntilDone(_ directory: TemporaryDirectory, list: String, limit: Int = 4) async throws -> CommandResult {
        var last = try await runProgram(try batchkitBinary(), ["run", list, "--resume"], in: directory.url)
        for _ in 1..<limit where last.status != 0 {
            last = try await runProgram(try batchkitBinary(), ["run", list, "--resume"], in: directory.url)
        }
        return last
    }

    /// The assertions every fault must leave true, for a run of `stepCount`
    /// steps whose executions were marked in `ran.<id>`.
    func expectConsistent(_ directory: TemporaryDirectory, job: String, stepCount: Int, context: String) throws {
        let csv = try String(contentsOf: directory.path("logs/execution_logs.csv"), encoding: .utf8)
        let table = try CSV.parse(csv)
        #expect(table.first == ExecutionLog.columns, "\(context): the CSV parses, header first")
        let rows = try ExecutionLog(url: directory.path("logs/execution_logs.csv")).readAll().filter { $0.job == job && $0.stepID > 0 }
        #expect(table.count - 1 >= rows.count)
        let runs = Set(rows.map(\.runID))
        #expect(runs.count == 1, "\(context): one run, resumed: \(runs)")
        for id in 1...stepCount {
            let mine = rows.filter { $0.stepID == StepID(id) }
            let attempts = mine.filter { $0.attempt > 0 }
            #expect(mine.filter { $0.status == .pass }.count == 1, "\(context): step \(id) has exactly one PASS: \(mine.map { "\($0.attempt) \($0.status.rawValue) \($0.reason)" })")
            #expect(attempts.last?.status == .pass, "\(context): no attempt of step \(id) after its PASS")
            let numbers = attempts.map(\.attempt)
            #expect(numbers == numbers.sorted() && Set(numbers).count == numbers.count, "\(context): step \(id)'s attempt numbers strictly increase: \(numbers)")
            let executions = ((try? directory.read("ran.\(id)")) ?? "").split(separator: "\n").count
            #expect(executions <= attempts.count, "\(context): step \(id) ran \(executions) times but \(attempts.count) attempts are recorded")
            for lost in attempts where lost.reason == .runnerDied {
                #expect(!lost.logFile.isEmpty && lost.startedAt > Date(timeIntervalSince1970: 0), "\(context): a lost attempt keeps its log and start")
            }
        }
        if let runID = runs.first {
            #expect(processes(of: runID).isEmpty, "\(context): no process of the run is left")
        }
    }

    /// Processes whose environment names the run.
    func processes(of runID: String) -> [pid_t] {
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
        return entries.compactMap { entry -> pid_t? in
            guard let pid = pid_t(entry), let data = FileManager.default.contents(atPath: "/proc/\(pid)/environ") else { return nil }
            return String(decoding: data, as: UTF8.self).split(separator: "\0").contains("BATCHKIT_RUN_ID=\(runID)") ? pid : nil
        }
    }

    /// Kills the runner right after its N-th durable write, for N = 1, 2, …
    /// until the phase runs to its end without being killed; then resumes
    /// until done. Phase 0 crashes the first run (which ends failed: step 4
    /// cannot pass yet); phase 1 crashes the first `--resume` (recovery and
    /// the rerun of what failed).
    @Test(arguments: [0, 1])
    func aCrashAfterAnyDurableWriteLosesNothingAndResumeRedoesNothing(phase: Int) async throws {
        var killedAt = 0
        for point in 1...200 {
            let directory = try TemporaryDirectory()
            try directory.write("dag.lst", Self.dag)
            let crash = ["BATCHKIT_CRASH_AFTER_WRITE": String(point)]
            let first = try await runProgram(try batchkitBinary(), ["run", "dag.lst"], in: directory.url, environment: phase == 0 ? crash : [:])
            try directory.write("allow", "")
            var crashed = first.status == 128 + SIGKILL
            if phase == 1 {
                #expect(first.status == 1, "the first run fails at step 4: \(first.stdout)\(first.stderr)")
                let resumed = try await runProgram(try batchkitBinary(), ["run", "dag.lst", "--resume"], in: directory.url, environment: crash)
                crashed = resumed.status == 128 + SIGKILL
            }
            let done = try await resumeUntilDone(directory, list: "dag.lst")
            #expect(done.status == 0, "after a crash at write \(point): \(done.stdout)\(done.stderr)")
            try expectConsistent(directory, job: "dag", stepCount: 6, context: "phase \(phase), crash at write \(point)")
            guard crashed else { break }
            killedAt = point
        }
        #expect(killedAt >= 10, "the crash point was reached at \(killedAt) writes; is BATCHKIT_CRASH_AFTER_WRITE read?")
    }

    /// `report --html` and `history --html` each write one page, through the
    /// recorder: killed right after it, the page is whole, nothing else
    /// changed, and the command run again writes it again.
    @Test func aCrashAfterWritingAnHTMLPageLeavesItWholeAndTheHistoryUntouched() async throws {
        let directory = try TemporaryDirectory()
        try directory.write("dag.lst", Self.dag)
        try directory.write("allow", "")
        let run = try await runProgram(try batchkitBinary(), ["run", "dag.lst"], in: directory.url)
        #expect(run.status == 0, "\(run.stdout)\(run.stderr)")
        let history = try directory.read("logs/execution_logs.csv")
        let runID = try #require(try ExecutionLog(url: directory.path("logs/execution_logs.csv")).readAll().last?.runID)
        try FileManager.default.removeItem(at: directory.path("logs/runs/\(runID)/report.html"))
        for (command, page) in [("report", "logs/runs/\(runID)/report.html"), ("history", "logs/history.html")] {
            let killed = try await runProgram(
                try batchkitBinary(), ["run", "dag.lst", command, "--html"], in: directory.url, environment: ["BATCHKIT_CRASH_AFTER_WRITE": "1"])
            #expect(killed.status == 128 + SIGKILL, "\(command) --html counts its page as a durable write: \(killed.stdout)\(killed.stderr)")
            #expect(try directory.read(page).hasSuffix("</body></html>\n"), "\(page) is whole")
            #expect(try directory.read("logs/execution_logs.csv") == history, "the history is untouched")
            let again = try await runProgram(try batchkitBinary(), ["run", "dag.lst", command, "--html"], in: directory.url)
            #expect(again.status == 0 && again.stdout.contains(page), "\(again.stdout)\(again.stderr)")
        }
    }

    /// Kills the first run after each durable write in turn, then starts a
    /// fresh run instead of resuming: the dead run's records are closed first
    /// (rows its CSV lacked added, lost attempts recorded, phase interrupted),
    /// and the fresh run is a run of its own.
    @Test func aFreshRunAfterACrashClosesTheDeadRunsRecords() async throws {
        var killedAt = 0
        for point in 1...200 {
            let directory = try TemporaryDirectory()
            try directory.write("dag.lst", Self.dag)
            try directory.write("allow", "")
            let first = try await runProgram(
                try batchkitBinary(), ["run", "dag.lst"], in: directory.url, environment: ["BATCHKIT_CRASH_AFTER_WRITE": String(point)])
            guard first.status == 128 + SIGKILL else { break }
            killedAt = point
            let fresh = try await runProgram(try batchkitBinary(), ["run", "dag.lst"], in: directory.url)
            #expect(fresh.status == 0, "after a crash at write \(point): \(fresh.stdout)\(fresh.stderr)")
            let layout = RunLayout(projectDirectory: directory.url)
            let rows = try ExecutionLog(url: layout.executionLog).readAll()
            let runs = Array(Set(rows.map(\.runID))).sorted()
            guard let dead = runs.first, let state = RunStateStore(layout: layout).load(dead) else {
                #expect(runs.count <= 1, "crash at write \(point): the dead run left rows but no state")
                continue
            }
            #expect(state.phase == .interrupted || state.phase == .passed, "crash at write \(point): the dead run is closed, not left running")
            #expect(!FileManager.default.fileExists(atPath: layout.stateJournal(dead).path), "crash at write \(point): its journal was folded in")
            let deadRows = rows.filter { $0.runID == dead }
            for (key, step) in state.steps where step.status == .pass {
                #expect(deadRows.contains { $0.stepID == key && $0.status == .pass }, "crash at write \(point): step \(key)'s PASS is in the CSV")
            }
            for (key, step) in state.steps where step.attempts > 0 {
                let numbers = deadRows.filter { $0.stepID == key && $0.attempt > 0 }.map(\.attempt)
                #expect(numbers == Array(1...step.attempts), "crash at write \(point): step \(key) has one row per attempt: \(numbers)")
            }
            #expect(processes(of: dead).isEmpty)
        }
        #expect(killedAt >= 10)
    }

    /// A 40-step DAG with parallel branches, the runner SIGKILLed at a random
    /// moment, then resumed until done.
    @Test func randomKillsOfABigDagLoseNothing() async throws {
        var lines = ["#SHELL"]
        for id in 1...40 {
            // Four chains of ten, with a cross link every few steps.
            let parents = id <= 4 ? "-1" : (id % 6 == 0 ? "\(id - 4),\(id - 5)" : "\(id - 4)")
            lines.append("\(id)|\(parents)|2|0|step \(id)|echo x >> ran.\(id); sleep 0.0\(id % 3)|")
        }
        let list = lines.joined(separator: "\n") + "\n"
        var generator = SystemRandomNumberGenerator()
        var midRun = 0
        for trial in 0..<8 {
            let directory = try TemporaryDirectory()
            try directory.write("big.lst", list)
            let (process, _) = try await startBatchkit(["run", "big.lst"], in: directory)
            let delay = Double.random(in: 0.02...0.4, using: &generator)
            try await Task.sleep(for: .seconds(delay))
            kill(process.processIdentifier, SIGKILL)
            _ = await process.exitCode()
            let state = RunStateStore(layout: RunLayout(projectDirectory: directory.url)).latest()
            if state?.phase != .passed { midRun += 1 }
            if state == nil {
                // Killed before the run's first write: there is nothing to resume, so start it again.
                let fresh = try await runProgram(try batchkitBinary(), ["run", "big.lst"], in: directory.url)
                #expect(fresh.status == 0, "trial \(trial): \(fresh.stdout)\(fresh.stderr)")
            }
            let done = try await resumeUntilDone(directory, list: "big.lst")
            #expect(done.status == 0, "trial \(trial), killed after \(delay) s: \(done.stdout)\(done.stderr)")
            try expectConsistent(directory, job: "big", stepCount: 40, context: "trial \(trial), killed after \(String(format: "%.3f", delay)) s")
        }
        #expect(midRun >= 2, "only \(midRun) of 8 kills landed while the run was going")
    }

    /// Two task lists in one folder: a run of one never touches the other's
    /// steps, lock or state.
    @Test func aRunOfOneListNeverKillsAStepOfAnother() async throws {
        let directory = try TemporaryDirectory()
        try directory.write("nightly.lst", "#SHELL\n1|-1|1|0|long|touch nightly.started; sleep 3; echo done > nightly.done|\n")
        try directory.write("hourly.lst", "#SHELL\n1|-1|1|0|short|echo hourly > hourly.done|\n")
        let (nightly, _) = try await startBatchkit(["run", "nightly.lst"], in: directory)
        try await waitFor(directory.path("nightly.started"))
        let hourly = try await runProgram(try batchkitBinary(), ["run", "hourly.lst"], in: directory.url)
        #expect(hourly.status == 0, "\(hourly.stdout)\(hourly.stderr)")
        #expect(await nightly.exitCode() == 0, "nightly's step was not killed by hourly's start-up")
        #expect(try directory.read("nightly.done") == "done\n")
        let rows = try ExecutionLog(url: directory.path("logs/execution_logs.csv")).readAll()
        #expect(rows.filter { $0.status == .pass }.map(\.job).sorted() == ["hourly", "nightly"])
    }

    /// Steps that declare their reads and writes: 1 and 2 upper-case an
    /// input each, 3 joins them, 4 counts the bytes of the join.
    static let incremental = """
        #SHELL
        1|-1|1|0|upper a|echo x >> ran.1; mkdir -p out; tr a-z A-Z < in/a.txt > out/A.txt||||in/a.txt|out/A.txt
        2|-1|1|0|upper b|echo x >> ran.2; mkdir -p out; tr a-z A-Z < in/b.txt > out/B.txt||||in/b.txt|out/B.txt
        3|1,2|1|0|join|echo x >> ran.3; cat out/A.txt out/B.txt > out/AB.txt||||out/A.txt,out/B.txt|out/AB.txt
        4|3|1|0|count|echo x >> ran.4; wc -c < out/AB.txt \\| tr -d ' ' > out/count.txt||||out/AB.txt|out/count.txt

        """

    /// Kills the runner after each durable write in turn — of the first run
    /// (phase 0: cache entries are written) or of a run after `in/b.txt`
    /// changed (phase 1: step 1 is CACHED, 2–4 must run) — then resumes and
    /// runs again. Whatever the point, no step is ever CACHED in a run where
    /// what it depends on changed, the outputs end right, and the run after
    /// is all CACHED.
    @Test(arguments: [0, 1])
    func aCrashAfterAnyDurableWriteNeverGivesAWrongCached(phase: Int) async throws {
        var killedAt = 0
        for point in 1...200 {
            let directory = try TemporaryDirectory()
            try directory.write("inc.lst", Self.incremental)
            try FileManager.default.createDirectory(at: directory.path("in"), withIntermediateDirectories: true)
            try directory.write("in/a.txt", "hello\n")
            try directory.write("in/b.txt", "world\n")
            let crash = ["BATCHKIT_CRASH_AFTER_WRITE": String(point)]
            let context = "phase \(phase), crash at write \(point)"
            let first = try await runProgram(try batchkitBinary(), ["run", "inc.lst"], in: directory.url, environment: phase == 0 ? crash : [:])
            var crashed = first.status == 128 + SIGKILL
            if phase == 0 { _ = try await resumeUntilDone(directory, list: "inc.lst") }
            try directory.write("in/b.txt", "there\n")
            let changedAt = Date()
            let second = try await runProgram(try batchkitBinary(), ["run", "inc.lst"], in: directory.url, environment: phase == 1 ? crash : [:])
            if phase == 1 {
                crashed = second.status == 128 + SIGKILL
                _ = try await resumeUntilDone(directory, list: "inc.lst")
            }
            // A run that died before its state existed has nothing to resume: this run finishes the job.
            let third = try await runProgram(try batchkitBinary(), ["run", "inc.lst"], in: directory.url)
            #expect(third.status == 0, "\(context): \(third.stdout)\(third.stderr)")
            #expect(try directory.read("out/AB.txt") == "HELLO\nTHERE\n", "\(context): the join is this input's")
            #expect(try directory.read("out/count.txt") == "12\n", "\(context)")

            let rows = try ExecutionLog(url: directory.path("logs/execution_logs.csv")).readAll().filter { $0.stepID > 0 }
            let runs = rows.map(\.runID).reduce(into: [String]()) { if !$0.contains($1) { $0.append($1) } }
            // The first run that saw the new in/b.txt: none of 2, 3, 4 may be CACHED in it.
            let changedRuns = runs.filter { run in
                rows.contains { $0.runID == run && $0.stepID == 2 && $0.status == .pass && $0.startedAt > changedAt }
            }
            if let run = changedRuns.first {
                let wrong = rows.filter { $0.runID == run && $0.stepID >= 2 && $0.status == .cached }
                #expect(wrong.isEmpty, "\(context): \(wrong.map { "\($0.stepID) CACHED" }) in run \(run), after in/b.txt changed")
            }
            for row in rows where row.status == .cached {
                #expect(row.cachedFrom.map(runs.contains) == true, "\(context): a CACHED row names a run of the history: \(row.message)")
            }
            let fourth = try await runProgram(try batchkitBinary(), ["run", "inc.lst"], in: directory.url)
            let last = try ExecutionLog(url: directory.path("logs/execution_logs.csv")).readAll().filter { $0.stepID > 0 }.suffix(4)
            #expect(fourth.status == 0 && last.allSatisfy { $0.status == .cached }, "\(context): the next run is up to date: \(last.map { "\($0.stepID) \($0.status.rawValue)" })")
            guard crashed else { break }
            killedAt = point
        }
        #expect(killedAt >= 10, "the crash point was reached at \(killedAt) writes")
    }

    /// An append cut short inside a quoted field is moved aside when the
    /// history is next opened: the next run's rows stay readable, and so
    /// does `history`.
    @Test func aTornRowIsMovedAsideAndTheHistoryStaysValid() async throws {
        let directory = try TemporaryDirectory()
        try directory.write("t.lst", "#SHELL\n1|-1|1|0|one|true|\n")
        #expect(try await runProgram(try batchkitBinary(), ["run", "t.lst"], in: directory.url).status == 0)
        let history = directory.path("logs/execution_logs.csv")
        let handle = try FileHandle(forWritingTo: history)
        try handle.seekToEnd()
        try handle.write(contentsOf: Data("r9,t,1,\"a, \"\"torn".utf8))
        try handle.close()

        let next = try await runProgram(try batchkitBinary(), ["run", "t.lst"], in: directory.url)
        #expect(next.status == 0, "\(next.stdout)\(next.stderr)")
        #expect((next.stdout + next.stderr).contains("ended with an incomplete record"), "\(next.stdout)\(next.stderr)")
        let rows = try ExecutionLog(url: history).readAll()
        #expect(rows.count == 2 && rows.allSatisfy { $0.status == .pass })
        let aside = try FileManager.default.contentsOfDirectory(atPath: directory.path("logs").path).filter { $0.hasPrefix("execution_logs.csv.torn-") }
        #expect(aside.count == 1)
        #expect(try directory.read("logs/\(aside[0])") == "r9,t,1,\"a, \"\"torn")
        let shown = try await runProgram(try batchkitBinary(), ["run", "t.lst", "history"], in: directory.url)
        #expect(shown.status == 0, "\(shown.stderr)")
    }

    /// The reproduction from the report: the runner killed by SIGPIPE (its
    /// output piped into `head`) must not make `--resume` rerun a step that passed.
    @Test func aPassedStepIsNotRerunAfterTheRunnerDiesRightAfterItsRow() async throws {
        let directory = try TemporaryDirectory()
        try directory.write("t.lst", "#SHELL\n1|-1|1|0|a|echo a >> a.count|\n2|1|1|0|b|echo b|\n")
        // Writes: 1 the snapshot, 2 the start of step 1, 3 its outcome line, 4 its CSV row.
        for point in [3, 4] {
            try? FileManager.default.removeItem(at: directory.path("logs"))
            try? FileManager.default.removeItem(at: directory.path("a.count"))
            let first = try await runProgram(try batchkitBinary(), ["run", "t.lst"], in: directory.url, environment: ["BATCHKIT_CRASH_AFTER_WRITE": String(point)])
            #expect(first.status == 128 + SIGKILL)
            let resumed = try await runProgram(try batchkitBinary(), ["run", "t.lst", "--resume"], in: directory.url)
            #expect(resumed.status == 0, "\(resumed.stdout)\(resumed.stderr)")
            #expect(try directory.read("a.count") == "a\n", "step 1 ran once (crash at write \(point))")
            let rows = try ExecutionLog(url: directory.path("logs/execution_logs.csv")).readAll()
            #expect(rows.map { "\($0.stepID) \($0.status.rawValue)" } == ["1 PASS", "2 PASS"])
        }
    }
}
