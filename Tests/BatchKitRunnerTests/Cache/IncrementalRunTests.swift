@testable import BatchKit
@testable import BatchKitRunner
#if canImport(Glibc)
import Glibc
#endif
import Foundation
import TestSupport
import Testing

/// Incremental runs through the whole runner, with real shell steps: a step
/// that declares its reads and writes is `CACHED` while nothing it depends on
/// changed, and `explain` gives the first reason it runs otherwise.
@Suite struct IncrementalRunTests {
    /// 1 and 2 upper-case one input each, 3 joins them, 4 declares nothing.
    /// Each run of a step appends a line to `ran.<id>`.
    static func steps(command1: String = "tr a-z A-Z < in/a.txt > out/A.txt") -> [Step] {
        func step(_ id: StepID, _ name: String, _ parents: [StepID], _ command: String, reads: [String], writes: [String]) -> Step {
            Step(
                id: id, name: name, parents: parents, source: "test:\(id)", action: .shell("echo x >> ran.\(id); mkdir -p out; \(command)"),
                reads: reads, writes: writes)
        }
        return [
            step(1, "Upper A", [], command1, reads: ["in/a.txt"], writes: ["out/A.txt"]),
            step(2, "Upper B", [], "tr a-z A-Z < in/b.txt > out/B.txt", reads: ["in/b.txt"], writes: ["out/B.txt"]),
            step(3, "Join", [1, 2], "cat out/A.txt out/B.txt > out/AB.txt", reads: ["out/A.txt", "out/B.txt"], writes: ["out/AB.txt"]),
            shellStep(4, "Always", after: [3], "echo x >> ran.4"),
        ]
    }

    func project() throws -> TemporaryDirectory {
        let directory = try TemporaryDirectory()
        try FileManager.default.createDirectory(at: directory.path("in"), withIntermediateDirectories: true)
        try directory.write("in/a.txt", "hello\n")
        try directory.write("in/b.txt", "world\n")
        return directory
    }

    func runner(_ directory: TemporaryDirectory, steps: [Step] = Self.steps()) -> JobRunner {
        JobRunner(job: Job("inc", steps: steps), layout: RunLayout(projectDirectory: directory.url), publisher: .some(nil))
    }

    /// Each step's status in the report.
    func statuses(_ report: RunReport) -> [StepID: Status] {
        Dictionary(uniqueKeysWithValues: report.steps.map { ($0.stepID, $0.status) })
    }

    /// Each step's verdict and reason.
    func explain(_ runner: JobRunner, _ options: RunOptions = RunOptions()) throws -> [StepID: String] {
        Dictionary(uniqueKeysWithValues: try runner.explain(options).steps.map { ($0.id, "\($0.verdict.rawValue): \($0.reason)") })
    }

    func runs(_ directory: TemporaryDirectory, _ id: StepID) -> Int {
        ((try? directory.read("ran.\(id)")) ?? "").split(separator: "\n").count
    }

    @Test func aSecondRunWithNothingChangedRunsOnlyWhatDeclaresNothing() async throws {
        let directory = try project()
        let runner = runner(directory)
        #expect(try explain(runner)[1] == "run: never passed")
        let first = try await runner.run()
        #expect(first.status == .pass && statuses(first).values.allSatisfy { $0 == .pass })
        let second = try await runner.run()
        #expect(second.status == .pass)
        #expect(statuses(second) == [1: .cached, 2: .cached, 3: .cached, 4: .pass])
        #expect((1...4).map { runs(directory, StepID($0)) } == [1, 1, 1, 2])
        let rows = try ExecutionLog(url: runner.layout.executionLog).readAll().filter { $0.runID == second.runID }
        #expect(rows.filter { $0.status == .cached }.map(\.cachedFrom) == Array(repeating: first.runID, count: 3))
        #expect(rows.filter { $0.status == .cached }.allSatisfy { $0.attempt == 0 })
        #expect(try explain(runner)[4] == "run: no reads or writes declared, so it always runs")
        #expect(second.render().contains("4/4 steps passed (3 up to date, CACHED)"))
    }

    @Test func aFileTouchedWithoutChangingItsContentStaysCached() async throws {
        let directory = try project()
        let runner = runner(directory)
        _ = try await runner.run()
        try directory.write("in/a.txt", "hello\n")
        try directory.write("out/A.txt", "HELLO\n")
        let verdicts = try explain(runner)
        #expect(verdicts[1]?.hasPrefix("cached") == true && verdicts[3]?.hasPrefix("cached") == true, "\(verdicts)")
        #expect(statuses(try await runner.run())[1] == .cached)
    }

    @Test func anEditedInputRunsOnlyWhatDependsOnIt() async throws {
        let directory = try project()
        let runner = runner(directory)
        _ = try await runner.run()
        try directory.write("in/b.txt", "there\n")
        let verdicts = try explain(runner)
        #expect(verdicts[1]?.hasPrefix("cached") == true)
        #expect(verdicts[2] == "run: input in/b.txt changed")
        #expect(verdicts[3] == "run: parent 02 will run and its outputs may change")
        let report = try await runner.run()
        #expect(statuses(report) == [1: .cached, 2: .pass, 3: .pass, 4: .pass])
        #expect(try directory.read("out/AB.txt") == "HELLO\nTHERE\n")
    }

    @Test func aParentWhoseOutputDidNotChangeLeavesItsChildCached() async throws {
        let directory = try project()
        let runner = runner(directory)
        _ = try await runner.run()
        // Same letters, other case: step 2's output is the same, so 3 is still up to date.
        try directory.write("in/b.txt", "WORLD\n")
        let report = try await runner.run()
        #expect(statuses(report) == [1: .cached, 2: .pass, 3: .cached, 4: .pass])
        #expect(runs(directory, 3) == 1)
    }

    @Test func outputsEditedOrDeletedByHandRunTheirStepAgain() async throws {
        let directory = try project()
        let runner = runner(directory)
        _ = try await runner.run()
        try directory.write("out/AB.txt", "edited by hand\n")
        #expect(try explain(runner)[3] == "run: output out/AB.txt was modified since it was written")
        try FileManager.default.removeItem(at: directory.path("out/A.txt"))
        #expect(try explain(runner)[1] == "run: output out/A.txt is missing")
        let report = try await runner.run()
        // 1 writes out/A.txt again with the same content; 3 runs for its own edited output.
        #expect(statuses(report) == [1: .pass, 2: .cached, 3: .pass, 4: .pass])
        #expect(try directory.read("out/AB.txt") == "HELLO\nWORLD\n")
        #expect(statuses(try await runner.run()) == [1: .cached, 2: .cached, 3: .cached, 4: .pass])
    }

    @Test func aMissingOrNewInputIsAReason() async throws {
        let directory = try project()
        let globbing = Self.steps().map { step in
            step.id == 2 ? Step(
                id: 2, name: step.name, parents: [], source: step.source, action: .shell("echo x >> ran.2; mkdir -p out; cat in/*.txt > out/B.txt"),
                reads: ["in/*.txt"], writes: ["out/B.txt"]) : step
        }
        let runner = runner(directory, steps: globbing)
        _ = try await runner.run()
        try directory.write("in/c.txt", "new\n")
        #expect(try explain(runner)[2] == "run: input in/c.txt is new")
        _ = try await runner.run()
        try FileManager.default.removeItem(at: directory.path("in/a.txt"))
        let verdicts = try explain(runner)
        #expect(verdicts[1] == "run: input in/a.txt is missing")
        #expect(verdicts[2] == "run: input in/a.txt is missing")
    }

    @Test func aChangedCommandIsAReason() async throws {
        let directory = try project()
        _ = try await runner(directory).run()
        let changed = runner(directory, steps: Self.steps(command1: "tr a-z A-Z < in/a.txt | rev > out/A.txt"))
        #expect(try explain(changed)[1] == "run: its command changed")
    }

    @Test func parametersEnvironmentAndRunDateAreReasons() async throws {
        let directory = try project()
        let runner = runner(directory)
        var options = RunOptions(parameters: ["size": "200MB"], environment: "test")
        options.runDate = RunDate("2026-11-23")
        _ = try await runner.run(options)
        #expect(try explain(runner, options)[1]?.hasPrefix("cached") == true)

        var bigger = options
        bigger.parameters["size"] = "1GB"
        #expect(try explain(runner, bigger)[1] == "run: parameter size changed from 200MB to 1GB")
        var added = options
        added.parameters["top"] = "3"
        #expect(try explain(runner, added)[1] == "run: parameter top is new (3)")
        var production = options
        production.environment = "prod"
        #expect(try explain(runner, production)[1] == "run: --env changed from test to prod")
        var nextDay = options
        nextDay.runDate = RunDate("2026-11-24")
        #expect(try explain(runner, nextDay)[1] == "run: run date changed from 2026-11-23 to 2026-11-24")

        // Every step sees the parameters, so every declared step runs.
        #expect(statuses(try await runner.run(bigger)).values.allSatisfy { $0 == .pass })
        #expect(try explain(runner, bigger).values.filter { $0.hasPrefix("cached") }.count == 3)
    }

    @Test func forceAndNoCacheRunStepsThatAreUpToDate() async throws {
        let directory = try project()
        let runner = runner(directory)
        _ = try await runner.run()
        var forceOne = RunOptions()
        forceOne.forced = [1]
        #expect(try explain(runner, forceOne)[1] == "run: forced (--force)")
        #expect(try explain(runner, forceOne)[3] == "run: parent 01 will run and its outputs may change")
        #expect(statuses(try await runner.run(forceOne)) == [1: .pass, 2: .cached, 3: .cached, 4: .pass])
        var forceAll = RunOptions()
        forceAll.forced = []
        #expect(try explain(runner, forceAll).values.allSatisfy { $0.hasPrefix("run: forced") || $0.hasPrefix("run: no reads") })
        var noCache = RunOptions()
        noCache.caching = false
        #expect(try explain(runner, noCache)[2] == "run: caching is off for this run (--no-cache)")
        #expect(statuses(try await runner.run(noCache)).values.allSatisfy { $0 == .pass })
        // --no-cache still records the passes, so the next run is up to date.
        #expect(statuses(try await runner.run())[3] == .cached)
    }

    @Test func aPartialRunChecksOnlyItsStepsAndKeepsLeftOutOnesOut() async throws {
        let directory = try project()
        let runner = runner(directory)
        _ = try await runner.run()
        try directory.write("in/a.txt", "changed\n")
        let only = RunOptions(selection: StepSelection(only: [2, 3]))
        let verdicts = try explain(runner, only)
        #expect(verdicts[1] == "left out: not in --only")
        #expect(verdicts[2]?.hasPrefix("cached") == true && verdicts[3]?.hasPrefix("cached") == true)
        let report = try await runner.run(only)
        #expect(statuses(report) == [2: .cached, 3: .cached])
        let from = RunOptions(selection: StepSelection(from: 1))
        #expect(statuses(try await runner.run(from)) == [1: .pass, 3: .pass, 4: .pass])
    }

    @Test func aResumedRunKeepsItsPassesAndCachesWhatIsUpToDate() async throws {
        let directory = try project()
        var steps = Self.steps()
        steps[2] = Step(
            id: 3, name: "Join", parents: [1, 2], source: "test:3",
            action: .shell("echo x >> ran.3; [ -f allow ] && cat out/A.txt out/B.txt > out/AB.txt"),
            reads: ["out/A.txt", "out/B.txt"], writes: ["out/AB.txt"])
        let runner = runner(directory, steps: steps)
        let failed = try await runner.run()
        #expect(failed.status == .fail && statuses(failed)[3] == .fail)
        #expect(try explain(runner)[3] == "run: never passed")
        try directory.write("allow", "")
        var resume = RunOptions()
        resume.resume = true
        let resumed = try await runner.run(resume)
        #expect(resumed.status == .pass && resumed.runID == failed.runID)
        #expect(runs(directory, 1) == 1 && runs(directory, 3) == 2)
        let next = try await runner.run()
        #expect(statuses(next) == [1: .cached, 2: .cached, 3: .cached, 4: .pass])
        #expect(next.steps.first { $0.stepID == 3 }?.records.last?.cachedFrom == failed.runID, "3's pass came in the resumed session of that run")
    }

    @Test func contextSetByACachedStepReachesItsDescendants() throws {
        // The context a step receives is what its ancestors set, in DAG order, over the run's base.
        let graph = try JobGraph(job: Job("c", steps: Self.steps()))
        let received = StepCache.received(by: 3, graph: graph, base: ["inherited": "1"], contextSets: [1: ["a": "\"x\""], 2: ["a": "\"y\""], 4: ["d": "0"]])
        #expect(received == ["inherited": "1", "a": "\"y\""])
        let old = StepInputs(code: [:], runtime: nil, parameters: [:], environment: nil, runDate: nil, context: ["rows": ContentHash.of("3")], reads: [:])
        var new = old
        new.context["rows"] = ContentHash.of("4")
        #expect(StepCache.difference(from: old, to: new) == .contextChanged("rows"))
        #expect(RunReason.contextChanged("rows").description == "context value rows from its ancestors changed")
    }

    @Test func aSwiftStepsCodeIsItsOwnFileAndTheModulesSharedFiles() async throws {
        let directory = try project()
        let sources = directory.path("Sources/Mod")
        try FileManager.default.createDirectory(at: sources, withIntermediateDirectories: true)
        try directory.write("Sources/Mod/01_one.swift", "// one")
        try directory.write("Sources/Mod/02_two.swift", "// two")
        try directory.write("Sources/Mod/Helpers.swift", "// helpers")
        let step = Step("One", reads: ["in/a.txt"], writes: [], fileID: "Mod/01_one.swift") { _ in }
        let layout = RunLayout(projectDirectory: directory.url)
        let cache = StepCache(layout: layout, job: "swift", settings: .init())
        let before = try cache.inputs(of: step, context: [:]).get()
        #expect(Set(before.code.keys) == ["01_one.swift", "Helpers.swift"])
        #expect(before.runtime == BatchKit.version)
        func reason(after change: () throws -> Void) throws -> RunReason? {
            try change()
            let now = try StepCache(layout: layout, job: "swift", settings: .init()).inputs(of: step, context: [:]).get()
            return StepCache.difference(from: before, to: now)
        }
        #expect(try reason { try directory.write("Sources/Mod/02_two.swift", "// two, edited") } == nil, "another step's file")
        #expect(try reason { try directory.write("Sources/Mod/01_one.swift", "// one, edited") } == .codeChanged("01_one.swift"))
        try directory.write("Sources/Mod/01_one.swift", "// one")
        #expect(try reason { try directory.write("Sources/Mod/Helpers.swift", "// edited") } == .codeChanged("Helpers.swift"))
        try directory.write("Sources/Mod/Helpers.swift", "// helpers")
        #expect(try reason { try directory.write("Sources/Mod/More.swift", "// new") } == .codeAdded("More.swift"))
        #expect(RunReason.codeChanged("03_transform.swift").description == "code of 03_transform.swift changed")
    }
}
