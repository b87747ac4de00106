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

/// `<job> __task ID`: one attempt of one step, as an Airflow task runs it
/// (see ``AirflowDag``). The Airflow run id and try number come from
/// `BATCHKIT_AIRFLOW_RUN_ID` and `BATCHKIT_AIRFLOW_TRY` (or `--run-id` and
/// `--attempt`).
///
/// The attempt runs through ``RemoteAttempt`` — the same ``LocalExecutor``,
/// `__step` entry point and timeout as `./run.sh` — in the batchkit run
/// `airflow-<run id>`, is appended to `logs/execution_logs.csv`, and its log
/// is copied to standard output for Airflow's task log. The exit code is 0
/// when the step passed, 1 when it failed (Airflow then retries per the
/// DAG), 64 for a bad call.
enum AirflowTask {
    static func run(_ job: Job, layout: RunLayout, arguments: [String]) async -> Int32 {
        let command = "__task"
        let environment = ProcessInfo.processInfo.environment
        let step: Step
        let graph: JobGraph
        let airflowRun: String
        let attempt: Int
        do {
            let parsed = try Arguments(arguments, flags: [], options: ["--run-id", "--attempt"], command: command)
            guard parsed.positionals.count == 1, let id = StepID(parsed.positionals[0]) else {
                throw UsageError("expected one step id, as in: __task 3 (it is what an exported Airflow DAG runs)", command: command)
            }
            guard let run = parsed.value("--run-id") ?? environment["BATCHKIT_AIRFLOW_RUN_ID"], !run.isEmpty else {
                throw UsageError("no Airflow run id: set BATCHKIT_AIRFLOW_RUN_ID or pass --run-id (an exported DAG does)", command: command)
            }
            let tryText = parsed.value("--attempt") ?? environment["BATCHKIT_AIRFLOW_TRY"] ?? "1"
            guard let number = Int(tryText), number >= 1 else {
                throw UsageError("the attempt must be a whole number from 1; got \"\(tryText)\"", command: command)
            }
            graph = try JobGraph(job: job)
            guard let found = graph.step(id) else {
                throw UsageError("\(job.name) has no step \(id); its steps are \(graph.steps.map(\.displayID).joined(separator: ", ")). Export the DAG again after changing the job", command: command)
            }
            (step, airflowRun, attempt) = (found, run, number)
        } catch let error as UsageError {
            Console.reportError(String(describing: error))
            return ExitCode.usage.rawValue
        } catch {
            Console.reportError(ErrorDescription.of(error))
            return ExitCode.usage.rawValue
        }

        let runID = "airflow-" + AirflowDag.identifier(airflowRun)
        var remote = RemoteAttempt(
            job: job.name, runID: runID, step: step, attempt: attempt, layout: layout,
            parameters: Parameters.fromEnvironment().values, baseContext: [:],
            ancestors: graph.order.filter(Set(graph.ancestors(of: step.id)).contains),
            origin: "Airflow run \(airflowRun), try \(attempt)")
        // The task sends no notifications, but the worker may hold their secrets: the step gets none.
        let config = try? JobConfig.load(
            projectDirectory: layout.projectDirectory, environment: environment["BATCHKIT_ENV"].flatMap { $0.isEmpty ? nil : $0 },
            variables: environment)
        remote.withheldVariables = (config ?? JobConfig()).notify.secretVariables
        // Airflow stops a task past its execution_timeout with SIGTERM.
        let outcome = await ClusterStepCommand.stoppable { [remote] in
            await remote.run(with: LocalExecutor(wrapsShellSteps: true, registersProcessGroups: false))
        }

        let logFile = layout.stepLog(runID: runID, step: step, attempt: attempt)
        let record = ExecutionRecord(runID: runID, job: job.name, step: step, attempt: attempt, outcome: outcome, logFile: layout.relative(logFile))
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
}
