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

    /// A NUL ends every C string a name or command passes through (argv,
    /// file names), so the text would be cut without a word: refused.
    @Test func aNULInANameOrAShellCommandIsRefused() {
        let found = problems([shellStep(1, "na\0me", "true"), shellStep(2, "b", "echo x\0y")])
        #expect(found == [
            "step 01 \"na\0me\" (test:1): the name holds a NUL character (shown as \\0), which would cut it short in files and commands; remove it",
            "step 02 \"b\" (test:2): the shell command holds a NUL character; the shell would run only \"echo x\". Remove it",
        ])
        do {
            _ = try JobGraph(job: Job("j\0ob", steps: [shellStep(1, "a", "true")]))
            Issue.record("accepted")
        } catch {
            #expect(error.problems.first?.hasPrefix("the job name \"j\0ob\" holds a NUL character") == true)
            #expect(error.description.contains("the job name \"j\\0ob\""), "shown escaped")
        }
    }

    @Test func definitionErrorsShowControlCharactersAsEscapes() {
        let error = DefinitionError(["step 01 \"a\u{1B}[2Jb\rc\" failed", "two"])
        #expect(error.description == "invalid job definition (2 problems):\n  - step 01 \"a\\u{1B}[2Jb\\rc\" failed\n  - two")
    }

    @Test func definitionErrorsListEveryProblem() {
        let error = DefinitionError(["one", "two"])
        #expect(error.description.contains("2 problems"))
        #expect(error.description.contains("  - two"))
    }
}
