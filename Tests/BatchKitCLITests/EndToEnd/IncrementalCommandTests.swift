import BatchKit
import BatchKitRunner
import Foundation
import TestSupport
import Testing

/// `--explain`, `--force [IDS]`, `--no-cache` and the `CACHED` status through
/// the `batchkit` binary, on a task list with READS and WRITES columns.
@Suite struct IncrementalCommandTests {
    static let list = """
        #SHELL
        1|-1|1|0|Upper A|mkdir -p out; tr a-z A-Z < in/a.txt > out/A.txt||||in/a.txt|out/A.txt
        2|-1|1|0|Upper B|mkdir -p out; tr a-z A-Z < in/b.txt > out/B.txt||||in/b.txt|out/B.txt
        3|1,2|1|0|Join|cat out/A.txt out/B.txt > out/AB.txt||||out/A.txt, out/B.txt|out/AB.txt
        4|3|1|0|Notify|echo done|

        """

    func project() throws -> TemporaryDirectory {
        let directory = try TemporaryDirectory()
        try FileManager.default.createDirectory(at: directory.path("in"), withIntermediateDirectories: true)
        try directory.write("in/a.txt", "hello\n")
        try directory.write("in/b.txt", "world\n")
        try directory.write("inc.lst", Self.list)
        return directory
    }

    func batchkit(_ arguments: [String], in directory: TemporaryDirectory) async throws -> CommandResult {
        try await runProgram(try batchkitBinary(), ["run", "inc.lst"] + arguments, in: directory.url)
    }

    @Test func explainSaysWhyForEveryStepAndRunsNothing() async throws {
        let directory = try project()
        let never = try await batchkit(["--explain"], in: directory)
        #expect(never.status == 0)
        #expect(never.stdout.contains("01 Upper A  run      never passed"), "\(never.stdout)")
        #expect(never.stdout.contains("04 Notify   run      no reads or writes declared, so it always runs"))
        #expect(!FileManager.default.fileExists(atPath: directory.path("logs/execution_logs.csv").path), "--explain runs and records nothing")

        let first = try await batchkit([], in: directory)
        #expect(first.status == 0, "\(first.stdout)\(first.stderr)")
        try directory.write("in/b.txt", "there\n")
        let explained = try await batchkit(["--explain"], in: directory)
        #expect(explained.stdout.contains("01 Upper A  cached   up to date: nothing it depends on changed since it passed in run "), "\(explained.stdout)")
        #expect(explained.stdout.contains("02 Upper B  run      input in/b.txt changed"))
        #expect(explained.stdout.contains("03 Join     run      parent 02 will run and its outputs may change"))
        #expect(explained.stdout.hasSuffix("3 step(s) would run, 1 up to date (CACHED).\n"))

        let json = try await batchkit(["--explain", "--json"], in: directory)
        let verdicts = try JSONDecoder().decode([StepExplanation].self, from: Data(json.stdout.utf8))
        #expect(verdicts.map(\.verdict) == [.cached, .run, .run, .run])
        #expect(verdicts.map(\.kind) == ["cached", "input", "parent", "undeclared"])
        #expect(verdicts[0].cachedFrom != nil)

        let dry = try await batchkit(["--dry-run"], in: directory)
        #expect(dry.stdout.contains("Each step:\n  01 Upper A  cached"), "\(dry.stdout)")

        let second = try await batchkit([], in: directory)
        #expect(second.status == 0)
        #expect(second.stdout.contains("4/4 steps passed (1 up to date, CACHED)"), "\(second.stdout)")
        #expect(second.stderr.contains("1 step(s) up to date, not run (CACHED): 01 Upper A"), "\(second.stderr)")
        let rows = try ExecutionLog(url: directory.path("logs/execution_logs.csv")).readAll()
        let last = rows.suffix(4).map { "\($0.stepID) \($0.status.rawValue)" }.sorted()
        #expect(last == ["1 CACHED", "2 PASS", "3 PASS", "4 PASS"])
        #expect(try directory.read("out/AB.txt") == "HELLO\nTHERE\n")
    }

    @Test func forceAndNoCacheAreCheckedAndApplied() async throws {
        let directory = try project()
        _ = try await batchkit([], in: directory)
        let forced = try await batchkit(["--force", "1", "--explain"], in: directory)
        #expect(forced.stdout.contains("01 Upper A  run      forced (--force)") && forced.stdout.contains("02 Upper B  cached"), "\(forced.stdout)")
        let all = try await batchkit(["--force", "--explain"], in: directory)
        #expect(all.stdout.contains("02 Upper B  run      forced (--force)"), "\(all.stdout)")
        let inline = try await batchkit(["--force=2,3", "--explain"], in: directory)
        #expect(inline.stdout.contains("01 Upper A  cached") && inline.stdout.contains("03 Join     run      forced"))
        let noCache = try await batchkit(["--no-cache"], in: directory)
        #expect(noCache.status == 0 && !noCache.stdout.contains("CACHED"), "\(noCache.stdout)")

        for (arguments, message) in [
            (["--force", "9"], "--force names step 9, which the job does not have; its steps are 1, 2, 3, 4"),
            (["--force=x"], "--force takes step ids separated by commas, like 2,5; got \"x\""),
            (["--tests-only", "--force"], "--tests-only runs no steps, so --force has nothing to apply to"),
            (["--explain", "--dry-run"], "--dry-run already shows what --explain says; give one of them"),
        ] {
            let refused = try await batchkit(arguments, in: directory)
            #expect(refused.status == 64, "\(arguments)")
            #expect(refused.stderr.contains(message), "\(arguments): \(refused.stderr)")
        }
    }
}
