@testable import BatchKit
@testable import BatchKitRunner
import Foundation
import TestSupport
import Testing

/// A history or state that cannot be used: the run refuses before anything
/// runs (or fails, when it breaks mid-run), names the file and says what to
/// do, and nothing already written is lost.
@Suite struct BrokenRecordsTests {
    static let tasks = "#SHELL\n1|-1|1|0|a|echo a >> ran.a|\n2|1|1|0|b|echo b >> ran.b|\n"

    func run(_ directory: TemporaryDirectory, _ arguments: [String] = [], environment: [String: String] = [:]) async throws -> CommandResult {
        try await runProgram(try batchkitBinary(), ["run", "t.lst"] + arguments, in: directory.url, environment: environment)
    }

    /// Nothing of a refused run exists: no step ran and no run folder was made.
    func expectNothingRan(_ directory: TemporaryDirectory, _ result: CommandResult) {
        #expect(result.status == 1, "\(result.stdout)\(result.stderr)")
        #expect(result.stderr.contains("Nothing was run"), "\(result.stderr)")
        #expect(!FileManager.default.fileExists(atPath: directory.path("ran.a").path))
        let runs = (try? FileManager.default.contentsOfDirectory(atPath: directory.path("logs/runs").path)) ?? []
        #expect(runs.isEmpty, "no run folder: \(runs)")
    }

    @Test func aDirectoryWhereTheHistoryShouldBeRefusesTheRun() async throws {
        let directory = try TemporaryDirectory()
        try directory.write("t.lst", Self.tasks)
        try FileManager.default.createDirectory(at: directory.path("logs/execution_logs.csv"), withIntermediateDirectories: true)
        let result = try await run(directory)
        expectNothingRan(directory, result)
        #expect(result.stderr.contains("logs/execution_logs.csv is a directory"), "\(result.stderr)")
        #expect(result.stderr.contains("mv logs/execution_logs.csv"))
    }

    @Test(arguments: [
        ("a,b,c,d\n1,2,3,4\n", "its first line is \"a,b,c,d\""),
        ("\u{0}\u{1}\u{FF}garbage\u{7F}\n", "binary data, not text"),
    ])
    func aForeignHistoryIsRefusedAndKept(content: String, shown: String) async throws {
        let directory = try TemporaryDirectory()
        try directory.write("t.lst", Self.tasks)
        try directory.write("logs/execution_logs.csv", content)
        let result = try await run(directory)
        expectNothingRan(directory, result)
        #expect(result.stderr.contains("logs/execution_logs.csv is not a batchkit history"), "\(result.stderr)")
        #expect(result.stderr.contains(shown), "\(result.stderr)")
        #expect(try Data(contentsOf: directory.path("logs/execution_logs.csv")) == Data(content.utf8), "the file is untouched")
    }

    @Test func aForeignTestResultsFileIsRefusedToo() async throws {
        let directory = try TemporaryDirectory()
        try directory.write("t.lst", Self.tasks)
        try directory.write("logs/test_results.csv", "name,score\nx,1\n")
        let result = try await run(directory)
        expectNothingRan(directory, result)
        #expect(result.stderr.contains("logs/test_results.csv is not a batchkit history"), "\(result.stderr)")
    }

    /// As root every file is writable, so these run as `nobody` through
    /// `setpriv`, with a copy of the binary that user can reach.
    @Test(arguments: ["read-only file", "read-only logs folder"])
    func anUnwritableHistoryRefusesTheRunForAnOrdinaryUser(case name: String) async throws {
        let directory = try TemporaryDirectory()
        try directory.write("t.lst", Self.tasks)
        let (executable, prefix) = try ordinaryUser(directory)
        try FileManager.default.createDirectory(at: directory.path("logs"), withIntermediateDirectories: true)
        if name == "read-only file" {
            // The lock exists (an earlier run), so only the history is in the way.
            try directory.write("logs/.t.lock", "")
            try directory.write("logs/execution_logs.csv", ExecutionLog.columns.joined(separator: ",") + "\r\n")
            try handOver(directory, except: "logs/execution_logs.csv")
            try FileManager.default.setAttributes([.posixPermissions: 0o444], ofItemAtPath: directory.path("logs/execution_logs.csv").path)
        } else {
            try handOver(directory, except: nil)
            try FileManager.default.setAttributes([.posixPermissions: 0o555], ofItemAtPath: directory.path("logs").path)
        }
        let result = try await runProgram(prefix.first ?? executable, Array(prefix.dropFirst()) + (prefix.isEmpty ? [] : [executable]) + ["run", "t.lst"], in: directory.url)
        try? FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: directory.path("logs").path)
        #expect(result.status == 1, "\(result.stdout)\(result.stderr)")
        #expect(result.stderr.contains("Nothing was run"), "\(result.stderr)")
        #expect(result.stderr.contains("permission denied") || result.stderr.contains("not writable"), "\(result.stderr)")
        #expect(!result.stderr.contains("NSCocoaErrorDomain") && !result.stderr.contains("You don’t have permission"))
        #expect(!FileManager.default.fileExists(atPath: directory.path("ran.a").path))
    }

    /// The binary to run and the command prefix that makes the run an
    /// ordinary user's (none when the tests already run as one).
    func ordinaryUser(_ directory: TemporaryDirectory) throws -> (String, [String]) {
        guard getuid() == 0 else { return (try batchkitBinary(), []) }
        let copy = directory.path(".bin/batchkit")
        try FileManager.default.createDirectory(at: copy.deletingLastPathComponent(), withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: try batchkitBinary(), toPath: copy.path)
        return (copy.path, ["/usr/bin/setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"])
    }

    /// Gives the folder to `nobody` (when root), except one file.
    func handOver(_ directory: TemporaryDirectory, except kept: String?) throws {
        guard getuid() == 0 else { return }
        let paths = [""] + (FileManager.default.subpaths(atPath: directory.url.path) ?? [])
        for path in paths where path != kept {
            try FileManager.default.setAttributes([.ownerAccountID: 65534], ofItemAtPath: directory.path(path).path)
        }
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: directory.url.path)
    }

    @Test func aHistoryThatBreaksMidRunFailsTheRunAndTheRowsComeBackLater() async throws {
        let directory = try TemporaryDirectory()
        // Step 1 puts a directory where the history goes; no row can be written after that.
        try directory.write("t.lst", "#SHELL\n1|-1|1|0|a|mkdir logs/execution_logs.csv|\n2|1|1|0|b|echo b|\n")
        let broken = try await run(directory)
        #expect(broken.status == 1, "\(broken.stdout)\(broken.stderr)")
        #expect(broken.stdout.contains("2 row(s) could not be written to logs/execution_logs.csv: 01 attempt 1 PASS; 02 attempt 1 PASS"), "\(broken.stdout)")
        #expect(broken.stdout.contains("state.journal"))
        // Put the history back: the next run adds the rows first.
        try FileManager.default.removeItem(at: directory.path("logs/execution_logs.csv"))
        try directory.write("t.lst", "#SHELL\n1|-1|1|0|a|true|\n2|1|1|0|b|true|\n")
        let next = try await run(directory)
        #expect(next.status == 0, "\(next.stdout)\(next.stderr)")
        #expect(next.stdout.contains("row(s) of run"), "\(next.stdout)")
        let rows = try ExecutionLog(url: directory.path("logs/execution_logs.csv")).readAll()
        #expect(rows.count == 4 && Set(rows.map(\.runID)).count == 2)
    }

    // MARK: State

    /// A failed run, then a second failed run: step 1 passes, step 2 fails
    /// until `fixed` exists.
    func twoFailedRuns(_ directory: TemporaryDirectory) async throws -> (older: String, latest: String) {
        try directory.write("t.lst", "#SHELL\n1|-1|1|0|a|echo a >> ran.a|\n2|1|1|0|b|test -f fixed|\n")
        _ = try await run(directory)
        try await Task.sleep(for: .milliseconds(20))
        _ = try await run(directory)
        let runs = try FileManager.default.contentsOfDirectory(atPath: directory.path("logs/runs").path).sorted()
        #expect(runs.count == 2)
        return (runs[0], runs[1])
    }

    @Test(arguments: ["empty", "cut short", "garbled"])
    func aDamagedLatestStateStopsResumeAndNeverResumesAnOlderRun(damage: String) async throws {
        let directory = try TemporaryDirectory()
        let (_, latest) = try await twoFailedRuns(directory)
        let state = directory.path("logs/runs/\(latest)/state.json")
        let text = try String(contentsOf: state, encoding: .utf8)
        switch damage {
        case "empty": try Data().write(to: state)
        case "cut short": try Data(text.utf8.prefix(text.utf8.count / 2)).write(to: state)
        default: try Data(text.replacingOccurrences(of: "\"phase\"", with: "\"phaze\"").utf8).write(to: state)
        }
        try directory.write("fixed", "")
        let resumed = try await run(directory, ["--resume"])
        #expect(resumed.status == 1, "\(resumed.stdout)\(resumed.stderr)")
        #expect(resumed.stderr.contains("cannot resume run \(latest): its state logs/runs/\(latest)/state.json cannot be read"), "\(resumed.stderr)")
        #expect(resumed.stderr.contains("run without --resume") && resumed.stderr.contains("mv logs/runs/\(latest) logs/runs/.\(latest).damaged"), "\(resumed.stderr)")
        #expect(try directory.read("ran.a") == "a\na\n", "nothing ran")
        // Moving the damaged run aside is the documented way to resume the one before it.
        try FileManager.default.moveItem(at: directory.path("logs/runs/\(latest)"), to: directory.path("logs/runs/.\(latest).damaged"))
        let older = try await run(directory, ["--resume"])
        #expect(older.status == 0, "\(older.stdout)\(older.stderr)")
        #expect(try directory.read("ran.a") == "a\na\n", "step 1 passed in the older run; it is not rerun")
    }

    @Test func aGarbageLineInTheJournalIsNamedAndNotSkipped() async throws {
        let directory = try TemporaryDirectory()
        try directory.write("t.lst", "#SHELL\n1|-1|1|0|a|echo a >> ran.a|\n2|1|1|0|b|echo b >> ran.b|\n")
        // Writes: 1 the snapshot, 2 step 1's start, 3 its outcome, 4 its row, 5 step 2's start: killed there.
        let killed = try await run(directory, environment: ["BATCHKIT_CRASH_AFTER_WRITE": "5"])
        #expect(killed.status == 128 + SIGKILL)
        let runID = try #require(try FileManager.default.contentsOfDirectory(atPath: directory.path("logs/runs").path).first)
        let journal = directory.path("logs/runs/\(runID)/state.journal")
        let lines = try String(contentsOf: journal, encoding: .utf8).split(separator: "\n", omittingEmptySubsequences: false)
        #expect(lines.count >= 3)
        try Data((["{not a change"] + lines.map(String.init)).joined(separator: "\n").utf8).write(to: journal)
        let resumed = try await run(directory, ["--resume"])
        #expect(resumed.status == 1, "\(resumed.stdout)\(resumed.stderr)")
        #expect(resumed.stderr.contains("state.journal cannot be read: line 1 is not a state change"), "\(resumed.stderr)")
        #expect(resumed.stderr.contains("delete line 1 of logs/runs/\(runID)/state.journal"), "\(resumed.stderr)")
        // Deleting the line, as the message says, resumes without rerunning step 1.
        try Data(lines.joined(separator: "\n").utf8).write(to: journal)
        let fixed = try await run(directory, ["--resume"])
        #expect(fixed.status == 0, "\(fixed.stdout)\(fixed.stderr)")
        #expect(try directory.read("ran.a") == "a\n")
    }

    @Test func aDamagedStateOfAnotherTaskListInTheFolderDoesNotBlockThisOne() async throws {
        let directory = try TemporaryDirectory()
        try directory.write("other.lst", "#SHELL\n1|-1|1|0|x|false|\n")
        _ = try await runProgram(try batchkitBinary(), ["run", "other.lst"], in: directory.url)
        try await Task.sleep(for: .milliseconds(20))
        // This list failed earlier than the other one's latest run.
        try directory.write("t.lst", "#SHELL\n1|-1|1|0|a|echo a >> ran.a|\n2|1|1|0|b|test -f fixed|\n")
        let runs = try FileManager.default.contentsOfDirectory(atPath: directory.path("logs/runs").path)
        _ = try await run(directory)
        try await Task.sleep(for: .milliseconds(20))
        _ = try await runProgram(try batchkitBinary(), ["run", "other.lst"], in: directory.url)
        let otherLatest = try #require(try FileManager.default.contentsOfDirectory(atPath: directory.path("logs/runs").path).sorted().last)
        #expect(!runs.contains(otherLatest))
        try directory.write("logs/runs/\(otherLatest)/state.json", "{\"runID\":\"\(otherLatest)\",\"job\":\"other\",\"ste")
        try directory.write("fixed", "")
        let resumed = try await run(directory, ["--resume"])
        #expect(resumed.status == 0, "\(resumed.stdout)\(resumed.stderr)")
        #expect(try directory.read("ran.a") == "a\n")
    }
}
