@testable import BatchKit
@testable import BatchKitRunner
import TestSupport
import Testing

@Suite struct JobGraphTests {
    func graph(_ steps: [Step]) throws -> JobGraph {
        try JobGraph(job: Job("j", steps: steps))
    }

    func problems(_ steps: [Step]) -> [String] {
        do {
            _ = try graph(steps)
            return []
        } catch let error as DefinitionError {
            return error.problems
        } catch {
            return ["unexpected \(error)"]
        }
    }

    @Test func byDefaultEachStepFollowsThePreviousOne() throws {
        let g = try graph([shellStep(3, "c", "true"), shellStep(1, "a", "true"), shellStep(2, "b", "true")])
        #expect(g.order == [1, 2, 3])
        #expect(g.parents[1] == [])
        #expect(g.parents[2] == [1])
        #expect(g.parents[3] == [2])
        #expect(g.waves() == [[1], [2], [3]])
    }

    @Test func explicitParentsMakeBranches() throws {
        let g = try graph([
            shellStep(1, "start", "true"),
            shellStep(2, "download 1", after: [1], "true"),
            shellStep(3, "download 2", after: [1], "true"),
            shellStep(4, "load", after: [2], "true"),
            shellStep(5, "parquet", after: [3], "true"),
            shellStep(6, "end", after: [4, 5], "true"),
        ])
        #expect(g.waves() == [[1], [2, 3], [4, 5], [6]])
        #expect(g.descendants(of: 2) == [4, 6])
        #expect(g.children[1] == [2, 3])
        #expect(g.order == [1, 2, 3, 4, 5, 6])
    }

    @Test func aCycleIsNamedStepByStep() {
        let found = problems([
            shellStep(1, "a", after: [], "true"),
            shellStep(2, "b", after: [3], "true"),
            shellStep(3, "c", after: [2], "true"),
        ])
        #expect(found.count == 1)
        #expect(found.first?.contains("cycle") == true)
        #expect(found.first?.contains("2 \"b\"") == true)
        #expect(found.first?.contains("3 \"c\"") == true)
    }

    @Test func everyProblemIsReportedAtOnce() {
        let found = problems([
            shellStep(1, "a", after: [1], "true"),
            shellStep(2, "b", after: [9], "true"),
            shellStep(2, "b again", "true"),
        ])
        #expect(found.count == 3)
        #expect(found.contains { $0.contains("lists itself") && $0.contains("\"a\"") })
        #expect(found.contains { $0.contains("step 9, which does not exist") })
        #expect(found.contains { $0.contains("both have id 2") })
    }

    @Test func aSwiftStepOutsideANumberedFileIsRefused() {
        let step = Step("Loose", fileID: "MyJob/Helpers.swift") { _ in }
        #expect(step.id == 0)
        let found = problems([step])
        #expect(found.first?.contains("MyJob/Helpers.swift") == true)
        #expect(found.first?.contains("05_loose.swift") == true)
    }

    @Test func anEmptyJobIsRefused() {
        #expect(problems([]).first?.contains("no steps") == true)
    }

    @Test func definitionErrorsListEveryProblem() {
        let error = DefinitionError(["one", "two"])
        #expect(error.description.contains("2 problems"))
        #expect(error.description.contains("  - two"))
    }
}

@Suite struct StepFileNameTests {
    @Test(arguments: [
        ("MyJob/01_extract.swift", 1), ("03_transform.swift", 3), ("Job/120_x.swift", 120),
    ])
    func numberedFilesGiveTheirNumber(file: String, number: Int) {
        #expect(StepFileName(fileID: file)?.number == number)
    }

    @Test(arguments: ["MyJob/Job.swift", "01extract.swift", "00_zero.swift", "01_x.txt", "_01_x.swift"])
    func otherFilesAreNotSteps(file: String) {
        #expect(StepFileName(fileID: file) == nil)
    }

    @Test func namesBecomeFileNames() {
        #expect(StepFileName.make(number: 5, name: "Score model") == "05_score_model.swift")
        #expect(StepFileName.make(number: 12, name: "Load → Warehouse (v2)!") == "12_load_warehouse_v2.swift")
        #expect(StepFileName.make(number: 1, name: "Écrire fichier") == "01_ecrire_fichier.swift")
        #expect(StepFileName.make(number: 1, name: "日本語 load") == "01_load.swift")
        #expect(StepFileName.make(number: 1, name: "???") == "01_step.swift")
    }

    @Test func aSwiftStepTakesItsIDFromItsFile() {
        let step = Step("Extract", fileID: "MyJob/07_extract.swift") { _ in }
        #expect(step.id == 7)
        #expect(step.displayID == "07")
        #expect(step.source == "MyJob/07_extract.swift")
    }
}
