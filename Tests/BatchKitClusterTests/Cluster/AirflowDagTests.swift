import BatchKit
import BatchKitRunner
import BatchKitCluster
import Foundation
import TestSupport
import Testing

/// The text of an exported Airflow DAG, checked with a real Python parser.
struct AirflowDagTests {
    func dag(_ steps: [Step], directory: String = "/srv/jobs/it's \"here\"") throws -> AirflowDag {
        let job = Job("nightly report", steps: steps)
        return AirflowDag(
            job: job, graph: try JobGraph(job: job), invocation: ["/opt/bin/batch kit", "run", "/srv/it's.lst"],
            workingDirectory: directory, command: "batchkit run it.lst export airflow")
    }

    @Test func eachStepIsATaskWithItsPolicyAndItsParents() throws {
        let steps = [
            shellStep(1, "Extract", "true"),
            Step(id: 2, name: "Load", parents: [1], source: "t:2", action: .shell("true"),
                 policy: StepPolicy(maxAttempts: 3, retryWait: 10, backoff: 2, timeout: 600, killGrace: 5, cpus: 2)),
            shellStep(3, "Report", after: [1], "true"),
            shellStep(4, "Publish", after: [2, 3], "true"),
        ]
        let text = try dag(steps).python(generatedAt: Date(timeIntervalSince1970: 0))
        #expect(text.hasPrefix("\(AirflowDag.marker) \(BatchKit.version) on 1970-01-01T00:00:00.000Z with:\n#     batchkit run it.lst export airflow\n"))
        #expect(text.contains("from airflow.sdk import DAG"))
        #expect(text.contains("    dag_id=\"nightly_report\","))
        #expect(text.contains("task_id=\"02_load\""))
        #expect(text.contains("bash_command=ENTRY + \" __task 2 \""))
        #expect(text.contains("retries=2,\n        retry_delay=timedelta(seconds=10),\n        retry_exponential_backoff=2,\n        execution_timeout=timedelta(seconds=635),\n        pool_slots=2,"))
        #expect(text.contains("task_id=\"01_extract\"") && text.contains("retries=0,"))
        #expect(!text.components(separatedBy: "step_01 = BashOperator(")[1].components(separatedBy: ")\n")[0].contains("execution_timeout"),
                "no timeout, no execution_timeout")
        #expect(text.hasSuffix("    step_01 >> [step_02, step_03]\n    step_02 >> step_04\n    step_03 >> step_04\n"))
    }

    @Test func namesAndPathsAreValidPythonWhateverTheyContain() async throws {
        guard let python = requireTool("python3", for: "parsing an exported DAG with Python") else { return }
        let awkward = "Say \"hi\" \\ back\tnow\n ünïcode"
        let text = try dag([shellStep(1, awkward, "true")]).python()
        let directory = try TemporaryDirectory()
        try directory.write("dag.py", text)
        try directory.write("check.py", """
            import ast, sys
            tree = ast.parse(open(sys.argv[1]).read())
            strings = [node.value for node in ast.walk(tree) if isinstance(node, ast.Constant) and isinstance(node.value, str)]
            for wanted in sys.argv[2:]:
                if not any(wanted in s for s in strings):
                    sys.exit("missing: " + repr(wanted))

            """)
        let result = try await runProgram(
            python, [directory.path("check.py").path, directory.path("dag.py").path, awkward, "/srv/jobs/it's \"here\"", "'/opt/bin/batch kit' 'run' '/srv/it'\\''s.lst'"],
            in: directory.url)
        #expect(result.status == 0, "\(result.stderr)\n\(text)")
    }
}
