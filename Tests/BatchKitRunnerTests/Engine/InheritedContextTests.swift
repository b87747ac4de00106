@testable import BatchKit
@testable import BatchKitRunner
import Foundation
import TestSupport
import Testing

@Suite struct InheritedContextTests {
    // 1 → 2 → 4, 1 → 3 → 4
    let graph = try! JobGraph(job: Job("j", steps: [
        shellStep(1, "prepare", after: [], "true"), shellStep(2, "count", after: [1], "true"),
        shellStep(3, "side", after: [1], "true"), shellStep(4, "report", after: [2, 3], "true"),
    ]))

    func run(_ id: String, passed: [StepID: [String: String]?], failed: [StepID] = []) -> RunState {
        var state = RunState(runID: id, job: "j", startedAt: Date(), steps: graph.steps)
        for (step, values) in passed {
            state[step: step]?.status = .pass
            state[step: step]?.contextSet = values
        }
        for step in failed { state[step: step]?.status = .fail }
        return state
    }

    @Test func leftOutAncestorsGiveWhatTheySetInTheLatestRunWhereTheyPassed() throws {
        let plan = try RunPlan.make(graph, selection: StepSelection(only: [4]))
        let runs = [
            run("r3", passed: [:], failed: [1]),  // newest: step 1 failed there
            run("r2", passed: [1: ["files": #"["b"]"#], 2: ["words": "7"], 3: nil]),
            run("r1", passed: [1: ["files": #"["a"]"#], 2: ["words": "5"]]),
        ]
        let inherited = InheritedContext(graph: graph, plan: plan, runs: runs)
        #expect(inherited.values == ["files": #"["b"]"#, "words": "7"])
        #expect(inherited.sources.map(\.stepID) == [1, 2] && inherited.sources.allSatisfy { $0.runID == "r2" })
        #expect(inherited.missing.isEmpty, "step 3 passed and set nothing: nothing is missing")
        #expect(inherited.note(graph: graph) == "partial run: shared values from steps left out: 01 prepare (files) from run r2; 02 count (words) from run r2")
    }

    @Test func onlyAncestorsOfPlannedStepsCountAndMissingOnesAreNamed() throws {
        let plan = try RunPlan.make(graph, selection: StepSelection(only: [2]))
        let inherited = InheritedContext(graph: graph, plan: plan, runs: [run("r1", passed: [3: ["side": "1"]])])
        #expect(inherited.values.isEmpty, "step 3 is not an ancestor of step 2")
        #expect(inherited.missing == [1])
        #expect(inherited.note(graph: graph) == "partial run: shared values from steps left out: none for 01, which passed in no earlier run")
    }

    @Test func aFullRunInheritsNothing() throws {
        let inherited = InheritedContext(graph: graph, plan: RunPlan.all(graph), runs: [run("r1", passed: [1: ["files": "[]"]])])
        #expect(inherited == InheritedContext())
        #expect(inherited.note(graph: graph) == nil)
    }
}
