import BatchKitRunner
@testable import BatchKit
import Foundation
import Testing

/// The memory cap as part of a step's policy: declaration, validation and
/// the JSON that Slurm spec files carry.
@Suite struct StepPolicyTests {
    @Test func aSwiftStepDeclaresItsCap() {
        let step = Step("Score", cpus: 2, memory: .megabytes(512), fileID: "Job/03_score.swift") { _ in }
        #expect(step.policy.memory == .megabytes(512))
        #expect(step.policy.cpus == 2)
        #expect(Step("Plain", fileID: "Job/04_plain.swift") { _ in }.policy.memory == nil, "no cap unless declared")
    }

    static let absurdCaps: [(ByteCount, String)] = [
        (.bytes(512), "memory cap is 512 bytes; it must be between 1 MB and 1 PB, such as .megabytes(512)"),
        (.bytes(0), "memory cap is 0 bytes"),
        (.megabytes(-3), "memory cap is -3000000 bytes"),
        (.gigabytes(2_000_000), "memory cap is 2 PB"),
    ]

    @Test(arguments: absurdCaps)
    func anAbsurdCapIsADefinitionError(cap: ByteCount, message: String) {
        let step = Step(id: 1, name: "a", parents: [], source: "test:1", action: .shell("true"), policy: StepPolicy(memory: cap))
        do {
            _ = try JobGraph(job: Job("j", steps: [step]))
            Issue.record("accepted a memory cap of \(cap)")
        } catch {
            #expect("\(error)".contains(message), "\(error)")
        }
    }

    @Test(arguments: [ByteCount.megabytes(1), .mebibytes(100), .gigabytes(1_000_000)])
    func sensibleCapsAreAccepted(cap: ByteCount) {
        #expect(StepPolicy(memory: cap).problems().isEmpty)
    }

    @Test func policiesWrittenBeforeCapsStillDecode() throws {
        // A spec file written by a batchkit without memory caps.
        let old = #"{"maxAttempts":2,"retryWait":5,"backoff":1,"timeout":60,"killGrace":5,"cpus":1}"#
        let policy = try JSONDecoder().decode(StepPolicy.self, from: Data(old.utf8))
        #expect(policy == StepPolicy(maxAttempts: 2, retryWait: 5, timeout: 60))
        #expect(policy.memory == nil)
    }

    @Test func aCapSurvivesJSON() throws {
        let policy = StepPolicy(maxAttempts: 3, cpus: 2, memory: .gibibytes(2))
        let data = try JSONEncoder().encode(policy)
        #expect(String(decoding: data, as: UTF8.self).contains(#""memory":2147483648"#))
        #expect(try JSONDecoder().decode(StepPolicy.self, from: data) == policy)
    }
}
