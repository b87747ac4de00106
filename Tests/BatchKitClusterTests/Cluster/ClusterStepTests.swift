import BatchKit
import BatchKitRunner
@testable import BatchKitCluster
import Foundation
import TestSupport
import Testing

/// What a Slurm job is told about its step: the spec file holds no secret
/// value (those travel in the job's environment), and the node puts the
/// secret values back, or says why it cannot.
@Suite struct ClusterStepTests {
    func plannedRun(in directory: TemporaryDirectory) throws -> (PlannedRun, Step) {
        let step = shellStep(1, "use", #"echo "$BATCHKIT_PARAM_DB_PASSWORD""#)
        let graph = try JobGraph(job: Job("cluster", steps: [step]))
        var run = PlannedRun(
            job: "cluster", runID: "r1", layout: RunLayout(projectDirectory: directory.url), graph: graph,
            plan: try RunPlan.make(graph, selection: StepSelection()), attemptsBefore: [:], context: [:],
            parameters: ["db_password": "***", "day": "d"], resumed: false)
        run.secrets = ["db_password": "hunter2"]
        run.withheldVariables = ["BATCHKIT_WEBHOOK_URL", "TEAM_HOOK"]
        return (run, step)
    }

    @Test func aSpecHoldsNoSecretValueAndTheNodeGetsItFromTheJobsEnvironment() throws {
        let directory = try TemporaryDirectory()
        let (run, step) = try plannedRun(in: directory)
        let spec = SlurmExecutor().spec(for: step, in: run)
        let text = String(decoding: try JSONCoding.encoder().encode(spec), as: UTF8.self)
        #expect(!text.contains("hunter2"), "\(text)")
        #expect(spec.secretParameters == ["db_password"])
        #expect(spec.withheldVariables == ["BATCHKIT_WEBHOOK_URL", "TEAM_HOOK"])

        // sbatch runs with the value in its environment, which Slurm exports to the job.
        let variables = ClusterStepSpec.variables(for: run.secrets)
        #expect(variables == ["BATCHKIT_PARAM_DB_PASSWORD": "hunter2"])
        let decoded = try JSONCoding.decoder().decode(ClusterStepSpec.self, from: Data(text.utf8))
        #expect(try decoded.stepParameters(environment: variables) == ["db_password": "hunter2", "day": "d"])
        do {
            _ = try decoded.stepParameters(environment: [:])
            Issue.record("a missing secret was taken")
        } catch {
            #expect(error.message.hasPrefix("the secret parameter db_password did not reach the node: $BATCHKIT_PARAM_DB_PASSWORD is not in the Slurm job's environment"))
        }
    }
}
