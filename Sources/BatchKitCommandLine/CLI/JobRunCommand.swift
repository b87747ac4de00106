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

/// `run`: parses the run options, runs the job with Ctrl-C and SIGTERM
/// turned into an orderly stop, and prints the report (or the plan, for
/// `--dry-run`).
enum JobRunCommand {
    /// The run options, as `--help` shows them and the parser takes them.
    static let options: [OptionDeclaration] = [
        .option("--jobs", "N", "Run at most N slots of steps at once (default: the number of cores;\nlocal runs only)."),
        .flag("--fail-fast", "After a step fails, start no new steps."),
        .flag("--resume", "Continue the last unfinished or failed run: steps that passed are\nnot rerun, the shared context is restored."),
        .option("--only", "IDS", "Run only these steps (comma-separated ids)."),
        .option("--from", "ID", "Run ID and the steps downstream of it."),
        .option("--to", "ID", "Run ID and the steps upstream of it."),
        .option("--exclude", "IDS", """
            Do not run these steps.
            The four combine: a step runs when it passes all that are given.
            Steps left out are not run and are not waited for.
            """),
        .option("--param", "K=V", """
            A parameter for the steps (repeatable), read in Swift with
            context.parameters, in shell as $BATCHKIT_PARAM_K; kept on --resume.
            When config/base.json declares "params", only those are accepted
            and each is checked against its type before anything runs. One
            declared "secret": true is shown and recorded as ***, so --resume
            takes it again (--param K=V or $BATCHKIT_PARAM_K).
            """),
        .option("--env", "NAME", "Use config/NAME.json over config/base.json (default: $BATCHKIT_ENV).\nOrder: base.json < NAME.json < $BATCHKIT_PARAM_K < --param."),
        .option("--date", "D", """
            The run date, what a nightly step processes (context.runDate,
            $BATCHKIT_RUN_DATE): 2026-11-23, today (the default) or yesterday,
            in the job's time zone ("timeZone" in config/base.json, such as
            Europe/Paris; else $TZ; else the machine's). A range
            2026-11-01..2026-11-07 is a backfill: one run per date, in order,
            stopping at the first that fails; --resume finishes it and goes on
            with the dates left.
            """),
        .option("--wait-for", "P", "Start only once file P exists (repeatable: all of them); the\nrun holds the job's lock while it waits."),
        .option("--wait-timeout", "D", "Give up waiting after D (90s, 30m, 2h, 1d): exit 1, a FAIL row\nwith reason \"wait timeout\", and a failure notification."),
        .flag("--no-notify", "Send no notifications for this run (webhook, email, hooks)."),
        .option("--backend", "B", """
            local (the default) or slurm: submit every step as an sbatch job
            (afterok on its parents, time limit from its timeout, retries on
            the node), wait, and record the results as a local run does. The
            job folder must be on a filesystem the nodes share.
            """),
        .option("--partition", "P", "slurm: the partition to submit to."),
        .option("--account", "A", "slurm: the account to charge."),
        .option("--sbatch-arg", "X", "slurm: one more sbatch flag, as in --sbatch-arg=--qos=high (repeatable)."),
        .flag("--explain", """
            Say for each step whether it would run or is up to date (CACHED),
            with its first reason (code, parameter, input or output changed,
            a parent will run, never passed…); run nothing.
            """),
        .optionalIDs("--force", "IDS", """
            Run these steps (comma-separated ids) even when they are up to
            date; with no ids, every step.
            """),
        .flag("--no-cache", "Take no step as up to date in this run: every planned step runs\n(what each pass depended on is still recorded for the next run)."),
        .flag("--dry-run", "Print the plan (waves, each step's verdict as --explain gives it,\nand why steps are left out); run nothing. With --backend slurm,\nalso the sbatch commands."),
        .flag("--tests-only", "Run only the post-job tests, on the current outputs."),
        .flag("--json", "Print the report (or with --explain, the verdicts) as JSON\ninstead of text."),
        .help,
    ]

    /// The run options of `arguments`, checked as far as they can be
    /// without running: usage, the configuration and the parameters. `nil`
    /// for `--help`. `schedule` uses it to refuse a run that would fail.
    static func parse(_ job: Job, arguments: [String], environment: JobCommand.Environment) throws -> (Arguments, RunOptions)? {
        let command = environment.command
        let parsed = try Arguments(arguments, declared: Self.options, command: command)
        if parsed.has("--help") { return nil }
        if let extra = parsed.positionals.first {
            throw UsageError("unexpected argument '\(extra)'", command: command)
        }
        var options = try RunOptions(
            jobs: parsed.positiveInt("--jobs", command: command) ?? ProcessInfo.processInfo.activeProcessorCount,
            failFast: parsed.has("--fail-fast"),
            selection: StepSelection(
                only: ids(parsed.value("--only"), "--only", command: command).map(Set.init),
                from: id(parsed.value("--from"), "--from", command: command),
                to: id(parsed.value("--to"), "--to", command: command),
                exclude: Set(ids(parsed.value("--exclude"), "--exclude", command: command) ?? [])),
            resume: parsed.has("--resume"),
            testsOnly: parsed.has("--tests-only"),
            parameters: Parameters.parse(parsed.values("--param"), command: command))
        if options.resume, parsed.value("--env") != nil {
            throw UsageError("--resume continues a run in the environment it started with; leave out --env", command: command)
        }
        if parsed.value("--date") != nil, options.resume {
            throw UsageError("--resume continues a run with the date it started with (and a backfill with the dates it had left); leave out --date", command: command)
        }
        let config = try configure(&options, parsed: parsed, job: job, layout: environment.layout, command: command)
        // Today, yesterday and the default are days in the job's time zone (config's timeZone, else $TZ).
        if let text = parsed.value("--date") {
            let dates = try RunDateOption.dates(text, today: config.today, command: command)
            options.runDate = dates.first
            options.backfillRest = Array(dates.dropFirst())
        } else if !options.resume {
            options.runDate = config.today
        }
        if options.testsOnly, options.resume || !options.selection.isEverything {
            throw UsageError("--tests-only runs no steps, so it cannot be combined with --resume or a step selection", command: command)
        }
        if let text = parsed.value("--force") {
            options.forced = text.isEmpty ? [] : Set(try ids(text, "--force", command: command) ?? [])
        }
        options.caching = !parsed.has("--no-cache")
        for flag in ["--force", "--no-cache", "--explain"] where options.testsOnly && (parsed.has(flag) || parsed.value(flag) != nil) {
            throw UsageError("--tests-only runs no steps, so \(flag) has nothing to apply to", command: command)
        }
        if parsed.has("--explain"), parsed.has("--dry-run") {
            throw UsageError("--dry-run already shows what --explain says; give one of them", command: command)
        }
        if let forced = options.forced, !forced.isEmpty, let unknown = forced.subtracting(job.steps.map(\.id)).sorted().first {
            throw UsageError("--force names step \(unknown), which the job does not have; its steps are \(job.steps.map { $0.id.description }.joined(separator: ", "))", command: command)
        }

        _ = try slurmOptions(parsed, command: command)
        return (parsed, options)
    }

    static func run(_ job: Job, arguments: [String], environment: JobCommand.Environment) async throws -> Int32 {
        #if canImport(Glibc)
        // glibc gives each thread that contends for malloc an arena of its
        // own (up to 8 per core), and memory freed in one is not reused by
        // another: the runner's threads wait on children, not on malloc, and
        // two arenas take a 10,000-step run's peak from 129 MB to 110 MB
        // (bench/scale.sh). Steps are other processes, unaffected. (Swift's
        // Glibc module leaves out malloc.h, so mallopt is looked up.)
        if let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "mallopt") {
            typealias Mallopt = @convention(c) (Int32, Int32) -> Int32
            let arenaMax: Int32 = -8  // M_ARENA_MAX
            _ = unsafeBitCast(symbol, to: Mallopt.self)(arenaMax, 2)
        }
        #endif
        let command = environment.command
        guard let (parsed, parsedOptions) = try parse(job, arguments: arguments, environment: environment) else {
            Console.out(JobHelp.text(job, environment: environment))
            return ExitCode.success.rawValue
        }
        var options = parsedOptions
        let slurm = try slurmOptions(parsed, command: command)
        let executor: any StepExecutor = slurm.map { SlurmExecutor(options: $0, wrapsShellSteps: true) }
            ?? LocalExecutor(wrapsShellSteps: true)
        let runner = JobRunner(
            job: job, layout: environment.layout, executor: executor,
            publisher: .some(environment.publisher))
        if parsed.has("--explain") {
            do {
                let (_, _, steps, resumed) = try PhaseTimings.measure("validate and explain") { try runner.explain(options) }
                Console.out(parsed.has("--json") ? try Explanation.json(steps) : Explanation.render(job: job, steps: steps, resumed: resumed?.runID))
                return ExitCode.success.rawValue
            } catch let error as NothingToResume {
                Console.out("\(error.message)\n")
                return ExitCode.success.rawValue
            }
        }
        if parsed.has("--dry-run") {
            do {
                let (graph, plan, steps, resumed) = try PhaseTimings.measure("validate and plan") { try runner.explain(options) }
                var text = DryRun.render(job: job, graph: graph, plan: plan, resumed: resumed?.runID, jobs: slurm == nil ? options.jobs : nil)
                text += Explanation.table(steps.filter { $0.verdict != .leftOut }, heading: "Each step:")
                text += DryRun.parameters(resumed.map { ($0.parameters ?? [:], $0.parameterSources ?? [:], $0.environment) }
                    ?? (options.shownParameters, options.parameterSources, options.environment))
                let firstDate = resumed?.runDate ?? options.runDate ?? .today(in: RunDate.jobTimeZone)
                let later = resumed?.backfillRest ?? options.backfillRest
                text += later.isEmpty ? "Run date \(firstDate)\n"
                    : "Backfill: \(later.count + 1) runs, one per date, \(Backfill.range([firstDate] + later)) (stops at the first that fails)\n"
                if let condition = options.waitFor {
                    text += "Would wait for \(condition.paths.joined(separator: ", "))"
                        + (condition.timeout.map { " for at most \(DurationFormat.seconds($0))" } ?? " for as long as it takes") + "\n"
                }
                if let slurm = executor as? SlurmExecutor {
                    let run = PlannedRun(
                        job: job.name, runID: resumed?.runID ?? "<run_id>", layout: environment.layout, graph: graph, plan: plan,
                        attemptsBefore: [:], context: [:], parameters: options.shownParameters, resumed: resumed != nil)
                    text += "Would submit to Slurm, in this order:\n" + slurm.describeSubmissions(run).map { "  \($0)\n" }.joined()
                }
                Console.out(text)
                return ExitCode.success.rawValue
            } catch let error as NothingToResume {
                Console.out("\(error.message)\n")
                return ExitCode.success.rawValue
            }
        }

        let progress = ProgressPrinter(style: TerminalStyle.forDescriptor(2))
        // The handler is installed before the run starts, so no signal can
        // arrive while its default (or inherited "ignore") disposition holds.
        let cancellation = CancellationBox()
        let signals = SignalWatcher([SIGINT, SIGTERM, SIGHUP]) { number in
            let why = number == SIGHUP ? " (the terminal was closed)" : ""
            progress.handle(.warning("received \(SignalName.name(number))\(why): stopping the run…"))
            cancellation.cancel()
        }
        // A backfill (`--date FROM..TO`) is one run per date, in order; each
        // run records the dates left, so `--resume` of a failed date goes on.
        var passedDates: [RunDate] = []
        while true {
            let current = options
            let task = Task { try await runner.run(current) { progress.handle($0) } }
            cancellation.set(task)
            let report: RunReport
            do {
                report = try await task.value
                progress.finish()
            } catch let error as NothingToResume {
                progress.finish()
                Console.out("\(error.message)\n")
                return ExitCode.success.rawValue
            } catch is CancellationError {
                // Stopped before any step ran (while waiting for --wait-for files).
                progress.finish()
                Console.error("error: interrupted before the run started; nothing ran\n")
                return ExitCode.stopped(by: signals.received ?? SIGINT).rawValue
            } catch {
                progress.finish()
                throw error
            }
            if parsed.has("--json") {
                Console.out(try report.json())
            } else {
                Console.out("\n" + report.render(style: TerminalStyle.forDescriptor(1)))
            }
            let rest = RunStateStore(layout: environment.layout).load(report.runID)?.backfillRest ?? []
            // The code says what the report says: a signal that came after the
            // run's records were closed (while the DAG was drawn) did not stop it.
            if report.interrupted == true || signals.received != nil {
                if !rest.isEmpty { Console.error(Backfill.stopped(at: report.runDate, rest: rest, command: command, interrupted: true)) }
                return report.interrupted == true ? ExitCode.stopped(by: signals.received ?? SIGINT).rawValue
                    : (report.status == .pass ? ExitCode.success.rawValue : ExitCode.failure.rawValue)
            }
            guard report.status == .pass else {
                if !rest.isEmpty || !passedDates.isEmpty {
                    Console.error(Backfill.stopped(at: report.runDate, rest: rest, command: command, interrupted: false))
                }
                return ExitCode.failure.rawValue
            }
            if let date = report.runDate { passedDates.append(date) }
            guard let next = rest.first else {
                if passedDates.count > 1 { Console.error(Backfill.finished(passedDates)) }
                return ExitCode.success.rawValue
            }
            if options.resume, let state = RunStateStore(layout: environment.layout).load(report.runID) {
                // `--resume` resolved only the secret parameters; the dates
                // left run with those the backfill started with, and over the
                // steps it covered (a partial backfill stays partial).
                if let scope = state.scope { options.selection = StepSelection(only: Set(scope)) }
                var values = state.parameters ?? [:]
                for key in state.secretParameters ?? [] { values[key] = options.parameters[key] }
                options.parameters = values
                options.parameterSources = state.parameterSources ?? [:]
                options.secretParameters = Set(state.secretParameters ?? [])
            }
            options.resume = false
            options.runDate = next
            options.backfillRest = Array(rest.dropFirst())
            progress.handle(.note("backfill: next date \(next) (\(rest.count) left)"))
        }
    }

    /// Reads `config/` for `--env` (or `$BATCHKIT_ENV`, or the resumed run's
    /// environment), resolves the parameters against what the job declares
    /// (for `--resume`, only the secret ones, which were never recorded),
    /// withholds the notification secrets from the steps, and applies
    /// `--wait-for` and `--no-notify`. Every problem is found here, before
    /// anything runs.
    ///
    /// - Returns: The configuration read, whose time zone dates the run.
    @discardableResult
    static func configure(_ options: inout RunOptions, parsed: Arguments, job: Job, layout: RunLayout, command: String) throws -> JobConfig {
        let variables = ProcessInfo.processInfo.environment
        var environment = parsed.value("--env") ?? variables["BATCHKIT_ENV"].flatMap { $0.isEmpty ? nil : $0 }
        let latest = options.resume ? RunStateStore(layout: layout).latest(job: job.name) : nil
        if let latest { environment = latest.environment }
        let config = try JobConfig.load(projectDirectory: layout.projectDirectory, environment: environment, variables: variables)
        if options.resume {
            try resumeSecrets(&options, of: latest, config: config, variables: variables, command: command)
        } else {
            let resolved = try config.resolve(commandLine: options.parameters, variables: variables)
            options.parameters = resolved.values
            options.parameterSources = resolved.sources
            options.secretParameters = resolved.secrets
        }
        options.withheldVariables = config.notify.secretVariables
        options.environment = environment
        options.notices = Notifier(
            settings: parsed.has("--no-notify") ? NotifySettings.none : config.notify, hooks: job.hooks, log: layout.notificationsLog)

        let paths = parsed.values("--wait-for")
        if let text = parsed.value("--wait-timeout") {
            guard !paths.isEmpty else { throw UsageError("--wait-timeout goes with --wait-for PATH", command: command) }
            guard let seconds = TaskList.seconds(text), seconds > 0 else {
                throw UsageError("--wait-timeout takes a duration such as 90s, 30m, 2h or 1d; got \"\(text)\"", command: command)
            }
            options.waitFor = WaitCondition(paths: paths, timeout: seconds)
        } else if !paths.isEmpty {
            options.waitFor = WaitCondition(paths: paths)
        }
        if let empty = paths.first(where: { $0.isEmpty }) {
            throw UsageError("--wait-for takes a file path; got \"\(empty)\"", command: command)
        }
        return config
    }

    /// A resumed run keeps the parameters it started with, except the secret
    /// ones, whose values were never recorded: those, and only those, come
    /// again from `--param`, `BATCHKIT_PARAM_<KEY>` or the config.
    ///
    /// - Throws: ``UsageError`` for a `--param` of a parameter that is not
    ///   secret; ``JobConfig/Problem`` for a secret one with no value.
    private static func resumeSecrets(
        _ options: inout RunOptions, of latest: RunState?, config: JobConfig, variables: [String: String], command: String
    ) throws {
        // A run that passed is not resumed (the runner says so), so it needs nothing.
        let resumable = latest.flatMap { $0.phase == .passed ? nil : $0 }
        let secrets = resumable?.secretParameters ?? []
        if let key = options.parameters.keys.sorted().first(where: { !secrets.contains($0) }) {
            let only = secrets.isEmpty ? "" : " (only its secret parameters are given again: \(secrets.joined(separator: ", ")))"
            throw UsageError("--resume continues a run with the parameters it started with; leave out --param \(key)\(only)", command: command)
        }
        guard let resumable, !secrets.isEmpty else { return }
        options.parameters = try config.secrets(secrets, resuming: resumable.runID, commandLine: options.parameters, variables: variables)
        options.secretParameters = Set(secrets)
    }

    /// `--backend slurm` and its options; `nil` for a local run.
    private static func slurmOptions(_ parsed: Arguments, command: String) throws(UsageError) -> SlurmOptions? {
        let backend = parsed.value("--backend") ?? "local"
        switch backend {
        case "local":
            for option in ["--partition", "--account", "--sbatch-arg"] where !parsed.values(option).isEmpty {
                throw UsageError("\(option) is an option of --backend slurm", command: command)
            }
            return nil
        case "slurm":
            if parsed.value("--jobs") != nil {
                throw UsageError("--jobs limits a local run; with --backend slurm the cluster decides what runs at once (each step asks for its cpus)", command: command)
            }
            return SlurmOptions(partition: parsed.value("--partition"), account: parsed.value("--account"), extraArguments: parsed.values("--sbatch-arg"))
        default:
            throw UsageError("unknown --backend '\(backend)'; use local (the default) or slurm", command: command)
        }
    }

    private static func id(_ text: String?, _ option: String, command: String) throws(UsageError) -> StepID? {
        guard let text else { return nil }
        guard let value = StepID(text.trimmingCharacters(in: .whitespaces)), value > 0 else {
            throw UsageError("\(option) takes a step id, like 3; got \"\(text)\"", command: command)
        }
        return value
    }

    private static func ids(_ text: String?, _ option: String, command: String) throws(UsageError) -> [StepID]? {
        guard let text else { return nil }
        var values: [StepID] = []
        for part in text.split(separator: ",", omittingEmptySubsequences: false) {
            guard let value = StepID(part.trimmingCharacters(in: .whitespaces)), value > 0 else {
                throw UsageError("\(option) takes step ids separated by commas, like 2,5; got \"\(text)\"", command: command)
            }
            values.append(value)
        }
        return values
    }
}

/// The text of `--dry-run`: what would run, in which waves, and why any
/// step is left out.
enum DryRun {
    static func render(job: Job, graph: JobGraph, plan: RunPlan, resumed: String?, jobs: Int?) -> String {
        var lines = ["\(VisibleText.line(job.name)): dry run, nothing is executed" + (resumed.map { " (would resume run \($0))" } ?? "")]
        let waves = plan.waves(graph)
        if waves.isEmpty {
            lines.append("No step would run.")
        } else {
            let limit = jobs.map { "at most \($0) slot(s) at once" } ?? "as the cluster allows"
            lines.append("Would run \(plan.selected.count) step(s) in \(waves.count) wave(s), \(limit):")
            for (index, wave) in waves.enumerated() {
                let names = wave.compactMap { graph.step($0) }.map { "\($0.displayID) \(VisibleText.line($0.name))" }
                lines.append("  wave \(index + 1): \(names.joined(separator: ", "))")
            }
        }
        if !plan.excluded.isEmpty {
            lines.append("Left out:")
            for (id, reason) in plan.excluded.sorted(by: { $0.key < $1.key }) {
                lines.append("  \(id.display) \(VisibleText.line(graph.step(id)?.name ?? "")): \(reason)")
            }
        }
        return lines.joined(separator: "\n") + "\n"
    }

    /// The parameters a run would use, with where each comes from.
    static func parameters(_ given: (values: [String: String], sources: [String: String], environment: String?)) -> String {
        guard !given.values.isEmpty || given.environment != nil else { return "" }
        var text = "Parameters" + (given.environment.map { " (environment \($0))" } ?? "") + ":"
        if given.values.isEmpty { text += " none" }
        text += "\n"
        for (key, value) in given.values.sorted(by: { $0.key < $1.key }) {
            text += "  \(key) = \(value)" + (given.sources[key].map { "  (\($0))" } ?? "") + "\n"
        }
        return text
    }
}

/// The text of `--explain`: each step's verdict and first reason.
enum Explanation {
    static func render(job: Job, steps: [StepExplanation], resumed: String?) -> String {
        var text = "\(VisibleText.line(job.name)): what a run would do, nothing is executed" + (resumed.map { " (would resume run \($0))" } ?? "") + "\n"
        text += table(steps, heading: nil)
        let running = steps.filter { $0.verdict == .run }.count
        let cached = steps.filter { $0.verdict == .cached }.count
        let left = steps.filter { $0.verdict == .leftOut }.count
        text += "\(running) step(s) would run, \(cached) up to date (CACHED)" + (left > 0 ? ", \(left) left out" : "") + ".\n"
        return text
    }

    /// One line per step: id, name, verdict, reason.
    static func table(_ steps: [StepExplanation], heading: String?) -> String {
        guard !steps.isEmpty else { return "" }
        let names = steps.map { "\($0.id.display) \(VisibleText.line($0.name))" }
        let width = names.map(\.count).max() ?? 0
        var text = heading.map { "\($0)\n" } ?? ""
        for (step, name) in zip(steps, names) {
            let verdict = step.verdict.rawValue
            text += "  \(name)\(String(repeating: " ", count: width - name.count))  \(verdict)\(String(repeating: " ", count: max(1, 9 - verdict.count)))\(VisibleText.line(step.reason))\n"
        }
        return text
    }

    /// The verdicts as a JSON array.
    static func json(_ steps: [StepExplanation]) throws -> String {
        String(decoding: try JSONCoding.encoder().encode(steps), as: UTF8.self) + "\n"
    }
}

/// Cancels a task that may not exist yet: a cancel that comes first is
/// applied as soon as the task is set.
final class CancellationBox: @unchecked Sendable {
    private let lock = NSLock()
    private var task: Task<RunReport, any Error>?
    private var cancelled = false

    func set(_ task: Task<RunReport, any Error>) {
        let cancelNow: Bool = lock.withLock {
            self.task = task
            return cancelled
        }
        if cancelNow { task.cancel() }
    }

    func cancel() {
        let task: Task<RunReport, any Error>? = lock.withLock {
            cancelled = true
            return self.task
        }
        task?.cancel()
    }
}
