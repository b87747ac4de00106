import BatchKit
import BatchKitRunner

/// The job binary's `--help`: its commands and every command's options,
/// built from the declarations the commands parse with.
package enum JobHelp {
    /// A command of the job binary, as `help` lists it.
    package struct Command: Sendable {
        /// The word that selects it.
        package let name: String
        /// How `help` shows it: `report [RUN_ID]`.
        let label: String
        let summary: String
    }

    /// Every command a person types, in the order `help` lists them.
    package static let commands: [Command] = [
        Command(name: "run", label: "run (default)", summary: "Run the steps, then the post-job tests; print the report."),
        Command(name: "steps", label: "steps", summary: "List the steps, their parents and their files."),
        Command(name: "dag", label: "dag", summary: "Print the DAG without running anything."),
        Command(name: "report", label: "report [RUN_ID]", summary: "Print a past run's report (default: the latest run; RUN_ID may be\nany part of a run's id that only one run has)."),
        Command(name: "history", label: "history", summary: "Summarise every run: pass rate, failed tries, median and p95 time\nper step, and how the runs ended; --runs lists each run."),
        Command(name: "export", label: "export airflow", summary: "Write the job as an Apache Airflow 3 DAG."),
        Command(
            name: "schedule", label: "schedule",
            summary: "Print a crontab entry (or systemd timer) that runs the job, or\n--install it."),
        Command(name: "prune", label: "prune", summary: "Remove old run folders under logs/runs/."),
        Command(name: "help", label: "help", summary: "Show this help."),
        Command(name: "version", label: "version", summary: "Print the job's name and BatchKit version (also --version)."),
    ]

    // `report`, `history` and `export` parse their options in their own files
    // (JobInfoCommands, JobExportCommand); these declarations are what help
    // shows of them, and HelpAgreementTests holds the two together.
    static let reportOptions: [OptionDeclaration] = [
        .flag("--json", "JSON instead of text."),
        .flag("--html", "Print the path of the run's report.html (one page, opens in any\nbrowser)."),
    ]
    static let historyOptions: [OptionDeclaration] = [
        .flag("--runs", "List each run: its status, date, duration and what failed."),
        .option("--since", "DATE", "Only runs started at or after DATE (2026-11-01 or an ISO-8601\ntime)."),
        .flag("--json", "JSON instead of text."),
        .flag("--html", "Write logs/history.html (each step's trend, every run); print its\npath."),
    ]
    static let exportOptions: [OptionDeclaration] = [
        .option("--out", "FILE", "Write the DAG to FILE (default: standard output)."),
        .option("--env", "NAME", "The tasks use config/NAME.json over config/base.json."),
        .option("--param", "K=V", "A parameter every task gets (repeatable), checked as ./run.sh checks\nit; a secret one is refused: set $BATCHKIT_PARAM_K on the workers."),
    ]

    /// The COMMANDS rows; for a job without post-job tests (a task list),
    /// `run` says it runs the steps only.
    package static func commandRows(hasTests: Bool) -> String {
        HelpText.rows(commands.map { command in
            (command.label, command.name == "run" && !hasTests ? "Run the steps; print the report." : command.summary)
        })
    }

    /// The rows of the run options, with `own` (options of the command in
    /// front of the job, such as `batchkit run`'s `--workdir`) last.
    package static func runOptionRows(own: [OptionDeclaration] = []) -> String {
        OptionDeclaration.helpText(JobRunCommand.options.filter { $0 != .help } + own + [.help])
    }

    /// The whole `--help` of a job.
    static func text(_ job: Job, environment: JobCommand.Environment) -> String {
        let command = environment.command
        let others = { (options: [OptionDeclaration]) in OptionDeclaration.helpText(options.filter { $0 != .help }) }
        let testResults = job.tests.isEmpty ? "" : "  logs/test_results.csv     one row per post-job test per run\n"
        return """
            \(VisibleText.line(job.name)): a batch job run by BatchKit \(BatchKit.version)

            USAGE: \(command) [COMMAND] [OPTIONS]

            COMMANDS:
            \(commandRows(hasTests: !job.tests.isEmpty))
            RUN OPTIONS:
            \(runOptionRows(own: environment.ownOptions))
            DAG OPTIONS:
            \(others(JobGraphCommands.dagOptions))
            REPORT OPTIONS:
            \(others(reportOptions))
            HISTORY OPTIONS:
            \(others(historyOptions))
            EXPORT OPTIONS:
            \(others(exportOptions))
            SCHEDULE OPTIONS:
            \(others(JobScheduleCommand.options))\(JobScheduleCommand.runOptionsRow)
            PRUNE OPTIONS:
            \(others(JobPruneCommand.options))
            Every command takes --help for its own usage: \(command) schedule --help.

            FILES:
              logs/execution_logs.csv   one row per step attempt, appended by every run
            \(testResults)  logs/notifications.log    one line per notification sent, or why it was not
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
}
