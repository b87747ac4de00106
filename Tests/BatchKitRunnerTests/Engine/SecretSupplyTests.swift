@testable import BatchKit
@testable import BatchKitRunner
import Foundation
import TestSupport
import Testing

/// The runner's side of secrets: a secret parameter's value reaches the
/// steps from the options only (the records show `***`), also on
/// `--resume`, and a withheld variable reaches no step.
@Suite struct SecretSupplyTests {
    @Test func stepsGetSecretValuesFromTheOptionsAndNeverAWithheldVariable() async throws {
        let directory = try TemporaryDirectory()
        let layout = RunLayout(projectDirectory: directory.url)
        let steps = [
            Step(id: 1, name: "use", parents: [], source: "test:1", action: .shell(#"echo "$BATCHKIT_PARAM_TOKEN ${HOME-withheld}" > first.txt"#)),
            Step(id: 2, name: "gate", parents: [1], source: "test:2", action: .shell(#"test -f allow && echo "$BATCHKIT_PARAM_TOKEN" > second.txt"#)),
        ]
        let runner = JobRunner(job: Job("secrets", steps: steps), layout: layout, publisher: .some(nil))
        #expect(ProcessInfo.processInfo.environment["HOME"] != nil, "the runner has the variable it withholds")

        let failed = try await runner.run(RunOptions(
            parameters: ["token": "s3cr3t", "day": "d"], secretParameters: ["token"], withheldVariables: ["HOME"]))
        #expect(failed.status == .fail)
        #expect(try directory.read("first.txt") == "s3cr3t withheld\n")
        #expect(failed.parameters == ["token": "***", "day": "d"])
        let state = try #require(RunStateStore(layout: layout).latest(job: "secrets"))
        #expect(state.parameters == ["token": "***", "day": "d"])
        #expect(state.secretParameters == ["token"])

        // The resumed session takes the value given again.
        try directory.write("allow", "")
        let resumed = try await runner.run(RunOptions(resume: true, parameters: ["token": "again"], secretParameters: ["token"]))
        #expect(resumed.status == .pass)
        #expect(try directory.read("second.txt") == "again\n")
        #expect(resumed.parameters == ["token": "***", "day": "d"])
    }
}
