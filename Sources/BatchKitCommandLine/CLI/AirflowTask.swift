import BatchKit
import BatchKitRunner
import BatchKitNotify
import BatchKitCluster
import BatchKitSchedule
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation

/// `<job> __task ID|tests [--date D] [--env NAME] [--param K=V]…`: one
/// Airflow task of an exported DAG (see ``AirflowDag``). The Airflow run id
/// and try number come from `BATCHKIT_AIRFLOW_RUN_ID` and
/// `BATCHKIT_AIRFLOW_TRY` (or `--run-id` and `--attempt`); the run date from
/// `--date` (the DAG passes its logical date, Airflow's `ds`), else today in the
/// job's time zone.
///
/// First it resolves the parameters as `./run.sh` does
/// (``AirflowParameters``); a problem (a required parameter with no value, a
/// value not of its type) stops it before anything runs, with exit 64.
///
/// `__task ID` runs one attempt of the step through ``RemoteAttempt`` — the
/// same ``LocalExecutor``, `__step` entry point and timeout as `./run.sh` —
/// in the batchkit run `airflow-<run id>`, appends it to
/// `logs/execution_logs.csv` and copies its log to standard output for
/// Airflow's task log. `__task tests` runs the post-job tests (``PostJobTests``)
/// and appends their results to `logs/test_results.csv`. The exit code is 0
/// when the step or every test passed, 1 otherwise (Airflow then retries a
/// step per the DAG), 64 for a bad call or configuration.
enum AirflowTask {
    /// What a task runs.
    enum Target {
        case step(Step)
        case tests
    }

    static func run(_ job: Job, layout: RunLayout, arguments: [String]) async -> Int32 {
        let command = "__task"
        let environment = ProcessInfo.processInfo.environment
        let target: Target
        let graph: JobGraph
        let airflowRun: String
        let attempt: Int
        let parsed: Arguments
        do {
            parsed = try Arguments(arguments, flags: [], options: ["--run-id", "--attempt", "--env", "--param", "--date"], command: command)
            guard parsed.positionals.count == 1 else {
                throw UsageError("expected one step id or tests, as in: __task 3 (it is what an exported Airflow DAG runs)", command: command)
            }
            guard let run = parsed.value("--run-id") ?? environment["BATCHKIT_AIRFLOW_RUN_ID"], !run.isEmpty else {
                throw UsageError("no Airflow run id: set BATCHKIT_AIRFLOW_RUN_ID or pass --run-id (an exported DAG does)", command: command)
            }
            let tryText = parsed.value("--attempt") ?? environment["BATCHKIT_AIRFLOW_TRY"] ?? "1"
            guard let number = Int(tryText), number >= 1 else {
                throw UsageError("the attempt must be a whole number from 1; got \"\(tryText)\"", command: command)
            }
            graph = try JobGraph(job: job)
            if parsed.positionals[0] == "tests" {
                target = .tests
            } else if let id = StepID(parsed.positionals[0]), let found = graph.step(id) {
                target = .step(found)
            } else {
                throw UsageError("\(job.name) has no step \(parsed.positionals[0]); its steps are \(graph.steps.map(\.displayID).joined(separator: ", ")) (and tests for the post-job tests). Export the DAG again after changing the job", command: command)
            }
            (airflowRun, attempt) = (run, number)
        } catch let error as UsageError {
            Console.reportError(String(describing: error))
            return ExitCode.usage.rawValue
        } catch {
            Console.reportError(ErrorDescription.of(error))
            return ExitCode.usage.rawValue
        }

        let what: String
        switch target {
        case .step(let step): what = "step \(step.displayID) \"\(VisibleText.line(step.name))\""
        case .tests: what = "the post-job tests"
        }
        // The parameters, as ./run.sh would resolve them on this worker, before anything runs.
        let config: JobConfig
        let resolved: JobConfig.Resolved
        do {
            (config, resolved) = try AirflowParameters(parsed, command: command).resolve(layout: layout, variables: environment)
        } catch let error as UsageError {
            Console.reportError(String(describing: error))
            return ExitCode.usage.rawValue
        } catch {
            Console.reportError("\(what) did not run (Airflow run \(VisibleText.line(airflowRun))): \(ErrorDescription.of(error)). "
                + "In Airflow: export the DAG again with --param or --env (never for a secret parameter), or set $BATCHKIT_PARAM_<KEY> in the workers' environment")
            return ExitCode.usage.rawValue
        }
        let runDate: RunDate
        do {
            let dates = try RunDateOption.dates(parsed.value("--date") ?? "today", today: config.today, command: command)
            guard dates.count == 1, let date = dates.first else {
                throw UsageError("--date \(parsed.value("--date") ?? ""): a task runs for one date; Airflow backfills a range itself, one DAG run per date", command: command)
            }
            runDate = date
        } catch {
            Console.reportError(String(describing: error))
            return ExitCode.usage.rawValue
        }
        Console.out("[batchkit] run date \(runDate)\n")
        if !resolved.values.isEmpty {
            Console.out((["[batchkit] parameters" + (config.environment.map { " (environment \($0))" } ?? "") + ":"]
                + AirflowParameters.lines(resolved, indent: "[batchkit]   ")).joined(separator: "\n") + "\n")
        }
        let runID = "airflow-" + AirflowDag.identifier(airflowRun)
        // A task sends no notifications, but the worker may hold their secrets: steps and tests get none.
        let withheld = config.notify.secretVariables
        switch target {
        case .step(let step):
            var remote = RemoteAttempt(
                job: job.name, runID: runID, step: step, attempt: attempt, layout: layout,
                parameters: resolved.values, baseContext: [:],
                ancestors: graph.order.filter(Set(graph.ancestors(of: step.id)).contains),
                origin: "Airflow run \(airflowRun), try \(attempt)")
            remote.withheldVariables = withheld
            remote.runDate = runDate
            return await runStep(remote, step: step, runID: runID, attempt: attempt, job: job, layout: layout)
        case .tests:
            return await runTests(job, runID: runID, layout: layout, withheld: withheld)
        }
    }

    /// One attempt of a step, recorded in the CSV history.
    private static func runStep(
        _ remote: RemoteAttempt, step: Step, runID: String, attempt: Int, job: Job, layout: RunLayout
    ) async -> Int32 {
        // Airflow stops a task past its execution_timeout with SIGTERM.
        let outcome = await ClusterStepCommand.stoppable { [remote] in
            await remote.run(with: LocalExecutor(wrapsShellSteps: true, registersProcessGroups: false))
        }

        let logFile = layout.stepLog(runID: runID, step: step, attempt: attempt)
        var record = ExecutionRecord(runID: runID, job: job.name, step: step, attempt: attempt, outcome: outcome, logFile: layout.relative(logFile))
        record.runDate = remote.runDate
        var code = outcome.status == .pass ? ExitCode.success.rawValue : ExitCode.failure.rawValue
        do {
            try RunRecorder.appendRows([record], layout: layout)
        } catch {
            Console.reportError("cannot record the attempt in \(layout.relative(layout.executionLog)): \(ErrorDescription.of(error))")
            code = ExitCode.failure.rawValue
        }
        if let data = FileManager.default.contents(atPath: logFile.path) {
            FileHandle.standardOutput.write(data)
        }
        let duration = DurationFormat.seconds(outcome.endedAt.timeIntervalSince(outcome.startedAt))
        let detail = outcome.status == .pass ? "" : " (\(outcome.reason)): \(VisibleText.line(outcome.message))"
        Console.out("[batchkit] step \(step.displayID) \"\(VisibleText.line(step.name))\" attempt \(attempt): \(outcome.status.rawValue) in \(duration)\(detail); log: \(layout.relative(logFile))\n")
        return code
    }

    /// The post-job tests, on what the run's steps wrote (the DAG runs this
    /// task once all of them passed), recorded in `logs/test_results.csv`
    /// the way a `--tests-only` run records them.
    private static func runTests(_ job: Job, runID: String, layout: RunLayout, withheld: Set<String>) async -> Int32 {
        guard !job.tests.isEmpty else {
            Console.out("[batchkit] \(VisibleText.line(job.name)) has no post-job tests\n")
            return ExitCode.success.rawValue
        }
        let logFile = layout.testsLog(runID)
        // A task Airflow runs again appends to the same log: show only this try's part.
        let before = (try? FileManager.default.attributesOfItem(atPath: logFile.path)[.size] as? Int) ?? 0
        let results = await ClusterStepCommand.stoppable {
            await PostJobTests(job: job, layout: layout, withheldVariables: withheld).run(runID: runID)
        }
        let passed = results.allSatisfy { $0.status == .pass }
        var code = passed ? ExitCode.success.rawValue : ExitCode.failure.rawValue
        do {
            let state = RunState(runID: runID, job: job.name, startedAt: results.first?.startedAt ?? Date(), steps: [])
            try RunRecorder.start(state, layout: layout, keepsState: false).finish(phase: passed ? .passed : .failed, tests: results)
        } catch {
            Console.reportError("cannot record the test results in \(layout.relative(layout.testResults)): \(ErrorDescription.of(error))")
            code = ExitCode.failure.rawValue
        }
        if let data = FileManager.default.contents(atPath: logFile.path), data.count > before {
            FileHandle.standardOutput.write(data.dropFirst(before))
        }
        let failed = results.filter { $0.status != .pass }
        var text = "[batchkit] post-job tests: \(results.count - failed.count) passed, \(failed.count) failed; "
            + "recorded in \(layout.relative(layout.testResults)) (run \(runID)); log: \(layout.relative(logFile))\n"
        for result in failed {
            text += "[batchkit]   \(result.status.rawValue) \(VisibleText.line(result.name)): \(VisibleText.line(result.message))\n"
        }
        Console.out(text)
        return code
    }
}
