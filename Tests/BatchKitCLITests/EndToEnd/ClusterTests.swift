import BatchKitCluster
import BatchKit
import BatchKitRunner
import BatchKitCommandLine
import Foundation
import TestSupport
import Testing

/// `--backend slurm` against a real Slurm cluster (scripts/slurm/start.sh: a
/// single node on localhost), and `export airflow` run by a real Airflow 3
/// (`airflow dags test`, scripts/airflow/). Outside CI these skip loudly
/// when the engines are missing; in CI they must run.
@Suite(.serialized) struct ClusterTests {
    func history(_ directory: TemporaryDirectory) throws -> [ExecutionRecord] {
        try ExecutionLog(url: directory.path("logs/execution_logs.csv")).readAll()
    }

    /// Slurm's state of each job the run submitted, by step id.
    func slurmStates(_ directory: TemporaryDirectory, runID: String) async throws -> [Int: String] {
        let ledger = try directory.read("logs/runs/\(runID)/.state/cluster/jobs.txt")
        var states: [Int: String] = [:]
        for line in ledger.split(separator: "\n") {
            let parts = line.split(separator: " ")
            guard parts.count == 2, let step = Int(parts[0]) else { continue }
            let shown = try await runProgram("/usr/bin/env", ["scontrol", "show", "job", "-o", String(parts[1])], in: directory.url)
            let state = shown.stdout.split(separator: " ").first { $0.hasPrefix("JobState=") }?.dropFirst("JobState=".count)
            states[step] = state.map(String.init) ?? "unknown"
        }
        return states
    }

    static let dag = """
        #SHELL
        #ID|PARENT_IDS|MAX_ATTEMPTS|RETRY_WAIT_TIME|PROCESS_NAME|SHELL_COMMAND|LOGFILE|TIMEOUT
        1|-1|1|0|Start|echo start; echo "size=$BATCHKIT_PARAM_SIZE"||
        2|1|1|0|Left|sleep 4; echo left > left.txt||
        3|1|3|1|Flaky|n=$(cat tries 2>/dev/null \\|\\| echo 0); n=$((n+1)); echo $n > tries; echo "try $n"; [ $n -ge 2 ]||
        4|2,3|1|0|Join|cat left.txt||
        5|1|1|0|Broken|echo checking; test -f fixed||
        6|5|1|0|After broken|echo after > after.txt||
        7|1|1|0|Too slow|test -f fixed \\|\\| sleep 30||2s

        """

    @Test func aDagRunsOnSlurmWithItsParallelFailingAndRetriedStepsThenResumes() async throws {
        guard await requireSlurm(for: "running a DAG on Slurm") else { return }
        let directory = try TemporaryDirectory()
        try directory.write("t.lst", Self.dag)

        let first = try await runProgram(try batchkitBinary(), ["run", "t.lst", "--backend", "slurm", "--param", "size=3"], in: directory.url)
        #expect(first.status == 1, "\(first.stdout)\n\(first.stderr)")
        let rows = try history(directory)
        let runID = try #require(rows.first?.runID)
        func row(_ id: StepID, attempt: Int = 1) -> ExecutionRecord? { rows.first { $0.stepID == id && $0.attempt == attempt } }
        #expect(row(1)?.status == .pass && row(2)?.status == .pass && row(4)?.status == .pass)
        #expect(row(3)?.status == .fail && row(3, attempt: 2)?.status == .pass, "Flaky passes on its second attempt")
        #expect(row(5)?.status == .fail && row(5)?.reason == .exit && row(5)?.exitStatus == "1")
        #expect(rows.first { $0.stepID == 6 }?.status == .skipped && rows.first { $0.stepID == 6 }?.reason == .upstreamFailed)
        #expect(row(7)?.status == .fail && row(7)?.reason == .timeout, "the step's own timeout holds on the node")
        #expect(!FileManager.default.fileExists(atPath: directory.path("after.txt").path))

        // Each attempt ran as a Slurm job, and its output is in the step's usual log.
        let log = try directory.read("logs/runs/\(runID)/01_start.log")
        #expect(log.contains("(Slurm job ") && log.contains("size=3"))
        #expect(try directory.read("logs/runs/\(runID)/03_flaky.attempt-2.log").contains("try 2"))
        #expect(rows.allSatisfy { !$0.host.isEmpty })
        let states = try await slurmStates(directory, runID: runID)
        #expect(states[1] == "COMPLETED" && states[4] == "COMPLETED", "\(states)")
        #expect(states[5] == "FAILED", "a failed step's job fails, so afterok holds its children: \(states)")
        #expect(states[6] == "CANCELLED", "Slurm cancels the child of a failed step (afterok): \(states)")
        // The wave after Start ran side by side.
        let wave = [2, 3, 5, 7].compactMap { row($0) }
        let overlapping = wave.contains { a in wave.contains { b in a.stepID != b.stepID && a.startedAt < b.endedAt && b.startedAt < a.endedAt } }
        #expect(overlapping, "steps of the same wave overlap in time")
        #expect(first.stdout.contains("FAIL  4/7 steps passed"))
        #expect(first.stdout.contains("05 Broken failed"))

        // Fixed, --resume runs only what did not pass, on Slurm again.
        try directory.write("fixed", "")
        let resumed = try await runProgram(try batchkitBinary(), ["run", "t.lst", "--backend", "slurm", "--resume"], in: directory.url)
        #expect(resumed.status == 0, "\(resumed.stdout)\n\(resumed.stderr)")
        let after = try history(directory).dropFirst(rows.count)
        #expect(after.allSatisfy { $0.runID == runID })
        #expect(Set(after.map(\.stepID)) == [5, 6, 7], "only the steps that did not pass run again")
        #expect(after.allSatisfy { $0.status == .pass })
        #expect(try directory.read("after.txt") == "after\n")
        #expect(resumed.stdout.contains("PASS  7/7 steps passed"))
    }

    /// Steps found up to date before the run starts are left out of what is
    /// submitted: a `CACHED` step submits no Slurm job, and a step after one
    /// that runs is submitted (it cannot be decided before its parent ran).
    @Test func aCachedStepSubmitsNoJobToSlurm() async throws {
        guard await requireSlurm(for: "incremental runs on Slurm") else { return }
        let directory = try TemporaryDirectory()
        try FileManager.default.createDirectory(at: directory.path("in"), withIntermediateDirectories: true)
        try directory.write("in/a.txt", "hello\n")
        try directory.write("in/b.txt", "world\n")
        try directory.write("inc.lst", """
            #SHELL
            1|-1|1|0|Upper A|mkdir -p out; tr a-z A-Z < in/a.txt > out/A.txt||||in/a.txt|out/A.txt
            2|-1|1|0|Upper B|mkdir -p out; tr a-z A-Z < in/b.txt > out/B.txt||||in/b.txt|out/B.txt
            3|1,2|1|0|Join|cat out/A.txt out/B.txt > out/AB.txt||||out/A.txt,out/B.txt|out/AB.txt

            """)
        func run() async throws -> (rows: [ExecutionRecord], submitted: [Int]) {
            let result = try await runProgram(try batchkitBinary(), ["run", "inc.lst", "--backend", "slurm"], in: directory.url)
            #expect(result.status == 0, "\(result.stdout)\n\(result.stderr)")
            let all = try history(directory)
            let runID = try #require(all.last?.runID)
            let ledger = (try? directory.read("logs/runs/\(runID)/.state/cluster/jobs.txt")) ?? ""
            let submitted = ledger.split(separator: "\n").compactMap { $0.split(separator: " ").first.flatMap { Int($0) } }
            return (all.filter { $0.runID == runID }, submitted.sorted())
        }
        let first = try await run()
        #expect(first.submitted == [1, 2, 3])
        try directory.write("in/b.txt", "there\n")
        let second = try await run()
        #expect(second.rows.map { "\($0.stepID) \($0.status.rawValue)" }.sorted() == ["1 CACHED", "2 PASS", "3 PASS"])
        #expect(second.submitted == [2, 3], "step 1 is up to date: no job")
        #expect(try directory.read("out/AB.txt") == "HELLO\nTHERE\n")
        let third = try await run()
        #expect(third.rows.allSatisfy { $0.status == .cached } && third.rows.count == 3)
        #expect(third.submitted.isEmpty, "nothing to submit")
    }

    @Test func interruptingASlurmRunCancelsItsJobs() async throws {
        guard await requireSlurm(for: "cancelling Slurm jobs on Ctrl-C") else { return }
        let directory = try TemporaryDirectory()
        try directory.write("t.lst", """
            #SHELL
            1|-1|1|0|Slow|touch started; sleep 57.25|
            2|1|1|0|Later|echo later > later.txt|
            3|-1|1|0|Also slow|sleep 57.25|

            """)
        let (process, output) = try await startBatchkit(["run", "t.lst", "--backend", "slurm"], in: directory)
        try await waitFor(directory.path("started"), timeout: 30)
        #expect(kill(process.processIdentifier, SIGINT) == 0)
        #expect(await process.exitCode() == 130)
        let text = try String(contentsOf: output, encoding: .utf8)
        #expect(text.contains("interrupted: continue with --resume"), "\(text)")
        let rows = try history(directory)
        let runID = try #require(rows.first?.runID)
        #expect(rows.first { $0.stepID == 1 }?.reason == .interrupted, "\(rows)")
        #expect(rows.first { $0.stepID == 2 }?.status == .skipped)
        let states = try await slurmStates(directory, runID: runID)
        #expect(states.count == 3 && states.values.allSatisfy { $0 == "CANCELLED" }, "every job of the run is cancelled: \(states)")
        // Nothing the steps started is left running.
        try await Task.sleep(for: .seconds(1))
        let sleepers = try await runProgram("/usr/bin/env", ["pgrep", "-f", "sleep 57.25"], in: directory.url)
        #expect(sleepers.stdout.isEmpty, "still running: \(sleepers.stdout)")
        #expect(!FileManager.default.fileExists(atPath: directory.path("later.txt").path))
    }

    /// A node that dies takes the running attempt with it; Slurm requeues the
    /// job (`--requeue`) and it goes on with the next attempt. On one machine,
    /// `scontrol requeue` does to the job what a node failure does.
    @Test
    func anAttemptLostToARequeueIsRecordedAndTheStepGoesOn() async throws {
        guard await requireSlurm(for: "a Slurm job requeued in the middle of a step") else { return }
        let directory = try TemporaryDirectory()
        try directory.write("t.lst", """
            #SHELL
            1|-1|2|0|Long|[ -f started ] && exit 0; touch started; sleep 58.5|
            2|1|1|0|Next|echo next > next.txt|

            """)
        let (process, output) = try await startBatchkit(["run", "t.lst", "--backend", "slurm"], in: directory)
        try await waitFor(directory.path("started"), timeout: 30)
        let runs = try FileManager.default.contentsOfDirectory(atPath: directory.path("logs/runs").path)
        let runID = try #require(runs.first)
        let ledger = try directory.read("logs/runs/\(runID)/.state/cluster/jobs.txt")
        let job = try #require(ledger.split(separator: "\n").first { $0.hasPrefix("1 ") }?.split(separator: " ").last)
        let requeue = try await runProgram("/usr/bin/env", ["scontrol", "requeue", String(job)], in: directory.url)
        #expect(requeue.status == 0, "\(requeue.stdout)\(requeue.stderr)")
        // Slurm holds a requeued job back (BeginTime, about two minutes); let it
        // start sooner, but not within the second of the requeue: slurmd refuses
        // a credential issued in the second its job's old one was revoked
        // ("Killing non-startable batch job: Job credential revoked").
        for _ in 0..<100 {
            let shown = try await runProgram("/usr/bin/env", ["scontrol", "show", "job", "-o", String(job)], in: directory.url)
            if shown.stdout.contains("JobState=PENDING") {
                try await Task.sleep(for: .seconds(1.5))
                _ = try await runProgram("/usr/bin/env", ["scontrol", "update", "jobid=\(job)", "StartTime=now"], in: directory.url)
                break
            }
            try await Task.sleep(for: .milliseconds(100))
        }
        let code = await process.exitCode()
        let rows = try history(directory)
        // What Slurm said about each job, for a failure's message.
        let slurmOutput = ((try? FileManager.default.contentsOfDirectory(atPath: directory.path("logs/runs/\(runID)/slurm").path)) ?? [])
            .sorted().map { "\($0):\n" + ((try? directory.read("logs/runs/\(runID)/slurm/\($0)")) ?? "") }.joined(separator: "\n")
        let diagnosis = "rows: \(rows.map { "\($0.stepID)#\($0.attempt) \($0.status.rawValue) \($0.reason) \($0.message)" })\nslurm output:\n\(slurmOutput)\nrunner:\n\((try? String(contentsOf: output, encoding: .utf8)) ?? "")"
        #expect(code == 0, "\(diagnosis)")
        #expect(rows.map(\.stepID) == [1, 1, 2], "\(diagnosis)")
        #expect(rows.first?.status == .fail && rows.first?.reason == .lost, "\(rows.first.map { "\($0.reason): \($0.message)" } ?? "")")
        #expect(rows.dropFirst().allSatisfy { $0.status == .pass })
        #expect(try directory.read("next.txt") == "next\n")
    }

    /// A job whose node program is killed from outside (SIGKILL, as the OOM
    /// killer or an administrator would) ends without an outcome file: the
    /// attempt is recorded with the reason Slurm's state maps to, and named.
    @Test func aJobKilledFromOutsideIsRecordedWithItsReasonNamed() async throws {
        guard await requireSlurm(for: "a Slurm job killed from outside the run") else { return }
        let directory = try TemporaryDirectory()
        // `exec`, so the step's process is the one with the parent-death signal.
        try directory.write("t.lst", "#SHELL\n1|-1|1|0|Long|touch started; exec sleep 60|\n2|1|1|0|Next|true|\n")
        let (process, output) = try await startBatchkit(["run", "t.lst", "--backend", "slurm"], in: directory)
        try await waitFor(directory.path("started"), timeout: 30)
        let runID = try #require(try FileManager.default.contentsOfDirectory(atPath: directory.path("logs/runs").path).first)
        let ledger = try directory.read("logs/runs/\(runID)/.state/cluster/jobs.txt")
        let job = try #require(ledger.split(separator: "\n").first { $0.hasPrefix("1 ") }?.split(separator: " ").last)
        let spec = RunLayout(projectDirectory: directory.url).clusterSpec(runID: runID, stepID: 1).path
        let node = try #require(processes(withArgument: spec).first, "the node program of step 1 runs")
        #expect(kill(node, SIGKILL) == 0)
        #expect(await process.exitCode() == 1, "\((try? String(contentsOf: output, encoding: .utf8)) ?? "")")
        let rows = try history(directory)
        #expect(rows.map(\.stepID) == [1, 2])
        let lost = try #require(rows.first)
        #expect(lost.status == .fail && lost.reason == .signal, "\(lost.reason): \(lost.message)")
        #expect(lost.exitStatus == "SIGKILL")
        #expect(lost.message.contains("Slurm job \(job) ended FAILED"), "\(lost.message)")
        #expect(lost.message.contains("batchkit's node program was killed by SIGKILL from outside the run"), "\(lost.message)")
        #expect(rows[1].status == .skipped)
    }

    /// Processes whose command line has `argument` among its words.
    func processes(withArgument argument: String) -> [pid_t] {
        ((try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []).compactMap { entry in
            guard let pid = pid_t(entry), let line = FileManager.default.contents(atPath: "/proc/\(entry)/cmdline") else { return nil }
            return line.split(separator: 0).contains { String(decoding: $0, as: UTF8.self) == argument } ? pid : nil
        }
    }

    @Test func whenSlurmCannotBeReachedTheErrorIsClearAndNothingIsRecorded() async throws {
        let directory = try TemporaryDirectory()
        try directory.write("t.lst", "#SHELL\n1|-1|1|0|One|echo one > one.txt|\n")
        try FileManager.default.createDirectory(at: directory.path("empty-bin"), withIntermediateDirectories: true)
        let missing = try await runProgram(
            try batchkitBinary(), ["run", "t.lst", "--backend", "slurm"], in: directory.url,
            environment: ["PATH": directory.path("empty-bin").path])
        #expect(missing.status == 1)
        #expect(missing.stderr.contains("--backend slurm needs Slurm's commands on PATH, and sbatch, squeue, scontrol, scancel are missing"), "\(missing.stderr)")
        #expect(!FileManager.default.fileExists(atPath: directory.path("logs/execution_logs.csv").path))
        #expect(((try? FileManager.default.contentsOfDirectory(atPath: directory.path("logs/runs").path)) ?? []).isEmpty)

        guard await requireSlurm(for: "a Slurm controller that does not answer") else { return }
        // A configuration whose controller port nothing listens on.
        let conf = try String(contentsOfFile: ProcessInfo.processInfo.environment["SLURM_CONF"] ?? "/etc/slurm/slurm.conf", encoding: .utf8)
        let dead = conf.split(separator: "\n", omittingEmptySubsequences: false)
            .map { $0.hasPrefix("SlurmctldPort=") ? "SlurmctldPort=9" : String($0) }.joined(separator: "\n")
        try directory.write("dead.conf", dead)
        let down = try await runProgram(
            try batchkitBinary(), ["run", "t.lst", "--backend", "slurm"], in: directory.url,
            environment: ["SLURM_CONF": directory.path("dead.conf").path])
        #expect(down.status == 1)
        #expect(down.stderr.contains("cannot reach the Slurm controller"), "\(down.stderr)")
        #expect(down.stderr.contains("is DOWN") && down.stderr.contains("nothing was submitted"))
        #expect(!FileManager.default.fileExists(atPath: directory.path("logs/execution_logs.csv").path))
        #expect(!FileManager.default.fileExists(atPath: directory.path("one.txt").path))
    }

    @Test func slurmOptionsAreCheckedAndShownByDryRun() async throws {
        let directory = try TemporaryDirectory()
        try directory.write("t.lst", "#SHELL\n1|-1|2|5|One|echo one||1m|100MB\n2|1|1|0|Two|echo two|\n")
        let batchkit = try batchkitBinary()
        let plan = try await runProgram(
            batchkit, ["run", "t.lst", "--backend", "slurm", "--partition", "batch", "--account", "ops", "--sbatch-arg=--qos=low", "--dry-run"],
            in: directory.url)
        #expect(plan.status == 0, "\(plan.stderr)")
        #expect(plan.stdout.contains("as the cluster allows"))
        #expect(plan.stdout.contains("JOB_01=$(sbatch --parsable --job-name=t.01_one"))
        #expect(plan.stdout.contains("--time=4 --partition=batch --account=ops --qos=low"), "2 × (60 s + 5 s grace) + 5 s wait + 60 s → 4 minutes: \(plan.stdout)")
        #expect(plan.stdout.contains("--cpus-per-task=1 --mem=224 --time=4"), "a 100 MB cap is 96 MiB, plus 128 MiB for the node program: \(plan.stdout)")
        #expect(plan.stdout.split(separator: "\n").first { $0.contains("JOB_02=$(sbatch") }?.contains("--mem") == false, "no cap, no --mem")
        #expect(plan.stdout.contains("--dependency=afterok:$JOB_01"))
        #expect(plan.stdout.contains("__cluster-step"))
        #expect(!FileManager.default.fileExists(atPath: directory.path("logs/runs").path))
        // A partial run submits only its steps, without a dependency on steps it leaves out.
        let partial = try await runProgram(batchkit, ["run", "t.lst", "--backend", "slurm", "--only", "2", "--dry-run"], in: directory.url)
        #expect(partial.status == 0 && partial.stdout.contains("JOB_02=$(sbatch") && !partial.stdout.contains("JOB_01="), "\(partial.stdout)")
        #expect(!partial.stdout.contains("--dependency"))

        for (arguments, message) in [
            (["--partition", "x"], "--partition is an option of --backend slurm"),
            (["--backend", "kubernetes"], "unknown --backend 'kubernetes'; use local (the default) or slurm"),
            (["--backend", "slurm", "--jobs", "2"], "--jobs limits a local run"),
        ] {
            let result = try await runProgram(batchkit, ["run", "t.lst"] + arguments, in: directory.url)
            #expect(result.status == 64 && result.stderr.contains(message), "\(arguments): \(result.stderr)")
        }
    }

    // MARK: Airflow

    /// Runs an exported DAG with scripts/airflow/dags-test.sh, as of
    /// `logicalDate` (`2026-11-02`; now when nil); `environment` is the workers'.
    func airflowTest(_ file: URL, airflow: String, logicalDate: String? = nil, environment: [String: String] = [:]) async throws -> CommandResult {
        let venv = URL(fileURLWithPath: airflow).deletingLastPathComponent().deletingLastPathComponent().path
        let script = checkoutRoot.appendingPathComponent("scripts/airflow/dags-test.sh").path
        let dagID = file.deletingPathExtension().lastPathComponent
        return try await runProgram(
            "/bin/bash", [script, file.path] + (logicalDate.map { [dagID, $0] } ?? []),
            in: file.deletingLastPathComponent(), environment: environment.merging(["BATCHKIT_AIRFLOW_VENV": venv]) { $1 })
    }

    /// Files under `directory` whose text holds `text`.
    func files(in directory: URL, containing text: String) -> [String] {
        let walker = FileManager.default.enumerator(at: directory, includingPropertiesForKeys: nil)
        return (walker?.allObjects as? [URL] ?? []).compactMap { url in
            guard let data = FileManager.default.contents(atPath: url.path), String(decoding: data, as: UTF8.self).contains(text) else { return nil }
            return url.path
        }
    }

    /// `export airflow --env/--param` is checked as `./run.sh` checks a run
    /// (the same messages, exit 64), refuses to write a secret, and each
    /// task resolves the parameters on its worker as `./run.sh` does:
    /// defaults, config/<env>.json, what export was given, a secret from the
    /// worker's environment, and no step runs when a required one is missing.
    @Test func exportedTasksResolveTheirParametersAsRunDoes() async throws {
        let directory = try TemporaryDirectory()
        try directory.write("t.lst", """
            #SHELL
            1|-1|1|0|Show|echo "top_n=$BATCHKIT_PARAM_TOP_N region=$BATCHKIT_PARAM_REGION day=$BATCHKIT_PARAM_DAY token=$BATCHKIT_PARAM_TOKEN date=$BATCHKIT_RUN_DATE" > seen.txt|
            2|1|1|0|Next|echo next|

            """)
        try directory.write("config/base.json", """
            {"params": {
              "top_n": 3,
              "region": "eu",
              "day": {"type": "string", "required": true, "description": "the day to load"},
              "token": {"type": "string", "required": true, "secret": true}
            }}
            """)
        try directory.write("config/prod.json", #"{"params": {"region": "us"}}"#)
        let batchkit = try batchkitBinary()
        func export(_ arguments: [String], environment: [String: String] = [:]) async throws -> CommandResult {
            try await runProgram(batchkit, ["run", "t.lst", "export", "airflow", "--out", "dags/t.py"] + arguments, in: directory.url, environment: environment)
        }
        // What ./run.sh refuses, export refuses with the same words.
        for arguments in [["--param", "day=x", "--param", "dya=1"], ["--param", "day=x", "--param", "top_n=many"], ["--env", "staging", "--param", "day=x"], []] {
            let refused = try await export(arguments, environment: ["BATCHKIT_PARAM_TOKEN": "hunter2"])
            let run = try await runProgram(batchkit, ["run", "t.lst", "--dry-run"] + arguments, in: directory.url, environment: ["BATCHKIT_PARAM_TOKEN": "hunter2"])
            #expect(refused.status == 64 && run.status == 64 && refused.stderr == run.stderr, "\(arguments): \(refused.stderr) vs \(run.stderr)")
        }
        let unknown = try await export(["--param", "day=x", "--param", "dya=1"])
        #expect(unknown.stderr.contains("error: --param dya: unknown parameter (did you mean day?); its parameters are day, region, token, top_n in config/base.json"), "\(unknown.stderr)")
        let missing = try await export([])
        #expect(missing.stderr == "error: missing required parameter: day (the day to load): give --param day=…, set BATCHKIT_PARAM_DAY, or set it in config/<env>.json\n", "a missing secret is the workers' to give: \(missing.stderr)")
        let secret = try await export(["--param", "day=x", "--param", "token=hunter2"])
        #expect(secret.status == 64 && secret.stderr.hasPrefix("error: --param token: token is a secret parameter, and the DAG file would hold its value; set BATCHKIT_PARAM_TOKEN in the Airflow workers' environment instead"), "\(secret.stderr)")
        #expect(!(secret.stdout + secret.stderr).contains("hunter2"))
        #expect(!FileManager.default.fileExists(atPath: directory.path("dags/t.py").path), "nothing is written when export refuses")

        let exported = try await export(["--env", "prod", "--param", "day={{ ds }}"], environment: ["BATCHKIT_PARAM_TOKEN": "hunter2"])
        #expect(exported.status == 0, "\(exported.stderr)")
        #expect(exported.stdout.contains("""
            Parameters (environment prod), as each task resolves them:
              day = {{ ds }}  (--param: in the file)
              region = us  (config/prod.json)
              token = ***  ($BATCHKIT_PARAM_TOKEN here: not in the file, so the workers must set it too)
              top_n = 3  (config/base.json)
            """), "\(exported.stdout)")
        #expect(files(in: directory.url, containing: "hunter2").isEmpty, "a secret is never written")
        let dag = try directory.read("dags/t.py")
        #expect(dag.contains("# Secret parameters (token) are never written here: set\n# $BATCHKIT_PARAM_TOKEN in the workers' environment"))

        guard let airflow = requireAirflow(for: "resolving an exported DAG's parameters in Airflow tasks") else { return }
        // A worker without the secret: the first task stops before its step runs, and says why.
        let without = try await airflowTest(directory.path("dags/t.py"), airflow: airflow)
        #expect(without.status != 0)
        #expect((without.stdout + without.stderr).contains(#"error: step 01 "Show" did not run (Airflow run manual__"#), "\(without.stdout.suffix(3000))")
        #expect((without.stdout + without.stderr).contains("missing required parameter: token: give --param token=…, set BATCHKIT_PARAM_TOKEN"))
        #expect(!FileManager.default.fileExists(atPath: directory.path("seen.txt").path))
        #expect(!FileManager.default.fileExists(atPath: directory.path("logs/execution_logs.csv").path), "nothing ran, nothing is recorded")

        let with = try await airflowTest(directory.path("dags/t.py"), airflow: airflow, logicalDate: "2026-11-02", environment: ["BATCHKIT_PARAM_TOKEN": "hunter2"])
        #expect(with.status == 0, "\(with.stdout.suffix(4000))\n\(with.stderr.suffix(4000))")
        #expect(try directory.read("seen.txt") == "top_n=3 region=us day={{ ds }} token=hunter2 date=2026-11-02\n",
                "the default, the environment file, the --param given at export (Jinja left it alone), the worker's secret, and the DAG run's logical date as the run date")
        #expect(try history(directory).allSatisfy { $0.runDate?.description == "2026-11-02" }, "the rows record the run date")
        #expect((with.stdout + with.stderr).contains("[batchkit]   token = ***  ($BATCHKIT_PARAM_TOKEN)"))
        #expect(Set(try history(directory).map(\.status)) == [.pass])
        #expect(files(in: directory.path("logs"), containing: "hunter2").isEmpty, "the records never hold the secret")
    }

    @Test func anExportedTaskListRunsInAirflowWithItsRetries() async throws {
        guard let airflow = requireAirflow(for: "running an exported DAG with airflow dags test") else { return }
        let directory = try TemporaryDirectory()
        try directory.write("pipeline.lst", """
            #SHELL
            1|-1|1|0|Start|echo start > start.txt|
            2|1|1|0|Left|echo left|
            3|1|2|1|Flaky|n=$(cat tries 2>/dev/null \\|\\| echo 0); n=$((n+1)); echo $n > tries; [ $n -ge 2 ]||30s
            4|2,3|1|0|Join|cat start.txt|

            """)
        let export = try await runProgram(try batchkitBinary(), ["run", "pipeline.lst", "export", "airflow", "--out", "dags/pipeline.py"], in: directory.url)
        #expect(export.status == 0, "\(export.stderr)")
        let dag = try directory.read("dags/pipeline.py")
        #expect(dag.hasPrefix(AirflowDag.marker))
        #expect(dag.contains("step_01 >> [step_02, step_03]") && dag.contains("step_03 >> step_04"))
        #expect(dag.contains("retries=1,") && dag.contains("retry_delay=timedelta(seconds=1)") && dag.contains("execution_timeout=timedelta(seconds=65)"))

        let result = try await airflowTest(directory.path("dags/pipeline.py"), airflow: airflow)
        #expect(result.status == 0, "\(result.stdout.suffix(4000))\n\(result.stderr.suffix(4000))")
        let rows = try history(directory)
        #expect(rows.allSatisfy { $0.runID.hasPrefix("airflow-manual__") })
        #expect(rows.filter { $0.stepID == 3 }.map(\.status) == [.fail, .pass], "Airflow retried the flaky step: \(rows)")
        #expect(Set(rows.filter { $0.status == .pass }.map(\.stepID)) == [1, 2, 3, 4])
        #expect((result.stdout + result.stderr).contains("[batchkit] step 04 \"Join\" attempt 1: PASS"))

        // A hand-written file is never overwritten; a generated one is.
        try directory.write("dags/mine.py", "print('mine')\n")
        let refused = try await runProgram(try batchkitBinary(), ["run", "pipeline.lst", "export", "airflow", "--out", "dags/mine.py"], in: directory.url)
        #expect(refused.status == 64 && refused.stderr.contains("exists and was not generated by batchkit"))
        #expect(try directory.read("dags/mine.py") == "print('mine')\n")
        let again = try await runProgram(try batchkitBinary(), ["run", "pipeline.lst", "export", "airflow", "--out", "dags/pipeline.py"], in: directory.url)
        #expect(again.status == 0)
    }

    /// A `#PYTHON` list's workers run on Slurm's nodes and as Airflow tasks,
    /// and the context Start sets reaches End through the join, as locally.
    @Test func aPythonTaskListRunsOnSlurmAndInAirflowWithItsContext() async throws {
        let slurm = await requireSlurm(for: "running a #PYTHON task list on Slurm")
        let airflow = requireAirflow(for: "running an exported #PYTHON task list in Airflow")
        guard slurm || airflow != nil, let python = await PythonFlavor.batchkit.interpreter(for: "Python tasks on a cluster") else { return }
        let directory = try TemporaryDirectory()
        try directory.write("python/workers.py", """
            import os
            from pyrunner import Worker

            class Start(Worker):
                def run(self):
                    self.context["stamp"] = "s-" + os.environ["BATCHKIT_RUN_ID"][:8]

            class Side(Worker):
                def run(self):
                    self.context[self.argv[0]] = len(self.context["stamp"])

            class End(Worker):
                def run(self):
                    with open("end-" + os.environ["BATCHKIT_RUN_ID"] + ".txt", "w") as f:
                        f.write("{} {} {}".format(self.context["stamp"], self.context["left"], self.context["right"]))

            """)
        try directory.write("py.lst", """
            #PYTHON
            1|-1|1|0|Start|workers|Start
            2|1|1|0|Left|workers|Side|left
            3|1|1|0|Right|workers|Side|right
            4|2,3|1|0|End|workers|End

            """)
        if slurm {
            let result = try await runProgram(try batchkitBinary(), ["run", "py.lst", "--python", python, "--backend", "slurm"], in: directory.url)
            #expect(result.status == 0, "\(result.stdout)\n\(result.stderr)")
            let runID = try #require(try history(directory).first?.runID)
            #expect(try directory.read("end-\(runID).txt") == "s-\(runID.prefix(8)) 10 10")
        }
        if let airflow {
            let export = try await runProgram(
                try batchkitBinary(), ["run", "py.lst", "--python", python, "export", "airflow", "--out", "dags/py.py"], in: directory.url)
            #expect(export.status == 0, "\(export.stderr)")
            let result = try await airflowTest(directory.path("dags/py.py"), airflow: airflow)
            #expect(result.status == 0, "\(result.stdout.suffix(4000))\n\(result.stderr.suffix(4000))")
            let runID = try #require(try history(directory).last { $0.runID.hasPrefix("airflow-") }?.runID)
            #expect(try directory.read("end-\(runID).txt") == "s-\(runID.prefix(8)) 10 10")
        }
    }

    /// A generated Swift job, built once: its Swift steps run on Slurm through
    /// the job's own binary, and its exported DAG runs in Airflow with the
    /// job's parameters (a declared default, a required one given at export)
    /// and its post-job tests as the last task, whose failure fails the run.
    @Test func aGeneratedSwiftJobRunsOnSlurmAndInAirflow() async throws {
        let slurm = await requireSlurm(for: "running a generated Swift job on Slurm")
        let airflow = requireAirflow(for: "running a generated Swift job's DAG in Airflow")
        guard slurm || airflow != nil else { return }
        let directory = try TemporaryDirectory()
        let created = try await runProgram(try batchkitBinary(), ["new", "cluster-job"], in: directory.url)
        #expect(created.status == 0, "\(created.stderr)")
        let job = directory.path("cluster-job")
        // A declared parameter with a default and a required one, a step that shows
        // what it got, and one more post-job test, which fails when asked to.
        try directory.write("cluster-job/config/base.json", """
            {"params": {"top_n": 3, "day": {"type": "string", "required": true, "description": "the day to load"}, "max_rejected_percent": 10}}
            """)
        let module = try #require(try FileManager.default.contentsOfDirectory(atPath: job.appendingPathComponent("Sources").path).first { $0 != "Run" })
        let extract = "cluster-job/Sources/\(module)/01_extract.swift", tests = "cluster-job/Sources/\(module)/PostJobTests.swift"
        let opening = "static let extract = Step(\"Extract\",\n        reads: [\"data/input/orders*.csv\"],\n        writes: [\"data/staging/orders_raw.csv\"]) { context in\n"
        #expect(try directory.read(extract).contains(opening))
        try directory.write(extract, try directory.read(extract).replacingOccurrences(of: opening, with: opening + """
                    context.log.info("parameters top_n=\\(context.parameters.string("top_n") ?? "nil") day=\\(context.parameters.string("day") ?? "nil") run date \\(context.runDate)")

            """))
        let list = "let postJobTests: [Check] = [\n"
        #expect(try directory.read(tests).contains(list))
        try directory.write(tests, try directory.read(tests).replacingOccurrences(of: list, with: list + """
                Check("no failure was asked for") { context in
                    if FileManager.default.fileExists(atPath: context.path("fail-tests").path) { throw CheckFailure("fail-tests exists") }
                    return "none"
                },

            """))
        let build = try await runProgram("/bin/bash", ["./install.sh", "--quiet"], in: job)
        #expect(build.status == 0, "\(build.stdout)\n\(build.stderr)")
        func rows() throws -> [ExecutionRecord] { try ExecutionLog(url: job.appendingPathComponent("logs/execution_logs.csv")).readAll() }
        /// The rows of logs/test_results.csv of run `runID`: test name and status.
        func testResults(_ runID: String) throws -> [(test: String, status: String, startedAt: String)] {
            let table = try CSVTable.read(job.appendingPathComponent("logs/test_results.csv"))
            let (run, test, status, started) = (table.column("run_id") ?? 0, table.column("test") ?? 0, table.column("status") ?? 0, table.column("started_at") ?? 0)
            return table.rows.filter { $0[run] == runID }.map { ($0[test], $0[status], $0[started]) }
        }

        if slurm {
            let run = try await runProgram("/bin/bash", ["./run.sh", "--backend", "slurm", "--param", "day=2026-11-01"], in: job)
            #expect(run.status == 0, "\(run.stdout)\n\(run.stderr)")
            #expect(run.stdout.contains("PASS  5/5 steps passed"))
            #expect(run.stdout.contains("Post-job tests  9 passed, 0 failed"), "the steps' outputs and context are complete")
            let recorded = try rows()
            #expect(Set(recorded.map(\.stepID)) == [1, 2, 3, 4, 5] && recorded.count == 5 && recorded.allSatisfy { $0.status == .pass })
            #expect(recorded.allSatisfy { ($0.maxRSSKilobytes ?? 0) > 1_000 }, "each Swift step ran as its own process")
            let extractRow = try #require(recorded.first { $0.stepID == 1 }, "the two extracts may end in either order")
            let log = try String(contentsOf: job.appendingPathComponent(extractRow.logFile), encoding: .utf8)
            #expect(log.contains("(Slurm job ") && log.contains("extracted 41 rows") && log.contains("parameters top_n=3 day=2026-11-01"))
        }
        if let airflow {
            // Export refuses what a run would refuse: the required parameter has no value.
            let refused = try await runProgram("/bin/bash", ["./run.sh", "export", "airflow", "--out", "dags/cluster-job.py"], in: job)
            #expect(refused.status == 64, "\(refused.stdout)\n\(refused.stderr)")
            #expect(refused.stderr.contains("error: missing required parameter: day (the day to load): give --param day=…"), "\(refused.stderr)")
            let export = try await runProgram(
                "/bin/bash", ["./run.sh", "export", "airflow", "--out", "dags/cluster-job.py", "--param", "day=2026-11-02"], in: job)
            #expect(export.status == 0, "\(export.stderr)")
            #expect(export.stdout.contains("(5 step tasks, then post_job_tests)"), "\(export.stdout)")
            let before = try rows().count
            let result = try await airflowTest(job.appendingPathComponent("dags/cluster-job.py"), airflow: airflow, logicalDate: "2026-11-03")
            #expect(result.status == 0, "\(result.stdout.suffix(4000))\n\(result.stderr.suffix(4000))")
            let recorded = try rows().dropFirst(before)
            #expect(Set(recorded.map(\.stepID)) == [1, 2, 3, 4, 5] && recorded.count == 5 && recorded.allSatisfy { $0.status == .pass && $0.runID.hasPrefix("airflow-") })
            let runID = try #require(recorded.first?.runID)
            // The step saw the declared default and the --param given at export.
            let log = try String(contentsOf: job.appendingPathComponent(try #require(recorded.first { $0.stepID == 1 }).logFile), encoding: .utf8)
            #expect(log.contains("parameters top_n=3 day=2026-11-02 run date 2026-11-03"), "the Swift step's context.runDate is the logical date: \(log)")
            #expect(recorded.allSatisfy { $0.runDate?.description == "2026-11-03" })
            // The tests task ran after every step, on what they wrote, and recorded its results.
            #expect((result.stdout + result.stderr).contains("[batchkit] post-job tests: 9 passed, 0 failed"), "\(result.stdout.suffix(4000))")
            let results = try testResults(runID)
            #expect(results.count == 9 && results.allSatisfy { $0.status == "PASS" }, "\(results)")
            let lastStep = try #require(recorded.map(\.endedAt).max())
            #expect(results.allSatisfy { $0.startedAt >= Timestamp.iso8601(lastStep) }, "the tests start after the last step ended")

            // A failed post-job test fails the DAG run, and is recorded.
            try directory.write("cluster-job/fail-tests", "")
            let failing = try await airflowTest(job.appendingPathComponent("dags/cluster-job.py"), airflow: airflow)
            #expect(failing.status != 0, "\(failing.stdout.suffix(4000))")
            #expect((failing.stdout + failing.stderr).contains("[batchkit]   FAIL no failure was asked for: fail-tests exists"), "\(failing.stdout.suffix(4000))")
            let second = try rows().dropFirst(before + recorded.count)
            #expect(Set(second.map(\.stepID)) == [1, 2, 3, 4, 5] && second.count == 5 && second.allSatisfy { $0.status == .pass }, "the steps passed; the tests failed the run")
            let failed = try testResults(try #require(second.first?.runID))
            #expect(failed.count == 9 && failed.filter { $0.status == "FAIL" }.map(\.test) == ["no failure was asked for"], "\(failed)")
        }
    }
}
