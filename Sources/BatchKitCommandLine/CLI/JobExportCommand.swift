import BatchKit
import BatchKitRunner
import BatchKitNotify
import BatchKitCluster
import BatchKitSchedule
import Foundation

/// `export airflow [--out FILE] [--env NAME] [--param K=V]…`: the job as a
/// DAG for another scheduler.
enum JobExportCommand {
    static func run(_ job: Job, environment: JobCommand.Environment, arguments: [String]) throws -> Int32 {
        let command = "\(environment.command) export"
        let parsed = try Arguments(arguments, flags: ["--help"], options: ["--out", "--env", "--param"], command: command)
        let usage = """
            USAGE: \(command) airflow [--out FILE] [--env NAME] [--param K=V]...

            Writes the job as an Apache Airflow 3 DAG (airflow.sdk): one BashOperator per step,
            with its parents, retries, retry_delay and execution_timeout, then one that runs the
            post-job tests once every step passed (a failed test fails the DAG run). Each task runs
            through the job's own entry point (`__task ID`), recorded in logs/execution_logs.csv
            and logs/test_results.csv like any run. Its run date (context.runDate,
            $BATCHKIT_RUN_DATE) is the DAG run's logical date (Airflow's ds), so each
            scheduled or backfilled DAG run processes its own day (today in the job's time
            zone for a run without one).

            Each task resolves the parameters as \(environment.command) does, when it runs: the defaults in
            config/base.json, then config/NAME.json, then $BATCHKIT_PARAM_K in the worker's
            environment, then the --env and --param given here, which the DAG file holds. Export
            checks them first and refuses what a task would refuse (exit 64). A secret parameter
            is never written into the file: set $BATCHKIT_PARAM_K in the workers' environment (or
            put it in a config/NAME.json kept on the workers).

            OPTIONS:
              --out FILE      Write the DAG to FILE (default: standard output). An existing FILE
                              is replaced only if batchkit generated it.
              --env NAME      Every task uses config/NAME.json over config/base.json (default: the
                              worker's $BATCHKIT_ENV).
              --param K=V     A parameter every task passes to its step (repeatable), as with run.

            """
        if parsed.has("--help") {
            Console.out(usage)
            return ExitCode.success.rawValue
        }
        guard let target = parsed.positionals.first else {
            throw UsageError("say what to export to: \(command) airflow", command: command)
        }
        guard target == "airflow" else {
            throw UsageError("unknown export target '\(target)'; batchkit exports to airflow", command: command)
        }
        if parsed.positionals.count > 1 {
            throw UsageError("unexpected argument '\(parsed.positionals[1])'", command: command)
        }
        let graph = try JobRunner(job: job, layout: environment.layout).validate()
        let parameters = try AirflowParameters(parsed, command: command)
        let (config, resolved) = try parameters.resolve(
            layout: environment.layout, variables: ProcessInfo.processInfo.environment, secretsRequired: false)
        let secrets = (config.declarations ?? [:]).values.filter(\.secret).map(\.name).sorted()
        if let secret = parameters.given.keys.sorted().first(where: secrets.contains) {
            throw UsageError(
                "--param \(secret): \(secret) is a secret parameter, and the DAG file would hold its value; set "
                    + "\(Parameters.variableName(secret)) in the Airflow workers' environment instead (or put it in a "
                    + "config/<env>.json kept on the workers and export with --env <env>)", command: command)
        }
        var invocation = environment.invocation
        invocation[0] = URL(fileURLWithPath: invocation[0]).standardizedFileURL.path
        let out = parsed.value("--out")
        let dag = AirflowDag(
            job: job, graph: graph, invocation: invocation,
            workingDirectory: environment.layout.workingDirectory.path,
            command: "\(environment.command) export airflow" + (out.map { " --out \(ShellWord.quotedArgument($0))" } ?? "")
                + (parameters.environment.map { " --env \(ShellWord.quotedArgument($0))" } ?? "")
                + parameters.given.keys.sorted().map { " --param \(ShellWord.quotedArgument("\($0)=\(parameters.given[$0] ?? "")"))" }.joined(),
            environment: parameters.environment, parameters: parameters.given, secretParameters: secrets)
        let text = dag.python()
        guard let out else {
            Console.out(text)
            return ExitCode.success.rawValue
        }
        let file = URL(fileURLWithPath: out, relativeTo: URL(fileURLWithPath: FileManager.default.currentDirectoryPath)).standardizedFileURL
        if let existing = FileManager.default.contents(atPath: file.path),
           !String(decoding: existing.prefix(AirflowDag.marker.utf8.count), as: UTF8.self).hasPrefix(AirflowDag.marker) {
            throw UsageError("\(out) exists and was not generated by batchkit; choose another --out or move it away", command: command)
        }
        try FileManager.default.createDirectory(at: file.deletingLastPathComponent(), withIntermediateDirectories: true)
        try Data(text.utf8).write(to: file, options: .atomic)
        let tasks = "\(graph.steps.count) step task\(graph.steps.count == 1 ? "" : "s")" + (job.tests.isEmpty ? "" : ", then \(AirflowDag.testsTaskID)")
        Console.out("Wrote the Airflow DAG \"\(dag.dagID)\" (\(tasks)) to \(out).\n"
            + summary(resolved, config: config, given: parameters)
            + "Put it in Airflow's dags folder; try it with: airflow dags test \(dag.dagID)\n")
        return ExitCode.success.rawValue
    }

    /// The parameters as a task will have them, and where each will come
    /// from: what the file holds, what each task reads from `config/`, and
    /// what the workers' environment must give.
    private static func summary(_ resolved: JobConfig.Resolved, config: JobConfig, given: AirflowParameters) -> String {
        let environment = config.environment
        let missing = (config.declarations ?? [:]).values.filter { $0.secret && $0.required && resolved.values[$0.name] == nil }.map(\.name).sorted()
        guard !resolved.values.isEmpty || !missing.isEmpty || environment != nil else { return "" }
        var lines = ["Parameters" + (environment.map { " (environment \($0)\(given.environment == nil ? ", from $BATCHKIT_ENV here: not in the file" : ""))" } ?? "") + ", as each task resolves them:"]
        lines += AirflowParameters.lines(resolved, indent: "  ") { name in
            let source = resolved.sources[name] ?? ""
            if source == "--param" { return ": in the file" }
            if source.hasPrefix("$") { return " here: not in the file, so the workers must set it too" }
            return ""
        }
        lines += missing.map {
            "  \($0): no value here (secret, required: never in the file; each worker must set $\(Parameters.variableName($0)), or the tasks fail before their steps run)"
        }
        return lines.joined(separator: "\n") + "\n"
    }
}
