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

/// `schedule --cron EXPR [--systemd] [--install | --uninstall] [--name NAME]
/// [--unit-dir DIR] [-- RUN_OPTIONS…]`: a crontab entry, or a systemd service
/// and timer, that runs the job unattended.
enum JobScheduleCommand {
    /// Its options, as `--help` shows them and the parser takes them.
    static let options: [OptionDeclaration] = [
        .option("--cron", "EXPR", """
            When, in the machine's local time: five fields, minute hour
            day-of-month month day-of-week, each *, a number, a range a-b, a list
            a,b, or a step */n or a-b/n; months and weekdays may be names (jan,
            mon; 0 and 7 are Sunday). Or @hourly, @daily, @midnight, @weekly,
            @monthly, @yearly, @annually, or @reboot (cron only). As in cron,
            when both day fields are restricted either one matching is enough.
            """),
        .flag("--systemd", "A systemd service and timer (OnCalendar= from EXPR, Persistent=true)\ninstead of a crontab entry."),
        .flag("--install", """
            cron: put the entry in your crontab, replacing this schedule's earlier
            one; every other line stays as it is. systemd: write the units, then
            systemctl daemon-reload and enable --now the timer.
            """),
        .flag("--uninstall", "Remove what --install installed."),
        .option("--name", "NAME", "The schedule's name (default: the job's), for several schedules of one\njob; the units are batchkit-NAME.service and batchkit-NAME.timer."),
        .option("--unit-dir", "DIR", """
            systemd: where the units go (default: /etc/systemd/system for root,
            else ${XDG_CONFIG_HOME:-~/.config}/systemd/user with systemctl --user).
            """),
        .help,
    ]

    /// The row for what follows `--`, which is no option of its own.
    static let runOptionsRow = """
          -- RUN_OPTIONS  Everything after -- is given to the scheduled run, as in
                          -- --date yesterday --jobs 2.

        """

    static func usage(_ command: String) -> String {
        """
        USAGE: \(command) --cron EXPR [--systemd] [--install] [--name NAME] [--unit-dir DIR] [-- RUN_OPTIONS...]
               \(command) --uninstall [--systemd] [--name NAME] [--unit-dir DIR]

        Prints a crontab entry (with --systemd, a service and a timer) that runs the job from
        its folder, with absolute paths, a PATH that finds this Swift toolchain (so a changed
        job is rebuilt) and its output appended to logs/schedule.log. --install installs it.

        OPTIONS:
        \(OptionDeclaration.helpText(options))\(runOptionsRow)
        The scheduled run gets only PATH from here: set other variables in the job.
        A user's systemd timers run while they are logged in, unless lingering is on
        (loginctl enable-linger USER).

        EXAMPLES:
          \(command) --cron "0 2 * * *"                 print the crontab entry
          \(command) --cron "*/15 * * * *" --install    run every 15 minutes
          \(command) --cron @daily --systemd --install
          \(command) --uninstall

        """
    }

    static func run(_ job: Job, environment: JobCommand.Environment, arguments: [String]) async throws -> Int32 {
        let command = "\(environment.command) schedule"
        do {
            return try await schedule(job, environment: environment, arguments: arguments, command: command)
        } catch let error as ScheduleError where error.code.isUsage {
            // A different command line fixes it: exit 64.
            throw UsageError(error.message, command: command)
        }
    }

    private static func schedule(_ job: Job, environment: JobCommand.Environment, arguments: [String], command: String) async throws -> Int32 {
        // Everything after `--` belongs to the scheduled run, untouched.
        let separator = arguments.firstIndex(of: "--")
        let own = separator.map { Array(arguments[..<$0]) } ?? arguments
        let runArguments = separator.map { Array(arguments[($0 + 1)...]) } ?? []
        let parsed = try Arguments(own, declared: options, command: command)
        if parsed.has("--help") {
            Console.out(usage(command))
            return ExitCode.success.rawValue
        }
        if let extra = parsed.positionals.first {
            throw UsageError("unexpected argument '\(extra)'; quote the cron expression, as in --cron \"0 2 * * *\"", command: command)
        }
        if parsed.has("--install"), parsed.has("--uninstall") {
            throw UsageError("--install and --uninstall cannot be combined", command: command)
        }
        if parsed.value("--unit-dir") != nil, !parsed.has("--systemd") {
            throw UsageError("--unit-dir is for --systemd units", command: command)
        }
        let layout = environment.layout
        let name = parsed.value("--name") ?? defaultName(job.name)
        let directory = layout.projectDirectory.path
        let swift = ExecutablePath.find("swift")
        let scheduled = try ScheduledRun(
            name: name, job: job.name, directory: directory, command: environment.scheduledCommand + ["run"] + runArguments,
            path: ScheduledRun.searchPath(swift: swift))
        let folder = parsed.value("--unit-dir").map {
            SystemdUnitFolder(directory: URL(fileURLWithPath: $0, relativeTo: URL(fileURLWithPath: FileManager.default.currentDirectoryPath)), user: geteuid() != 0)
        } ?? SystemdUnitFolder.standard()

        if parsed.has("--uninstall") {
            guard parsed.value("--cron") == nil, separator == nil else {
                throw UsageError("--uninstall removes the schedule by its name; it takes no --cron and no run options", command: command)
            }
            return try await uninstall(scheduled, systemd: parsed.has("--systemd") ? folder : nil, command: command)
        }
        // Its own options before the scheduled run's: a missing or bad --cron
        // is the mistake to report, not a parameter that run would lack.
        guard let cron = parsed.value("--cron") else {
            throw UsageError("say when with --cron, as in: \(command) --cron \"0 2 * * *\"", command: command)
        }
        let expression = try CronExpression(cron)
        let units = parsed.has("--systemd") ? try SystemdUnits(expression: expression, run: scheduled) : nil
        try checkRunOptions(job, environment: environment, arguments: runArguments, systemd: parsed.has("--systemd"), command: command)
        guard FileManager.default.isExecutableFile(atPath: scheduled.command[0]) else {
            throw ScheduleError(.io, "cannot schedule \(job.name): \(scheduled.command[0]) is missing or not executable")
        }
        if swift == nil, scheduled.command[0].hasSuffix("/run.sh") {
            Console.error("warning: swift is not on PATH, so a scheduled run cannot rebuild the job after its sources change\n")
        }
        // The output is appended to logs/schedule.log, which needs its folder.
        try FileManager.default.createDirectory(at: layout.logsDirectory, withIntermediateDirectories: true)
        let installAgain = "\(command) \(own.map(ShellWord.quoted).joined(separator: " ")) --install"
            + (runArguments.isEmpty ? "" : " -- " + runArguments.map(ShellWord.quoted).joined(separator: " "))
        let next = nextRuns(expression)

        if let units {
            guard parsed.has("--install") else {
                Console.out("""
                    # \(VisibleText.line(job.name)): "\(expression.text)" is OnCalendar=\(units.onCalendar); \(next)
                    # Install both with: \(installAgain)

                    # \(folder.file(units.serviceName).path)
                    \(units.service)
                    # \(folder.file(units.timerName).path)
                    \(units.timer)
                    """)
                return ExitCode.success.rawValue
            }
            let files = try await folder.install(units)
            let linger = folder.user ? "\nIt runs while \(NSUserName()) is logged in; to run it at any time: loginctl enable-linger \(NSUserName())" : ""
            Console.out("""
                Installed \(files.map(\.path).joined(separator: " and ")), and enabled the timer.
                OnCalendar=\(units.onCalendar) ("\(expression.text)"); \(next)
                Output is appended to \(scheduled.logFile).
                Check it with: \(folder.systemctl) list-timers \(units.timerName)
                Remove it with: \(uninstallCommand(command, name: parsed.value("--name"), systemd: true, unitDirectory: parsed.value("--unit-dir")))\(linger)

                """)
            return ExitCode.success.rawValue
        }

        let entry = CrontabEntry(expression: expression, run: scheduled)
        guard parsed.has("--install") else {
            Console.out("""
                # \(VisibleText.line(job.name)): "\(expression.text)"; \(next)
                # Install it with: \(installAgain)
                \(entry.line)

                """)
            return ExitCode.success.rawValue
        }
        let crontab = try UserCrontab()
        var current = try await crontab.read()
        let replaced = current.remove(marked: entry.marker)
        current.append(entry.line)
        try await crontab.write(current)
        Console.out("""
            \(replaced.isEmpty ? "Added to" : "Replaced the earlier entry in") the crontab of \(NSUserName()):
            \(entry.line)
            "\(expression.text)": \(next)
            Output is appended to \(scheduled.logFile).
            See it with: crontab -l
            Remove it with: \(uninstallCommand(command, name: parsed.value("--name"), systemd: false, unitDirectory: nil))

            """)
        if !cronDaemonRuns() {
            Console.error("note: no running cron daemon was found (/run/crond.pid); start it (systemctl start cron, or service cron start) or the entry never runs\n")
        }
        return ExitCode.success.rawValue
    }

    /// The scheduled run's options, checked now rather than at 2 a.m.: as
    /// `run` would check them, and refusing a secret given with `--param`,
    /// which would be written in plain text into the crontab or unit.
    ///
    /// - Throws: ``UsageError`` saying "after --: …".
    private static func checkRunOptions(_ job: Job, environment: JobCommand.Environment, arguments: [String], systemd: Bool, command: String) throws {
        do {
            if let (_, options) = try JobRunCommand.parse(job, arguments: arguments, environment: environment),
               let secret = options.secretParameters.sorted().first(where: { options.parameterSources[$0] == "--param" }) {
                throw UsageError(
                    "--param \(secret): \(secret) is a secret parameter, and a schedule would write its value into the "
                        + "\(systemd ? "systemd unit" : "crontab"); put it in a config/<env>.json kept out of "
                        + "version control and schedule the run with --env <env>", command: command)
            }
        } catch let error as UsageError {
            throw UsageError("after --: \(error.message)", command: command)
        } catch let error as JobConfig.Problem {
            throw UsageError("after --: \(error.message)", command: command)
        }
    }

    private static func uninstall(_ scheduled: ScheduledRun, systemd folder: SystemdUnitFolder?, command: String) async throws -> Int32 {
        if let folder {
            let marker = SystemdUnits.marker(name: scheduled.name, directory: scheduled.directory)
            let removed = try await folder.uninstall(name: scheduled.name, marker: marker)
            Console.out(removed.isEmpty
                ? "No units batchkit-\(scheduled.name).service or .timer in \(folder.directory.path); nothing to remove.\n"
                : "Stopped and removed \(removed.map(\.path).joined(separator: " and ")).\n")
            return ExitCode.success.rawValue
        }
        let crontab = try UserCrontab()
        var current = try await crontab.read()
        let removed = current.remove(marked: CrontabEntry.marker(name: scheduled.name, directory: scheduled.directory))
        guard !removed.isEmpty else {
            Console.out("No crontab entry of schedule \(scheduled.name) for \(scheduled.directory) in the crontab of \(NSUserName()); nothing to remove.\n")
            return ExitCode.success.rawValue
        }
        try await crontab.write(current)
        Console.out("Removed from the crontab of \(NSUserName()):\n\(removed.joined(separator: "\n"))\n")
        return ExitCode.success.rawValue
    }

    /// The job's name when it can name units, else its slug.
    static func defaultName(_ job: String) -> String {
        if job.unicodeScalars.allSatisfy({ $0.isASCII && (CharacterSet.alphanumerics.contains($0) || "_-".unicodeScalars.contains($0)) }),
           !job.isEmpty, !job.hasPrefix("-") {
            return job
        }
        let slug = StepFileName.slug(job)
        return slug.isEmpty ? "job" : slug
    }

    private static func uninstallCommand(_ command: String, name: String?, systemd: Bool, unitDirectory: String?) -> String {
        var words = [command, "--uninstall"]
        if systemd { words.append("--systemd") }
        if let name { words += ["--name", ShellWord.quoted(name)] }
        if let unitDirectory { words += ["--unit-dir", ShellWord.quoted(unitDirectory)] }
        return words.joined(separator: " ")
    }

    /// "next runs 2026-11-22 02:00 UTC, …", or "at every boot".
    static func nextRuns(_ expression: CronExpression, after date: Date = Date()) -> String {
        guard !expression.isReboot else { return "runs at every boot" }
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.dateFormat = "yyyy-MM-dd HH:mm zzz"
        let dates = expression.nextDates(after: date, count: 3)
        return "next runs " + dates.map(formatter.string).joined(separator: ", ")
    }

    /// Whether Debian's (or cronie's) cron daemon has a live pid file.
    private static func cronDaemonRuns() -> Bool {
        for file in ["/run/crond.pid", "/var/run/crond.pid"] {
            if let text = try? String(contentsOfFile: file, encoding: .utf8), let pid = pid_t(text.trimmingCharacters(in: .whitespacesAndNewlines)),
               kill(pid, 0) == 0 || errno == EPERM {
                return true
            }
        }
        return false
    }
}
