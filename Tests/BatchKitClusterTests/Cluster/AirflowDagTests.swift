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
        #expect(text.contains("bash_command=ENTRY + \" __task 2 --date {{ ds if ds is defined else 'today' }} \" + ARGS,") && text.contains("\nARGS = \"\"\n"))
        #expect(text.contains("retries=2,\n        retry_delay=timedelta(seconds=10),\n        retry_exponential_backoff=2,\n        execution_timeout=timedelta(seconds=635),\n        pool_slots=2,"))
        #expect(text.contains("task_id=\"01_extract\"") && text.contains("retries=0,"))
        #expect(!text.components(separatedBy: "step_01 = BashOperator(")[1].components(separatedBy: ")\n")[0].contains("execution_timeout"),
                "no timeout, no execution_timeout")
        #expect(text.hasSuffix("    step_01 >> [step_02, step_03]\n    step_02 >> step_04\n    step_03 >> step_04\n"))
        #expect(!text.contains(AirflowDag.testsTaskID), "a job without post-job tests has no tests task")
    }

    @Test func thePostJobTestsRunLastAfterEveryStep() throws {
        let steps = [shellStep(1, "Extract", "true"), shellStep(2, "Load", after: [1], "true"), shellStep(3, "Report", after: [1], "true")]
        let job = Job("nightly", steps: steps, tests: [.fileNotEmpty("out.csv"), .fileNotEmpty("report.txt")])
        let dag = AirflowDag(job: job, graph: try JobGraph(job: job), invocation: ["/opt/nightly"], workingDirectory: "/srv", command: "./run.sh export airflow")
        let text = dag.python()
        let task = try #require(text.components(separatedBy: "    post_job_tests = BashOperator(\n").dropFirst().first?.components(separatedBy: "\n    )\n").first)
        #expect(task.contains("task_id=\"post_job_tests\",") && task.contains("bash_command=ENTRY + \" __task tests --date {{ ds if ds is defined else 'today' }} \" + ARGS,"))
        #expect(task.contains("retries=0,") && task.contains("BATCHKIT_AIRFLOW_RUN_ID"))
        #expect(text.hasSuffix("    step_01 >> [step_02, step_03]\n    [step_02, step_03] >> post_job_tests\n"), "after every last step, so after every step")
        #expect(text.contains("# Once every step passed, the last task, post_job_tests, runs the job's 2 post-job tests"))
    }

    /// What export was given reaches every task as the words Airflow's Jinja
    /// and `sh` make of `ARGS`: values with `{{`, `{%`, `{#`, quotes, spaces
    /// and a `.sh` ending (which Airflow would take for a template file)
    /// arrive as given. Secret parameters are named in the header, with the
    /// variables the workers must set.
    @Test func exportArgumentsReachEveryTaskThroughJinjaAndTheShellAsGiven() async throws {
        guard let airflow = requireAirflow(for: "rendering an exported DAG's commands with Airflow's Jinja") else { return }
        let python = URL(fileURLWithPath: airflow).deletingLastPathComponent().appendingPathComponent("python").path
        let job = Job("nightly", steps: [shellStep(1, "Extract", "true")])
        let given = ["day": "{{ ds }} {% if %} {# no #}", "label": "it's \"here\" $HOME `x`", "script": "run.sh", "n": "3"]
        let dag = AirflowDag(
            job: job, graph: try JobGraph(job: job), invocation: ["/opt/nightly"], workingDirectory: "/srv", command: "./run.sh export airflow",
            environment: "prod", parameters: given, secretParameters: ["token", "db.password"])
        #expect(dag.taskArguments == ["--env", "prod", "--param", "day={{ ds }} {% if %} {# no #}", "--param", "label=it's \"here\" $HOME `x`", "--param", "n=3", "--param", "script=run.sh"])
        let text = dag.python()
        #expect(text.contains("# Secret parameters (db.password, token) are never written here: set\n# $BATCHKIT_PARAM_DB_PASSWORD, $BATCHKIT_PARAM_TOKEN in the workers' environment"))
        let directory = try TemporaryDirectory()
        try directory.write("dag.py", text)
        try directory.write("render.py", """
            import ast, subprocess, sys, jinja2
            tree = ast.parse(open(sys.argv[1], encoding="utf-8").read())
            assigns = {t.id: n.value.value for n in tree.body if isinstance(n, ast.Assign) and isinstance(n.value, ast.Constant) for t in n.targets}
            command = jinja2.Environment().from_string(" __task 1 " + assigns["ARGS"]).render()
            sys.stdout.write(subprocess.run(["/bin/sh", "-c", "printf '%s\\\\0' " + command], capture_output=True, check=True).stdout.decode())
            """)
        let result = try await runProgram(python, ["render.py", "dag.py"], in: directory.url)
        #expect(result.status == 0, "\(result.stderr)\n\(text)")
        let words = result.stdout.split(separator: "\0", omittingEmptySubsequences: false).dropLast().map(String.init)
        #expect(words == ["__task", "1"] + dag.taskArguments, "\(words)")
    }

    /// Each task's command, rendered by Airflow's Jinja as Airflow renders a
    /// `bash_command` (undefined names are errors), passes the DAG run's
    /// logical date as the run date, and `today` for a run that has none.
    @Test func everyTaskPassesTheLogicalDateAsTheRunDate() async throws {
        guard let airflow = requireAirflow(for: "rendering an exported DAG's commands with Airflow's Jinja") else { return }
        let python = URL(fileURLWithPath: airflow).deletingLastPathComponent().appendingPathComponent("python").path
        let job = Job("nightly", steps: [shellStep(1, "Extract", "true")], tests: [.fileNotEmpty("out.csv")])
        let dag = AirflowDag(
            job: job, graph: try JobGraph(job: job), invocation: ["/opt/nightly"], workingDirectory: "/srv", command: "./run.sh export airflow",
            parameters: ["n": "3"])
        let directory = try TemporaryDirectory()
        try directory.write("dag.py", dag.python())
        try directory.write("render.py", """
            import ast, sys, jinja2
            tree = ast.parse(open(sys.argv[1], encoding="utf-8").read())
            assigns = {t.id: n.value.value for n in tree.body if isinstance(n, ast.Assign) and isinstance(n.value, ast.Constant) for t in n.targets}
            commands = [ast.literal_eval(k.value.left.right) for k in ast.walk(tree) if isinstance(k, ast.keyword) and k.arg == "bash_command"]
            environment = jinja2.Environment(undefined=jinja2.StrictUndefined)
            for context in ({"ds": "2026-11-02"}, {}):
                for command in commands:
                    print(environment.from_string(command + assigns["ARGS"]).render(**context))
            """)
        let result = try await runProgram(python, ["render.py", "dag.py"], in: directory.url)
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) } == [
            "__task 1 --date 2026-11-02 --param n=3", "__task tests --date 2026-11-02 --param n=3",
            "__task 1 --date today --param n=3", "__task tests --date today --param n=3",
        ], "\(result.stdout)")
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

    /// A quote that a combining mark or an emoji modifier follows is one
    /// `Character` with it; Python and `sh` still see a quote. A job name
    /// with a line break must not end the header comment, and ids stay
    /// within Airflow's 250 characters.
    @Test func quotesThatMarksFollowAndLineBreaksStayInsideTheirStrings() async throws {
        guard let python = requireTool("python3", for: "parsing an exported DAG with Python") else { return }
        let names = ["say \"\u{301}hi", "back \\\u{301}slash", "\"\u{1F3FB}\",", String(repeating: "n", count: 300)]
        let steps = names.enumerated().map { shellStep(StepID($0.offset + 1), $0.element, "true") }
        let job = Job("nightly\n) \"\u{301}", steps: steps)
        let invocation = ["/opt/it'\u{301}s/batchkit", "run", "/srv/100%\u{301}.lst"]
        let dag = AirflowDag(job: job, graph: try JobGraph(job: job), invocation: invocation, workingDirectory: "/srv/\"\u{301}", command: "export\rairflow")
        let text = dag.python()
        #expect(steps.allSatisfy { AirflowDag.taskID($0).count <= 250 })
        #expect(AirflowDag.taskID(steps[3]) == "04_" + StepFileName.slug(names[3]))
        let directory = try TemporaryDirectory()
        try directory.write("dag.py", text)
        try directory.write("check.py", """
            import ast, json, subprocess, sys
            tree = ast.parse(open(sys.argv[1], encoding="utf-8").read())
            calls = [node for node in ast.walk(tree) if isinstance(node, ast.Call)]
            docs = [k.value.value for c in calls for k in c.keywords if k.arg == "doc_md"]
            assigns = {t.id: n.value.value for n in tree.body if isinstance(n, ast.Assign) and isinstance(n.value, ast.Constant) for t in n.targets}
            words = subprocess.run(["/bin/sh", "-c", "printf '%s\\\\n' " + assigns["ENTRY"]], capture_output=True, check=True).stdout.decode()
            print(json.dumps({"docs": docs, "dir": assigns["JOB_DIR"], "words": words.split("\\n")[:-1]}))
            """)
        let result = try await runProgram(python, ["check.py", "dag.py"], in: directory.url)
        #expect(result.status == 0, "\(result.stderr)\n\(text)")
        struct Found: Decodable { let docs: [String]; let dir: String; let words: [String] }
        let found = try JSONDecoder().decode(Found.self, from: Data(result.stdout.utf8))
        #expect(found.docs.map { Array($0.unicodeScalars) } == names.enumerated().map { Array("\($0.element) (test:\($0.offset + 1))".unicodeScalars) })
        #expect(Array(found.dir.unicodeScalars) == Array("/srv/\"\u{301}".unicodeScalars))
        #expect(found.words.map { Array($0.unicodeScalars) } == invocation.map { Array($0.unicodeScalars) })
    }
}
