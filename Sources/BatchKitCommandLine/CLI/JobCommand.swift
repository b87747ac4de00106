import BatchKit
import BatchKitRunner
import BatchKitNotify
import BatchKitCluster
import BatchKitSchedule
import Foundation

/// The command line of a job binary, which `./run.sh` calls, and of
/// `batchkit run FILE.lst`:
///
/// ```
/// ./run.sh [run] [OPTIONS]                 run the job (the default)
/// ./run.sh steps                           list the steps and their parents
/// ./run.sh dag [--format dot|mermaid|svg]  print the DAG
/// ./run.sh schedule --cron "0 2 * * *"     print (or --install) a crontab entry
/// ./run.sh prune --keep-runs 30            remove old run folders
/// ```
///
/// A job's `main.swift` is one line: `exit(await JobCommand.main(job))`.
public enum JobCommand {
    /// Where a job's command line acts, and how it names itself in messages.
    public struct Environment: Sendable {
        public var layout: RunLayout
        /// `./run.sh`, or `batchkit run tasks.lst`.
        public var command: String
        /// Where the DAG is published after a run; `nil` for none.
        public var publisher: DagPublisher?
        /// The command line that reaches this job's entry points from
        /// elsewhere (an exported Airflow DAG): the job binary, or
        /// `batchkit run FILE.lst --workdir DIR`.
        public var invocation: [String]
        /// The command line a scheduler (cron, a systemd timer) starts, to
        /// which `schedule` adds `run` and the run's options: the job's
        /// `run.sh` (the default), or `batchkit run FILE.lst --workdir DIR`.
        public var scheduledCommand: [String]

        public init(
            layout: RunLayout, command: String, publisher: DagPublisher?, invocation: [String] = [ExecutablePath.current],
            scheduledCommand: [String]? = nil
        ) {
            self.layout = layout
            // Only ever shown: a task list's path may hold control characters.
            self.command = VisibleText.line(command)
            self.publisher = publisher
            self.invocation = invocation
            self.scheduledCommand = scheduledCommand ?? [layout.projectDirectory.appendingPathComponent("run.sh").path]
        }
    }

    /// The entry point of a job binary: runs the command line and returns the
    /// process exit code.
    public static func main(_ job: Job, arguments: [String] = Array(CommandLine.arguments.dropFirst())) async -> Int32 {
        if arguments.first == "__exec" { return ExecCommand.run(Array(arguments.dropFirst())) }
        let layout = RunLayout(projectDirectory: projectDirectory())
        return await main(job, arguments: arguments, environment: Environment(
            layout: layout, command: "./run.sh", publisher: DagPublisher(layout: layout)))
    }

    /// Runs a job's command line in `environment`.
    public static func main(_ job: Job, arguments: [String], environment: Environment) async -> Int32 {
        Console.ignoreBrokenPipe()
        let command = environment.command
        do {
            var arguments = arguments
            if arguments.first == "--version" { arguments[0] = "version" }
            let subcommand = arguments.first.flatMap { $0.hasPrefix("-") ? nil : $0 } ?? "run"
            if arguments.first == subcommand { arguments.removeFirst() }
            switch subcommand {
            case "run":
                return try await JobRunCommand.run(job, arguments: arguments, environment: environment)
            case "steps":
                return try steps(job, environment: environment, arguments: arguments)
            case "dag":
                return try await dag(job, environment: environment, arguments: arguments)
            case "report":
                return try JobInfoCommands.report(job, environment: environment, arguments: arguments)
            case "history":
                return try JobInfoCommands.history(job, environment: environment, arguments: arguments)
            case "help":
                Console.out(help(job, command: command))
                return ExitCode.success.rawValue
            case "version":
                Console.out("\(VisibleText.line(job.name)) (BatchKit \(BatchKit.version))\n")
                return ExitCode.success.rawValue
            case "__step":
                return await StepChild.run(job, layout: environment.layout, arguments: arguments)
            case "__checks":
                return await StepChild.runChecks(job, layout: environment.layout)
            case "__cluster-step":
                return await ClusterStepCommand.run(job, arguments: arguments)
            case "__task":
                return await AirflowTask.run(job, layout: environment.layout, arguments: arguments)
            case "export":
                return try JobExportCommand.run(job, environment: environment, arguments: arguments)
            case "schedule":
                return try await JobScheduleCommand.run(job, environment: environment, arguments: arguments)
            case "prune":
                return try JobPruneCommand.run(job, environment: environment, arguments: arguments)
            default:
                throw UsageError("unknown command '\(subcommand)'; commands are run, steps, dag, report, history, export, schedule, prune, help, version", command: command)
            }
        } catch let error as UsageError {
            Console.reportError(String(describing: error))
            return ExitCode.usage.rawValue
        } catch let error as DefinitionError {
            Console.reportError(String(describing: error))
            return ExitCode.usage.rawValue
        } catch let error as SelectionError {
            Console.reportError(String(describing: error))
            return ExitCode.usage.rawValue
        } catch let error as JobConfig.Problem {
            Console.reportError(String(describing: error))
            return ExitCode.usage.rawValue
        } catch {
            Console.reportError(ErrorDescription.of(error))
            return ExitCode.failure.rawValue
        }
    }

    static func help(_ job: Job, command: String) -> String {
        """
        \(VisibleText.line(job.name)): a batch job run by BatchKit \(BatchKit.version)

        USAGE: \(command) [COMMAND] [OPTIONS]

        COMMANDS:
          run (default)   Run the steps, then the post-job tests; print the report.
          steps           List the steps, their parents and their files.
          dag             Print the DAG without running anything.
          report [RUN_ID] Print a past run's report (default: the latest run; RUN_ID may be
                          any part of a run's id that only one run has).
          history         Summarise every run: pass rate, failed tries, median and p95 time
                          per step, and how the runs ended; --runs lists each run.
          export airflow  Write the job as an Apache Airflow 3 DAG (--out FILE; see export --help).
          schedule        Print a crontab entry (or systemd timer) that runs the job, or
                          --install it (see schedule --help).
          prune           Remove old run folders under logs/runs/ (see prune --help).
          help            Show this help.
          version         Print the job's name and BatchKit version (also --version).

        RUN OPTIONS:
          --jobs N        Run at most N slots of steps at once (default: the number of cores;
                          local runs only).
          --fail-fast     After a step fails, start no new steps.
          --resume        Continue the last unfinished or failed run: steps that passed are
                          not rerun, the shared context is restored.
          --only IDS      Run only these steps (comma-separated ids).
          --from ID       Run ID and the steps downstream of it.
          --to ID         Run ID and the steps upstream of it.
          --exclude IDS   Do not run these steps.
                          The four combine: a step runs when it passes all that are given.
                          Steps left out are not run and are not waited for.
          --param K=V     A parameter for the steps (repeatable), read in Swift with
                          context.parameters, in shell as $BATCHKIT_PARAM_K; kept on --resume.
                          When config/base.json declares "params", only those are accepted
                          and each is checked against its type before anything runs. One
                          declared "secret": true is shown and recorded as ***, so --resume
                          takes it again (--param K=V or $BATCHKIT_PARAM_K).
          --env NAME      Use config/NAME.json over config/base.json (default: $BATCHKIT_ENV).
                          Order: base.json < NAME.json < $BATCHKIT_PARAM_K < --param.
          --wait-for P    Start only once file P exists (repeatable: all of them); the
                          run holds the job's lock while it waits.
          --wait-timeout D  Give up waiting after D (90s, 30m, 2h, 1d): exit 1, a FAIL row
                          with reason "wait timeout", and a failure notification.
          --no-notify     Send no notifications for this run (webhook, email, hooks).
          --backend B     local (the default) or slurm: submit every step as an sbatch job
                          (afterok on its parents, time limit from its timeout, retries on
                          the node), wait, and record the results as a local run does. The
                          job folder must be on a filesystem the nodes share.
          --partition P   slurm: the partition to submit to.
          --account A     slurm: the account to charge.
          --sbatch-arg X  slurm: one more sbatch flag, as in --sbatch-arg=--qos=high (repeatable).
          --dry-run       Print the plan (waves, and why steps are left out); run nothing.
                          With --backend slurm, also the sbatch commands.
          --tests-only    Run only the post-job tests, on the current outputs.
          --json          Print the report as JSON instead of text.
          -h, --help      Show this help.\(command.hasPrefix("batchkit run") ? "\n  --workdir DIR   Where logs/ goes (default: the task list's folder)." : "")

        DAG OPTIONS:
          --format F      dot (default), mermaid, text, or svg (svg needs Graphviz).

        SCHEDULE OPTIONS:
          --cron EXPR     When: "0 2 * * *" (minute hour day-of-month month day-of-week,
                          with *, a-b, a,b, */n, names) or @hourly, @daily, @weekly, @monthly,
                          @yearly, @reboot. The run's output is appended to logs/schedule.log.
          --systemd       A systemd service and timer instead of a crontab entry.
          --install       Install it (crontab, or the unit folder and systemctl enable --now).
          --uninstall     Remove it.
          --name NAME     The schedule's name (default: the job's), for several schedules.
          --unit-dir DIR  systemd: where the units go.
          -- ARGS         Options for the scheduled run, as in -- --param day=yesterday.

        PRUNE OPTIONS:
          --keep-runs N   Keep the job's N newest runs.
          --keep-days D   Keep runs started less than D days ago. With both, a run either
                          keeps is kept. The run --resume continues is always kept, and the
                          history CSV files are never touched.
          --dry-run       List what would be removed; remove nothing.
          --json          JSON instead of text.

        REPORT AND HISTORY OPTIONS:
          --json          JSON instead of text.
          --since DATE    history only: runs started at or after DATE (2026-11-01 or an
                          ISO-8601 time).
          --runs          history only: list each run with its status (PASS, FAIL,
                          interrupted, unfinished, not started), start, duration and the
                          steps or post-job tests that failed.

        FILES:
          logs/execution_logs.csv   one row per step attempt, appended by every run
          logs/test_results.csv     one row per post-job test per run
          logs/notifications.log    one line per notification sent, or why it was not
          config/base.json          parameters and notifications; config/<env>.json overrides
          logs/runs/<run_id>/       each attempt's log, state.json, report.txt, report.json
                                    and junit.xml (the steps and tests for CI systems)
          logs/schedule.log         the output of scheduled runs

        NOTIFICATIONS: on start, success and failure, to a webhook (Slack-compatible JSON;
        URL from $BATCHKIT_WEBHOOK_URL or config notify.webhook.url_env) and by email
        through the local sendmail ($BATCHKIT_NOTIFY_EMAIL or notify.email.to). A failed
        notification is logged and never fails the run.

        EXIT CODES: 0 all passed, 1 a step or test failed (or the build failed, another
        run holds the lock, or --wait-for timed out; both leave a FAIL row), 64 usage
        error, invalid job or invalid config/parameters, 130/143 interrupted by
        SIGINT/SIGTERM (continue with --resume).

        """
    }

    private static func steps(_ job: Job, environment: Environment, arguments: [String]) throws -> Int32 {
        let command = "\(environment.command) steps"
        let parsed = try Arguments(arguments, flags: ["--help"], options: [], command: command)
        if parsed.has("--help") {
            Console.out("USAGE: \(command)\n\nLists each step: its id, name, parents, where it is declared, and its memory cap.\n")
            return ExitCode.success.rawValue
        }
        if let extra = parsed.positionals.first {
            throw UsageError("unexpected argument '\(extra)'", command: command)
        }
        let graph = try JobRunner(job: job, layout: environment.layout).validate()
        var text = ""
        for step in graph.steps {
            let parents = graph.parents[step.id] ?? []
            let after = parents.isEmpty ? "-" : parents.map { $0.display }.joined(separator: ",")
            let memory = step.policy.memory.map { "; memory \($0)" } ?? ""
            text += "\(step.displayID)  \(VisibleText.line(step.name))  (after: \(after); \(VisibleText.line(step.source))\(memory))\n"
        }
        Console.out(text)
        return ExitCode.success.rawValue
    }

    private static func dag(_ job: Job, environment: Environment, arguments: [String]) async throws -> Int32 {
        let command = "\(environment.command) dag"
        let parsed = try Arguments(arguments, flags: ["--help"], options: ["--format"], command: command)
        if parsed.has("--help") {
            Console.out("USAGE: \(command) [--format dot|mermaid|text|svg]\n\nPrints the job's DAG without running anything.\n")
            return ExitCode.success.rawValue
        }
        if let extra = parsed.positionals.first {
            throw UsageError("unexpected argument '\(extra)'", command: command)
        }
        let graph = try JobRunner(job: job, layout: environment.layout).validate()
        let document = DagDocument(jobName: job.name, graph: graph)
        switch parsed.value("--format") ?? "dot" {
        case "dot":
            Console.out(document.dot())
        case "mermaid":
            Console.out(MermaidDiagram(document).text() + "\n")
        case "text":
            let lines = DagText.lines(
                steps: graph.steps.map { ($0.id, $0.name, nil) },
                parents: Dictionary(uniqueKeysWithValues: graph.steps.map { ($0.id, graph.parents[$0.id] ?? []) }),
                style: TerminalStyle.forDescriptor(1))
            Console.out(lines.joined(separator: "\n") + "\n")
        case "svg":
            guard let dot = Graphviz.dotExecutable() else {
                Console.error("error: --format svg needs Graphviz's `dot`; install it (apt-get install graphviz) or use --format dot\n")
                return ExitCode.failure.rawValue
            }
            let output = FileManager.default.temporaryDirectory.appendingPathComponent("batchkit-dag-\(getpid()).svg")
            defer { try? FileManager.default.removeItem(at: output) }
            try await Graphviz.render(dot: document.dot(), format: "svg", to: output, executable: dot)
            Console.out(try String(contentsOf: output, encoding: .utf8))
        case let other:
            throw UsageError("unknown --format '\(other)'; use dot, mermaid, text or svg", command: command)
        }
        return ExitCode.success.rawValue
    }

    /// The job's root: `BATCHKIT_PROJECT_DIR`, else the package the binary
    /// was built in (`<root>/.build/…/<job>`), else the working directory.
    static func projectDirectory() -> URL {
        if let explicit = ProcessInfo.processInfo.environment[ChildContract.projectDirectory], !explicit.isEmpty {
            return URL(fileURLWithPath: explicit)
        }
        let components = URL(fileURLWithPath: ExecutablePath.current).pathComponents
        if let build = components.lastIndex(of: ".build"), build > 0 {
            let root = NSString.path(withComponents: Array(components[..<build]))
            if FileManager.default.fileExists(atPath: root + "/Package.swift") {
                return URL(fileURLWithPath: root)
            }
        }
        return URL(fileURLWithPath: FileManager.default.currentDirectoryPath)
    }
}
