import BatchKit
import BatchKitRunner
import BatchKitCommandLine
@testable import BatchKitCLI
import TestSupport
import Testing

@Suite struct StepListTests {
    @Test func appendsToAMultiLineList() {
        let text = "let job = Job(\n    \"j\",\n    steps: [\n        .extract,\n        .load,\n    ],\n    tests: t\n)\n"
        #expect(StepList.inserting(".score", into: text)
            == "let job = Job(\n    \"j\",\n    steps: [\n        .extract,\n        .load,\n        .score,\n    ],\n    tests: t\n)\n")
    }

    @Test func addsTheMissingCommaAfterTheLastEntry() {
        let text = "steps: [\n    .a,\n    .b\n]"
        #expect(StepList.inserting(".c", into: text) == "steps: [\n    .a,\n    .b,\n    .c,\n]")
    }

    @Test func appendsToASingleLineList() {
        #expect(StepList.inserting(".c", into: "Job(\"j\", steps: [.a, .b])") == "Job(\"j\", steps: [.a, .b, .c])")
        #expect(StepList.inserting(".a", into: "Job(\"j\", steps: [])") == "Job(\"j\", steps: [.a])")
    }

    @Test func noListMeansNoEdit() {
        #expect(StepList.inserting(".c", into: "let job = makeJob()") == nil)
        #expect(StepList.inserting(".c", into: "steps: allSteps") == nil)
    }

    @Test func stepNamesBecomeSwiftLiterals() {
        #expect(StepAdder.swiftStringLiteral("Say \"hi\" \\ now") == "\"Say \\\"hi\\\" \\\\ now\"")
    }
}
