import BatchKitRunner
import BatchKitCommandLine
import BatchKit
import Foundation

/// `batchkit run FILE.lst [COMMAND] [OPTIONS] [--workdir DIR]`: a PyRunner
/// task list (`#SHELL` or `#PYTHON`), through the same engine as a
/// generated job.
enum RunCommand {
    static let name = "run"
    /// `--workdir DIR`, which this command takes out before the job's
    /// command line sees the rest.
    static let workdir = OptionDeclaration.option("--workdir", "DIR", "Where logs/ (history, logs, run state, dag.dot) goes\n(default: the file's folder).")
    /// `--python PATH`: the interpreter of a `#PYTHON` list's workers.
    static let python = OptionDeclaration.option("--python", "PATH", "The Python 3 that runs a #PYTHON list's workers\n(default: python3 on PATH).")
    /// `--profile FILE`: PyRunner's app profile, sourced first.
    static let profile = OptionDeclaration.option("--profile", "FILE", "Source this bash profile first (PyRunner's -c): the APP_*\nvariables it exports reach every task and $ENV{...}.")
    /// The options this command takes out before the job's command line
    /// sees the rest.
    static let ownOptions = [workdir, python, profile]

    static var help: String {
        """
        USAGE: batchkit run FILE.lst [COMMAND] [OPTIONS] [--workdir DIR]

        Runs a PyRunner task list of shell commands (#SHELL) or of Python Worker
        classes (#PYTHON) with the whole engine: parallel steps, retries, timeouts,
        memory caps, the CSV history, per-step logs, the report, the DAG, --resume
        and partial runs.

        THE FILE:
          #SHELL
          #ID|PARENT_IDS|MAX_ATTEMPTS|RETRY_WAIT_TIME|PROCESS_NAME|SHELL_COMMAND|LOGFILE[|TIMEOUT[|MEMORY[|READS[|WRITES]]]]
          1|-1|1|0|Extract|./extract.sh|$ENV{APP_LOG_DIR}/extract.log
          2|1|3|10|Load|./load.sh \\| tee load.out||15m|2GB
          3|2|1|0|Report|./report.sh||||data/loaded.csv|out/report.csv

          PARENT_IDS is -1 for none or ids separated by commas, in any order. Waits and
          the optional TIMEOUT are seconds, or a number with s, m or h. The optional
          MEMORY is the task's memory cap, a size such as 512MB or 2GiB. The optional
          READS and WRITES list the files a task reads and writes (comma-separated
          paths, folders or globs): while its command, parameters and those files
          are unchanged it is not rerun (CACHED); see --explain. LOGFILE may be
          empty; when given it also receives each attempt's output. $ENV{NAME} is
          replaced by the variable NAME (APP_ROOT_DIR defaults to the file's folder,
          APP_LOG_DIR to the run's logs/ folder). Lines starting with # are comments;
          quotes protect a | inside a command (sh -c 'a | b'), or it is written \\|.
          Commands run in the file's folder.

          #PYTHON
          #ID|PARENT_IDS|MAX_ATTEMPTS|RETRY_WAIT_TIME|PROCESS_NAME|MODULE_NAME|WORKER_NAME|ARGUMENTS|LOGFILE[|TIMEOUT[|MEMORY[|READS[|WRITES]]]]
          1|-1|1|0|Start|workers|Start||$ENV{APP_LOG_DIR}/start.log

          Each task runs its Worker class in a Python 3 process of its own, with
          PyRunner's lifecycle and return codes; self.context is the run's shared
          context (JSON values), self.argv is ARGUMENTS split on commas outside
          quotes. Modules come from $APP_WORKER_DIR, else $APP_ROOT_DIR/python, else
          the file's folder. PyRunner's own Worker is used when that Python has it,
          else batchkit's. See docs/PYRUNNER.md.

        COMMANDS:
        \(JobHelp.commandRows(hasTests: false))
        OPTIONS:
        \(JobHelp.runOptionRows(own: ownOptions))
        The options of the other commands: batchkit run FILE.lst --help, or
        batchkit run FILE.lst COMMAND --help.

        EXIT CODES: 0 all passed, 1 a task failed, 64 usage error or invalid task list,
        130/143 interrupted (continue with --resume).

        """
    }

    static func run(_ arguments: [String], workingDirectory: URL) async -> Int32 {
        var arguments = arguments
        let workdirPath: String?, pythonPath: String?, profilePath: String?
        do {
            workdirPath = try take(workdir, from: &arguments)
            pythonPath = try take(python, from: &arguments)
            profilePath = try take(profile, from: &arguments)
        } catch {
            Console.reportError(String(describing: error))
            return ExitCode.usage.rawValue
        }
        guard let path = arguments.first, !path.hasPrefix("-") else {
            if arguments.contains("--help") || arguments.contains("-h") {
                Console.out(help)
                return ExitCode.success.rawValue
            }
            return usage("missing the task list, as in: batchkit run tasks.lst")
        }
        arguments.removeFirst()
        let file = URL(fileURLWithPath: path, relativeTo: workingDirectory).standardizedFileURL
        let folder = file.deletingLastPathComponent()
        let root = workdirPath.map { URL(fileURLWithPath: $0, relativeTo: workingDirectory).standardizedFileURL } ?? folder
        var isFolder: ObjCBool = false
        if let workdir = workdirPath, FileManager.default.fileExists(atPath: root.path, isDirectory: &isFolder), !isFolder.boolValue {
            return usage("--workdir \(workdir) is a file, not a folder; give the folder that should hold logs/")
        }
        let layout = RunLayout(projectDirectory: root, workingDirectory: folder)

        // Help sources no profile.
        let ownWords = arguments.prefix(upTo: arguments.firstIndex(of: "--") ?? arguments.endIndex)
        if let profilePath, !ownWords.contains("--help"), !ownWords.contains("-h") {
            // As PyRunner does, the profile's APP_* variables become the runner's, so every task inherits them.
            do {
                let loaded = try await AppProfile.load(URL(fileURLWithPath: profilePath, relativeTo: workingDirectory).standardizedFileURL)
                for (key, value) in loaded.variables { setenv(key, value, 1) }
            } catch {
                return usage(error.description)
            }
        }
        var environment = ProcessInfo.processInfo.environment
        environment["APP_ROOT_DIR"] = environment["APP_ROOT_DIR"] ?? folder.path
        environment["APP_LOG_DIR"] = environment["APP_LOG_DIR"] ?? layout.logsDirectory.path
        let interpreter = pythonPath.map { path in
            path.contains("/") ? URL(fileURLWithPath: path, relativeTo: workingDirectory).standardizedFileURL.path : ExecutablePath.find(path)
        } ?? ExecutablePath.find("python3")
        let taskList: TaskList
        do {
            taskList = try PhaseTimings.measure("parse") { () throws(TaskList.ParseError) -> TaskList in
                try TaskList(contentsOf: file, environment: environment, interpreter: interpreter ?? "python3")
            }
        } catch {
            Console.reportError(String(describing: error))
            return ExitCode.usage.rawValue
        }
        if taskList.kind == .python {
            guard let interpreter, FileManager.default.isExecutableFile(atPath: interpreter) else {
                return usage(pythonPath.map { "--python \($0) is not an executable file; give the path of a Python 3 interpreter" }
                    ?? "python3 is not on PATH, and a #PYTHON task list runs its workers with it; install Python 3, or give one with --python PATH")
            }
        }
        let publisher = DagPublisher(layout: layout, dotFile: layout.logsDirectory.appendingPathComponent("dag.dot"), readme: nil)
        // How Airflow and schedulers reach this list from anywhere.
        var entry = [ExecutablePath.current, "run", file.path, "--workdir", root.path]
        if let profilePath { entry += [profile.name, URL(fileURLWithPath: profilePath, relativeTo: workingDirectory).standardizedFileURL.path] }
        if taskList.kind == .python, let interpreter, pythonPath != nil { entry += [python.name, interpreter] }
        var jobEnvironment = JobCommand.Environment(
            layout: layout, command: "batchkit run \(ShellWord.quoted(path))", publisher: publisher, invocation: entry, scheduledCommand: entry)
        jobEnvironment.ownOptions = ownOptions
        return await JobCommand.main(taskList.job, arguments: arguments, environment: jobEnvironment)
    }

    /// Takes `option` and its value out of `arguments` (before any `--`:
    /// words after it belong to the command, as in `schedule … -- RUN_OPTIONS`).
    ///
    /// - Throws: ``UsageError`` when it has no value.
    private static func take(_ option: OptionDeclaration, from arguments: inout [String]) throws(UsageError) -> String? {
        let ownWords = arguments.prefix(upTo: arguments.firstIndex(of: "--") ?? arguments.endIndex)
        guard let index = ownWords.firstIndex(where: { $0 == option.name || $0.hasPrefix(option.name + "=") }) else { return nil }
        if arguments[index] == option.name {
            guard index + 1 < arguments.count else {
                throw UsageError("\(option.name) needs a value (\(option.value ?? "")), as in: batchkit run tasks.lst \(option.name) \(option.value ?? "")", command: "batchkit run")
            }
            let value = arguments[index + 1]
            arguments.removeSubrange(index...(index + 1))
            return value
        }
        let value = String(arguments[index].dropFirst(option.name.count + 1))
        arguments.remove(at: index)
        return value
    }

    private static func usage(_ message: String) -> Int32 {
        Console.reportError(String(describing: UsageError(message, command: "batchkit run")))
        return ExitCode.usage.rawValue
    }
}
