import BatchKit
import BatchKitRunner
import TestSupport
import Testing

@Suite struct RunPlanTests {
    //   1 → 2 → 4 → 6
    //   1 → 3 → 5 ↗
    let graph: JobGraph = {
        let steps = [
            shellStep(1, "start", after: [], "true"), shellStep(2, "a", after: [1], "true"),
            shellStep(3, "b", after: [1], "true"), shellStep(4, "a2", after: [2], "true"),
            shellStep(5, "b2", after: [3], "true"), shellStep(6, "end", after: [4, 5], "true"),
        ]
        return try! JobGraph(job: Job("plan", steps: steps))
    }()

    @Test(arguments: [
        (StepSelection(), [1, 2, 3, 4, 5, 6]),
        (StepSelection(only: [2, 5]), [2, 5]),
        (StepSelection(from: 3), [3, 5, 6]),
        (StepSelection(to: 4), [1, 2, 4]),
        (StepSelection(from: 2, to: 6), [2, 4, 6]),
        (StepSelection(exclude: [1, 6]), [2, 3, 4, 5]),
        (StepSelection(only: [1, 2, 3], from: 1, to: 4, exclude: [2]), [1]),
    ])
    func selectionsComposeAsAnIntersection(selection: StepSelection, selected: [StepID]) throws {
        #expect(try RunPlan.make(graph, selection: selection).selected == selected)
    }

    @Test func everyLeftOutStepSaysWhy() throws {
        let plan = try RunPlan.make(graph, selection: StepSelection(only: [1, 2, 3, 4], from: 2, exclude: [4]))
        #expect(plan.selected == [2])
        #expect(plan.excluded.mapValues(\.description) == [1: "not downstream of --from 2", 3: "not downstream of --from 2", 4: "in --exclude", 5: "not in --only", 6: "not in --only"])
    }

    @Test func unknownIDsAreSelectionErrors() {
        #expect(throws: SelectionError.self) { try RunPlan.make(graph, selection: StepSelection(only: [2, 42])) }
        #expect(throws: SelectionError.self) { try RunPlan.make(graph, selection: StepSelection(from: 7)) }
    }

    @Test func wavesIgnoreParentsOutsideThePlan() throws {
        #expect(RunPlan.all(graph).waves(graph) == [[1], [2, 3], [4, 5], [6]])
        #expect(try RunPlan.make(graph, selection: StepSelection(from: 3)).waves(graph) == [[3], [5], [6]])
        #expect(try RunPlan.make(graph, selection: StepSelection(only: [4, 5, 6])).waves(graph) == [[4, 5], [6]])
    }

    @Test func passesAreKeptOnlyWhenTheirParentsAreKept() throws {
        let plan = try RunPlan.make(graph, selection: StepSelection(), passed: [1, 2, 4, 5], runID: "r1")
        #expect(plan.selected == [3, 5, 6], "5 passed, but its parent 3 did not, so it reruns")
        #expect(plan.excluded.mapValues(\.description) == [1: "passed earlier in run r1", 2: "passed earlier in run r1", 4: "passed earlier in run r1"])
    }
}
