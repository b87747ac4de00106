import BatchKitRunner
import BatchKitCommandLine
import BatchKit
import Foundation

/// `batchkit pyrunner -c PROFILE -l FILE.lst [FLAGS]`: PyRunner's command
/// line as a drop-in, so a crontab line changes only its program name. Each
/// flag becomes its `batchkit run` equivalent; a PyRunner flag batchkit has
/// no use for is refused with what to use instead.
enum PyRunnerCommand {
    static let name = "pyrunner"

    /// One PyRunner flag: its short and long spellings, declared once for
    /// the parser and the help.
    struct Flag: Sendable {
        let short: Character?
        let long: String
        let value: String?
        let summary: String

        var label: String {
            [short.map { "-\($0)" }, "--\(long)"].compactMap { $0 }.joined(separator: ", ") + (value.map { " \($0)" } ?? "")
        }
    }

    /// The flags `batchkit pyrunner` takes.
    static let flags: [Flag] = [
        Flag(short: "c", long: "config", value: "PROFILE", summary: "The app profile, a bash file whose exported APP_* variables reach\nevery task and $ENV{...} (batchkit run --profile)."),
        Flag(short: "l", long: "lst", value: "FILE", summary: "The task list, #PYTHON or #SHELL (required)."),
        Flag(short: "n", long: "max-procs", value: "N", summary: "Run at most N tasks at once (--jobs)."),
        Flag(short: "r", long: "restart", value: nil, summary: "Continue the last failed or interrupted run of the list; tasks that\npassed are not rerun (--resume). With none, start a new run."),
        Flag(short: "x", long: "exec-only", value: "IDS", summary: "Run only these tasks (--only)."),
        Flag(short: "N", long: "norun", value: "IDS", summary: "Do not run these tasks (--exclude)."),
        Flag(short: "D", long: "from", value: "ID", summary: "Run ID and the tasks downstream of it (--from); also --descendants."),
        Flag(short: "A", long: "to", value: "ID", summary: "Run ID and the tasks upstream of it (--to); also --ancestors."),
        Flag(short: nil, long: "dryrun", value: nil, summary: "Print the plan; run nothing (--dry-run)."),
        Flag(short: "e", long: "email", value: "ADDR", summary: "Email ADDR when the run ends, through the local sendmail\n($BATCHKIT_NOTIFY_EMAIL)."),
        Flag(short: nil, long: "env", value: "NAME=VALUE", summary: "Export NAME before the profile is sourced (repeatable)."),
        Flag(short: "t", long: "tickrate", value: "N", summary: "Accepted and ignored: batchkit starts a task as soon as its\nparents pass, without polling."),
        Flag(short: nil, long: "python", value: "PATH", summary: "The Python 3 that runs the workers (default: python3 on PATH)."),
        Flag(short: "v", long: "version", value: nil, summary: "Print batchkit's version."),
        Flag(short: "h", long: "help", value: nil, summary: "Show this help."),
    ]

    /// Other spellings PyRunner takes for the same flags.
    static let aliases = ["descendants": "from", "descendents": "from", "ancestors": "to"]

    /// PyRunner flags batchkit does not take, each with what to do instead.
    static let refused: [String: String] = [
        "d": "-d/--debug: there is no need: the live progress and the report show every task's status",
        "debug": "-d/--debug: there is no need: the live progress and the report show every task's status",
        "i": "-i/--interactive: there is no batchkit equivalent; set context values in a first worker",
        "interactive": "-i/--interactive: there is no batchkit equivalent; set context values in a first worker",
        "setup": "--setup: there is no batchkit equivalent; write the profile, the .lst and the workers as docs/PYRUNNER.md shows",
        "nozip": "--nozip: batchkit never zips logs (each run's are in logs/runs/<run_id>/); remove the flag",
        "dump-logs": "--dump-logs: use `batchkit run FILE.lst report` after the run; each task's log is in logs/runs/<run_id>/",
        "preserve-context": "--preserve-context: batchkit always keeps the context with the run, and -r restores it; remove the flag",
        "allow-duplicate-jobs": "--allow-duplicate-jobs: there is no batchkit equivalent; a second run of the same list is refused by its lock",
        "exec-proc-name": "--exec-proc-name: use -x ID (batchkit selects tasks by id)",
        "email-on-fail": "--email-on-fail: use -e ADDR, and choose the events with \"notify\": {\"on\": [\"failure\"]} in config/base.json",
        "ef": "--ef: use -e ADDR, and choose the events with \"notify\": {\"on\": [\"failure\"]} in config/base.json",
        "email-on-success": "--email-on-success: use -e ADDR, and choose the events with \"notify\": {\"on\": [\"success\"]} in config/base.json",
        "es": "--es: use -e ADDR, and choose the events with \"notify\": {\"on\": [\"success\"]} in config/base.json",
        "cvar": "--cvar: there is no batchkit equivalent for context values; pass --env APP_NAME=VALUE and read os.environ in a worker",
        "context": "--context: there is no batchkit equivalent for context values; pass --env APP_NAME=VALUE and read os.environ in a worker",
        "serde": "--serde: batchkit reads .lst task lists only",
        "exec-loop-interval": "--exec-loop-interval: there is no need: batchkit does not poll",
        "time-between-tasks": "--time-between-tasks: there is no batchkit equivalent; use RETRY_WAIT_TIME for retries",
        "abort": "--abort: send SIGTERM to the running batchkit (kill PID); it stops every task and records them",
        "silent": "--silent: there is no batchkit equivalent; redirect the output (> /dev/null)",
    ]

    static var help: String {
        """
        USAGE: batchkit pyrunner -c PROFILE -l FILE.lst [FLAGS]

        PyRunner's command line: an existing crontab line changes only its program
        name (pyrunner -c … -l … becomes batchkit pyrunner -c … -l …). The list runs
        as batchkit run FILE.lst does, with the whole engine; logs/ goes in
        $APP_ROOT_DIR when the profile sets it, else beside the list.

        FLAGS:
        \(HelpText.rows(flags.map { ($0.label, $0.summary) }))
        Other PyRunner flags are refused with what to use instead.

        EXIT CODES (PyRunner's in brackets):
          0    every task passed (0)
          1    a task failed (PyRunner: the number of failed tasks)
          64   a usage error, a bad profile or an invalid task list (1-6)
          130/143  interrupted by SIGINT/SIGTERM; continue with -r (4)

        See docs/PYRUNNER.md.

        """
    }

    /// A command line read into what `batchkit run` needs.
    struct Invocation: Equatable {
        var profile: String?
        var list: String?
        var restart = false
        var help = false
        var version = false
        var tickrate = false
        var email: String?
        /// `--env` variables, as name and value.
        var environment: [Variable] = []
        /// `batchkit run` options, in order.
        var runOptions: [String] = []
    }

    /// A variable `--env NAME=VALUE` exports.
    struct Variable: Equatable {
        let name: String
        let value: String
    }

    /// Reads PyRunner's flags as its `getopt` does: `-c FILE`, `-cFILE`,
    /// `--config FILE`, `--config=FILE`, and flags without a value together
    /// (`-rv`).
    ///
    /// - Throws: ``UsageError`` for a refused or unknown flag, a missing
    ///   value, or a word that is not a flag.
    static func parse(_ arguments: [String]) throws(UsageError) -> Invocation {
        var invocation = Invocation()
        var index = 0
        func value(of flag: Flag, attached: String?) throws(UsageError) -> String {
            if let attached { return attached }
            index += 1
            guard index < arguments.count else {
                throw UsageError("\(flag.label.split(separator: " ")[0]) needs a value (\(flag.value ?? ""))", command: "batchkit pyrunner")
            }
            return arguments[index]
        }
        while index < arguments.count {
            let word = arguments[index]
            if word.hasPrefix("--"), word.count > 2 {
                let body = word.dropFirst(2)
                let name = String(body.prefix { $0 != "=" })
                let attached = body.contains("=") ? String(body.drop { $0 != "=" }.dropFirst()) : nil
                let canonical = aliases[name] ?? name
                guard let flag = flags.first(where: { $0.long == canonical }) else { throw unknown(name, spelled: word) }
                if flag.value == nil, attached != nil {
                    throw UsageError("--\(name) takes no value", command: "batchkit pyrunner")
                }
                try apply(flag, flag.value == nil ? "" : value(of: flag, attached: attached), to: &invocation)
            } else if word.hasPrefix("-"), word.count > 1 {
                var letters = Substring(word.dropFirst())
                while let letter = letters.first {
                    letters = letters.dropFirst()
                    guard let flag = flags.first(where: { $0.short == letter }) else { throw unknown(String(letter), spelled: "-\(letter)") }
                    if flag.value != nil {
                        try apply(flag, value(of: flag, attached: letters.isEmpty ? nil : String(letters)), to: &invocation)
                        break
                    }
                    try apply(flag, "", to: &invocation)
                }
            } else {
                throw UsageError("unexpected argument '\(word)'; give the task list with -l FILE.lst", command: "batchkit pyrunner")
            }
            index += 1
        }
        return invocation
    }

    private static func apply(_ flag: Flag, _ value: String, to invocation: inout Invocation) throws(UsageError) {
        switch flag.long {
        case "config": invocation.profile = value
        case "lst": invocation.list = value
        case "max-procs": invocation.runOptions += ["--jobs", value]
        case "restart": invocation.restart = true
        case "exec-only": invocation.runOptions += ["--only", value]
        case "norun": invocation.runOptions += ["--exclude", value]
        case "from": invocation.runOptions += ["--from", value]
        case "to": invocation.runOptions += ["--to", value]
        case "dryrun": invocation.runOptions.append("--dry-run")
        case "email": invocation.email = value
        case "python": invocation.runOptions += ["--python", value]
        case "tickrate": invocation.tickrate = true
        case "version": invocation.version = true
        case "help": invocation.help = true
        case "env":
            guard let equals = value.firstIndex(of: "="), equals != value.startIndex else {
                throw UsageError("--env \(value): give NAME=VALUE, as in --env APP_REGION=eu", command: "batchkit pyrunner")
            }
            invocation.environment.append(Variable(name: String(value[..<equals]), value: String(value[value.index(after: equals)...])))
        default:
            break
        }
    }

    private static func unknown(_ name: String, spelled: String) -> UsageError {
        if let instead = refused[name] {
            return UsageError(instead, command: "batchkit pyrunner")
        }
        let names = flags.map { "--\($0.long)" }
        let taken = flags.map { flag in [flag.short.map { "-\($0)" }, "--\(flag.long)"].compactMap { $0 }.joined(separator: "/") }
        return UsageError(
            "unknown flag \(spelled)\(Suggestion.hint(for: spelled, among: names)); batchkit pyrunner takes "
                + taken.joined(separator: ", "), command: "batchkit pyrunner")
    }

    static func run(_ arguments: [String], workingDirectory: URL) async -> Int32 {
        let invocation: Invocation
        do {
            invocation = try parse(arguments)
        } catch {
            Console.reportError(String(describing: error))
            return ExitCode.usage.rawValue
        }
        if invocation.help {
            Console.out(help)
            return ExitCode.success.rawValue
        }
        if invocation.version {
            Console.out("batchkit \(BatchKit.version) (batchkit pyrunner: PyRunner's command line)\n")
            return ExitCode.success.rawValue
        }
        guard let list = invocation.list else {
            let why = invocation.restart ? "; batchkit finds the run -r continues from the list's logs/" : ""
            return usage("missing the task list: give -l FILE.lst\(why), as in: batchkit pyrunner -c app_profile -l tasks.lst")
        }
        if invocation.tickrate {
            Console.error("batchkit pyrunner: note: -t/--tickrate has no effect: batchkit starts a task as soon as its parents pass, without polling\n")
        }
        // As PyRunner does: --env first, then the profile, into the runner's own environment, which every task inherits.
        for variable in invocation.environment { setenv(variable.name, variable.value, 1) }
        if let email = invocation.email { setenv("BATCHKIT_NOTIFY_EMAIL", email, 1) }
        if let profile = invocation.profile {
            do {
                let loaded = try await AppProfile.load(URL(fileURLWithPath: profile, relativeTo: workingDirectory).standardizedFileURL)
                for (key, value) in loaded.variables { setenv(key, value, 1) }
            } catch {
                return usage(error.description)
            }
        }
        let file = URL(fileURLWithPath: list, relativeTo: workingDirectory).standardizedFileURL
        var runArguments = [file.path]
        let root = ProcessInfo.processInfo.environment["APP_ROOT_DIR"].flatMap { $0.isEmpty ? nil : $0 }
        if let root { runArguments += ["--workdir", root] }
        if invocation.restart {
            let layout = RunLayout(projectDirectory: root.map { URL(fileURLWithPath: $0, relativeTo: workingDirectory) } ?? file.deletingLastPathComponent())
            let job = file.deletingPathExtension().lastPathComponent
            let latest: RunState?
            do {
                latest = try RunStateStore(layout: layout).latestRun(job: job.isEmpty ? "tasks" : job)
            } catch {
                // --resume says what cannot be read rather than start over.
                latest = nil
                runArguments.append("--resume")
            }
            if let latest, latest.phase != .passed {
                runArguments.append("--resume")
            } else if !runArguments.contains("--resume") {
                Console.error("batchkit pyrunner: note: -r: \(list) has no failed or interrupted run to continue; starting a new run, as PyRunner does\n")
            }
        }
        return await RunCommand.run(runArguments + invocation.runOptions, workingDirectory: workingDirectory)
    }

    private static func usage(_ message: String) -> Int32 {
        Console.reportError(String(describing: UsageError(message, command: "batchkit pyrunner")))
        return ExitCode.usage.rawValue
    }
}
