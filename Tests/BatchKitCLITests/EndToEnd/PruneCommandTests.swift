import BatchKit
import BatchKitRunner
import BatchKitCommandLine
import Foundation
import TestSupport
import Testing

/// `prune` on real runs of task lists that share one `logs/` folder.
@Suite(.serialized) struct PruneCommandTests {
    func batchkit(_ directory: TemporaryDirectory, _ arguments: [String]) async throws -> CommandResult {
        try await runProgram(try batchkitBinary(), arguments, in: directory.url)
    }

    func runFolders(_ directory: TemporaryDirectory) throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: directory.path("logs/runs").path).sorted()
    }

    func runIDs(_ directory: TemporaryDirectory, job: String) throws -> [String] {
        let rows = try ExecutionLog(url: directory.path("logs/execution_logs.csv")).readAll().filter { $0.job == job }
        return rows.map(\.runID).reduce(into: []) { if !$0.contains($1) { $0.append($1) } }
    }

    @Test func oldFinishedRunsOfThisJobGoOldestFirstAndNothingElseIsTouched() async throws {
        let directory = try TemporaryDirectory()
        try directory.write("a.lst", "#SHELL\n1|-1|1|0|a1|echo a1|\n2|1|1|0|a2|[ ! -f a.fail ]|\n")
        try directory.write("b.lst", "#SHELL\n1|-1|1|0|b1|echo b1|\n")
        for _ in 0..<4 { #expect(try await batchkit(directory, ["run", "a.lst"]).status == 0) }
        #expect(try await batchkit(directory, ["run", "b.lst"]).status == 0)
        try directory.write("logs/runs/20200101T000000.000Z-dead/01_x.log", "a folder with no state\n")
        try directory.write("logs/runs/airflow-manual__2026-11-21T10_00_00/01_a1.log", "an Airflow task's log\n")
        let aRuns = try runIDs(directory, job: "a")
        let bRun = try #require(try runIDs(directory, job: "b").first)
        let history = try Data(contentsOf: directory.path("logs/execution_logs.csv"))
        let tests = try? Data(contentsOf: directory.path("logs/test_results.csv"))
        let before = try runFolders(directory)

        let dry = try await batchkit(directory, ["run", "a.lst", "prune", "--keep-runs", "2", "--dry-run"])
        #expect(dry.status == 0, "\(dry.stderr)")
        let dryLines = dry.stdout.split(separator: "\n").map(String.init)
        #expect(dryLines.count == 5, "\(dry.stdout)")
        #expect(dryLines[0].hasPrefix("would remove logs/runs/\(aRuns[0])/  ") && dryLines[1].hasPrefix("would remove logs/runs/\(aRuns[1])/  "))
        #expect(dry.stdout.contains("(passed, started < 1 min ago)"))
        #expect(dry.stdout.contains("note: left alone 1 folder(s) with no readable run state or report, so no job to attribute them to: 20200101T000000.000Z-dead"))
        #expect(dry.stdout.contains("note: left alone 1 Airflow run folder(s) (airflow-...)"))
        #expect(dryLines.last?.hasPrefix("would remove 2 run folders, ") == true)
        #expect(dryLines.last?.hasSuffix("; would keep 2 (dry run: nothing was removed)") == true)
        #expect(try runFolders(directory) == before, "a dry run removes nothing")

        let pruned = try await batchkit(directory, ["run", "a.lst", "prune", "--keep-runs", "2"])
        #expect(pruned.status == 0, "\(pruned.stderr)")
        #expect(pruned.stdout.hasPrefix("removed logs/runs/\(aRuns[0])/  "))
        #expect(pruned.stdout.contains("\nremoved logs/runs/\(aRuns[1])/  "))
        #expect(pruned.stdout.contains("\nremoved 2 run folders, "), "\(pruned.stdout)")
        #expect(pruned.stdout.hasSuffix("; kept 2\n"))
        #expect(try runFolders(directory) == before.filter { $0 != aRuns[0] && $0 != aRuns[1] })
        #expect(try runFolders(directory).contains(bRun), "another job's run in the same logs/ stays")
        #expect(try Data(contentsOf: directory.path("logs/execution_logs.csv")) == history, "the history is byte-for-byte the same")
        #expect((try? Data(contentsOf: directory.path("logs/test_results.csv"))) == tests)
        let report = try await batchkit(directory, ["run", "a.lst", "report"])
        #expect(report.status == 0 && report.stdout.contains("run \(aRuns[3])"), "the latest report is still there")

        // A failed latest run is what --resume continues: kept even with --keep-runs 0.
        try directory.write("a.fail", "")
        #expect(try await batchkit(directory, ["run", "a.lst"]).status == 1)
        let failed = try #require(try runIDs(directory, job: "a").last)
        let all = try await batchkit(directory, ["run", "a.lst", "prune", "--keep-runs", "0", "--json"])
        #expect(all.status == 0, "\(all.stderr)")
        let json = try #require(try JSONSerialization.jsonObject(with: Data(all.stdout.utf8)) as? [String: Any])
        #expect((json["removed"] as? [[String: Any]])?.compactMap { $0["runID"] as? String } == [aRuns[2], aRuns[3]])
        let kept = try #require((json["kept"] as? [[String: Any]])?.first)
        #expect(kept["runID"] as? String == failed && kept["reason"] as? String == "failed: the run --resume continues")
        #expect((json["leftAlone"] as? [String])?.count == 2)
        #expect(try runFolders(directory) == [bRun, failed, "20200101T000000.000Z-dead", "airflow-manual__2026-11-21T10_00_00"].sorted())
        try FileManager.default.removeItem(at: directory.path("a.fail"))
        let resumed = try await batchkit(directory, ["run", "a.lst", "--resume"])
        #expect(resumed.status == 0 && resumed.stdout.contains("resumed run \(failed)"), "\(resumed.stdout)\(resumed.stderr)")
    }

    @Test func whileARunIsInProgressPruneRefusesAndRemovesNothing() async throws {
        let directory = try TemporaryDirectory()
        try directory.write("t.lst", "#SHELL\n1|-1|1|0|wait|[ -f allow ] && exit 0; touch started; while [ ! -f allow ]; do sleep 0.05; done|\n")
        try directory.write("allow", "")
        #expect(try await batchkit(directory, ["run", "t.lst"]).status == 0)
        #expect(try await batchkit(directory, ["run", "t.lst"]).status == 0)
        try FileManager.default.removeItem(at: directory.path("allow"))
        let (process, _) = try await startBatchkit(["run", "t.lst"], in: directory)
        try await waitFor(directory.path("started"))
        let before = try runFolders(directory)
        #expect(before.count == 3)

        let refused = try await batchkit(directory, ["run", "t.lst", "prune", "--keep-runs", "0"])
        #expect(refused.status == 1)
        #expect(refused.stderr.contains("error: another run of t is in progress (pid \(process.processIdentifier), run "), "\(refused.stderr)")
        #expect(refused.stderr.contains("; prune removed nothing"))
        #expect(try runFolders(directory) == before)
        let dry = try await batchkit(directory, ["run", "t.lst", "prune", "--keep-runs", "0", "--dry-run"])
        #expect(dry.status == 0)
        #expect(dry.stdout.contains("kept logs/runs/\(before[2])/  (running, or stopped mid-run: the run --resume continues)"), "\(dry.stdout)")
        #expect(dry.stdout.contains("note: a run of t is in progress (pid \(process.processIdentifier)"))
        #expect(dry.stdout.contains("would remove 2 run folders"))

        try directory.write("allow", "")
        #expect(await process.exitCode() == 0)
        let pruned = try await batchkit(directory, ["run", "t.lst", "prune", "--keep-runs", "0"])
        #expect(pruned.status == 0 && pruned.stdout.contains("removed 3 run folders"), "\(pruned.stdout)\(pruned.stderr)")
        #expect(try runFolders(directory).isEmpty)
        let next = try await batchkit(directory, ["run", "t.lst"])
        #expect(next.status == 0, "the lock prune took is free again: \(next.stderr)")
    }

    @Test(arguments: [
        ([String](), "say what to keep: --keep-runs N"),
        (["--keep-runs", "x"], "--keep-runs must be a whole number of runs, 0 or more, not \"x\""),
        (["--keep-runs", "-1"], "--keep-runs must be a whole number"),
        (["--keep-days", "-1"], "--keep-days must be a number of days, 0 or more"),
        (["--keep-days", "inf"], "--keep-days must be a number of days"),
        (["--keep-days", "1", "old"], "unexpected argument 'old'"),
        (["--older-than", "3"], "unknown option --older-than"),
    ])
    func badOptionsExit64(arguments: [String], message: String) async throws {
        let directory = try TemporaryDirectory()
        try directory.write("t.lst", "#SHELL\n1|-1|1|0|a|true|\n")
        let result = try await batchkit(directory, ["run", "t.lst", "prune"] + arguments)
        #expect(result.status == 64)
        #expect(result.stderr.contains(message), "\(result.stderr)")
        #expect(!FileManager.default.fileExists(atPath: directory.path("logs").path), "nothing was created")
    }
}
