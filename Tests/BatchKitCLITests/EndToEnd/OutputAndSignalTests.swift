@testable import BatchKit
@testable import BatchKitRunner
import Foundation
import TestSupport
import Testing

/// What the runner's output and signals can do to a run: a reader that goes
/// away never stops it, and a signal while the DAG is drawn stops `dot` at
/// once with an exit code that matches the report.
@Suite struct OutputAndSignalTests {
    @Test(arguments: ["stdout", "stderr"])
    func aReaderThatGoesAwayNeverStopsARun(stream: String) async throws {
        let directory = try TemporaryDirectory()
        // Step 2 prints which signals it ignores: SIGPIPE must not be one of them.
        try directory.write("t.lst", "#SHELL\n1|-1|1|0|a|echo a; sleep 0.3|\n2|1|1|0|b|grep SigIgn /proc/self/status|\n")
        let redirect = stream == "stdout" ? "" : "2>&1 >/dev/null"
        let script = "'\(try batchkitBinary())' run t.lst \(redirect) | head -c 1 > /dev/null; echo \"exit=${PIPESTATUS[0]}\""
        let result = try await runProgram("/bin/bash", ["-c", script], in: directory.url)
        #expect(result.stdout.contains("exit=0"), "\(result.stdout)\(result.stderr)")
        let rows = try ExecutionLog(url: directory.path("logs/execution_logs.csv")).readAll()
        #expect(rows.map(\.status) == [.pass, .pass])
        let runID = try #require(rows.first?.runID)
        #expect(FileManager.default.fileExists(atPath: directory.path("logs/runs/\(runID)/report.txt").path), "the run finished")
        let ignored = try directory.read("logs/runs/\(runID)/02_b.log").split(separator: "\t").last.map(String.init) ?? ""
        let mask = try #require(UInt64(ignored.trimmingCharacters(in: .whitespacesAndNewlines), radix: 16))
        #expect(mask & (1 << UInt64(SIGPIPE - 1)) == 0, "steps start with SIGPIPE's default: \(ignored)")
    }

    /// A DAG `dot` needs seconds for (see `DagPublisherTests`), as a task list.
    static func denseList(steps: Int) -> String {
        "#SHELL\n" + (1...steps).map { id in
            let parents = id == 1 ? "-1" : Set((0..<6).map { ($0 * 37 + id * 11) % (id - 1) + 1 }).sorted().map(String.init).joined(separator: ",")
            return "\(id)|\(parents)|1|0|step number \(id)|true|"
        }.joined(separator: "\n") + "\n"
    }

    @Test func aSignalWhileTheDagIsDrawnStopsDotAndTheExitCodeMatchesTheReport() async throws {
        guard requireTool("dot", for: "stopping Graphviz when the runner gets a signal") != nil else { return }
        let directory = try TemporaryDirectory()
        try directory.write("t.lst", Self.denseList(steps: 200))
        let (process, output) = try await startBatchkit(["run", "t.lst"], in: directory)
        var dots: [pid_t] = []
        for _ in 0..<2400 where dots.isEmpty {
            dots = childProcesses(of: process.processIdentifier, named: "dot")
            if dots.isEmpty { try await Task.sleep(for: .milliseconds(25)) }
        }
        try #require(!dots.isEmpty, "the runner started dot")
        #expect(kill(process.processIdentifier, SIGTERM) == 0)
        let code = await process.exitCode()
        #expect(dots.allSatisfy { !isRunning($0) }, "dot was killed, not waited for (it needs seconds on this DAG)")
        let text = try String(contentsOf: output, encoding: .utf8)
        // Every step passed and was recorded before the signal: the run passed, and says so twice.
        #expect(code == 0, "\(text.suffix(2000))")
        #expect(text.contains("PASS  200/200 steps passed"), "\(text.suffix(2000))")
        #expect(text.contains("stopped by a signal while Graphviz rendered logs/dag.svg"), "\(text.suffix(2000))")
        let report = try RunReport.load(RunLayout(projectDirectory: directory.url).reportJSON(try #require(
            try ExecutionLog(url: directory.path("logs/execution_logs.csv")).readAll().first?.runID)))
        #expect(report.status == .pass && report.interrupted == nil)
    }

    @Test(arguments: [["--from", "3", "--to", "1"], ["--exclude", "1,2,3"], ["--only", "2", "--exclude", "2"]])
    func aSelectionThatLeavesNothingIsAUsageErrorAndWritesNothing(options: [String]) async throws {
        let directory = try TemporaryDirectory()
        try directory.write("t.lst", "#SHELL\n1|-1|1|0|a|touch ran|\n2|1|1|0|b|touch ran|\n3|2|1|0|c|touch ran|\n")
        let result = try await runProgram(try batchkitBinary(), ["run", "t.lst"] + options, in: directory.url)
        #expect(result.status == 64, "\(result.stdout)\(result.stderr)")
        #expect(result.stderr.contains("error: nothing selected: \(options.joined(separator: " ")) leave no step to run"), "\(result.stderr)")
        #expect(!FileManager.default.fileExists(atPath: directory.path("logs").path), "nothing is written")
        #expect(!FileManager.default.fileExists(atPath: directory.path("ran").path))
    }

    @Test func pathsThatAreNotWhatTheyShouldBeAreNamedInPlainWords() async throws {
        let directory = try TemporaryDirectory()
        try directory.write("t.lst", "#SHELL\n1|-1|1|0|a|true|\n")
        try FileManager.default.createDirectory(at: directory.path("folder.lst"), withIntermediateDirectories: true)
        let cases: [([String], String)] = [
            (["run", "t.lst", "--workdir", "t.lst"], "error: --workdir t.lst is a file, not a folder; give the folder that should hold logs/"),
            (["run", "folder.lst"], "folder.lst is a folder; give the path of a task list file"),
            (["run", "/dev/null"], "/dev/null is not a regular file; give the path of a task list file"),
            (["run", "missing.lst"], "missing.lst does not exist; check the path"),
        ]
        for (arguments, message) in cases {
            let result = try await runProgram(try batchkitBinary(), arguments, in: directory.url)
            #expect(result.status == 64, "\(arguments): \(result.stderr)")
            #expect(result.stderr.contains(message), "\(arguments): \(result.stderr)")
            #expect(!result.stderr.contains("NSCocoaErrorDomain") && !result.stderr.contains("no such file, or it is not readable"))
        }
    }
}
