import BatchKitRunner
import BatchKitCommandLine
import BatchKit
import Foundation

/// `batchkit run FILE.lst [COMMAND] [OPTIONS] [--workdir DIR]`: a PyRunner
/// shell task list, through the same engine as a generated job.
enum RunCommand {
    static let name = "run"
    /// `--workdir DIR`, which this command takes out before the job's
    /// command line sees the rest.
    static let workdir = OptionDeclaration.option("--workdir", "DIR", "Where logs/ (history, logs, run state, dag.dot) goes\n(default: the file's folder).")

    static var help: String {
        """
        USAGE: batchkit run FILE.lst [COMMAND] [OPTIONS] [--workdir DIR]

        Runs a PyRunner-style shell task list with the whole engine: parallel steps,
        retries, timeouts, memory caps, the CSV history, per-step logs, the report,
        the DAG, --resume and partial runs.

        THE FILE:
          #SHELL
          #ID|PARENT_IDS|MAX_ATTEMPTS|RETRY_WAIT_TIME|PROCESS_NAME|SHELL_COMMAND|LOGFILE[|TIMEOUT[|MEMORY]]
          1|-1|1|0|Extract|./extract.sh|$ENV{APP_LOG_DIR}/extract.log
          2|1|3|10|Load|./load.sh \\| tee load.out||15m|2GB

          PARENT_IDS is -1 for none or ids separated by commas, in any order. Waits and
          the optional TIMEOUT are seconds, or a number with s, m or h. The optional
          MEMORY is the task's memory cap, a size such as 512MB or 2GiB. LOGFILE may be
          empty; when given it also receives each attempt's output. $ENV{NAME} is
          replaced by the variable NAME (APP_ROOT_DIR defaults to the file's folder,
          APP_LOG_DIR to the run's logs/ folder). Lines starting with # are comments;
          a | inside a command is written \\| (|| as \\|\\|), or the pipeline goes in a
          script. Commands run in the file's folder.

        COMMANDS:
        \(JobHelp.commandRows(hasTests: false))
        OPTIONS:
        \(JobHelp.runOptionRows(own: [workdir]))
        The options of the other commands: batchkit run FILE.lst --help, or
        batchkit run FILE.lst COMMAND --help.

        EXIT CODES: 0 all passed, 1 a task failed, 64 usage error or invalid task list,
        130/143 interrupted (continue with --resume).

        """
    }

    static func run(_ arguments: [String], workingDirectory: URL) async -> Int32 {
        var arguments = arguments
        var workdirPath: String?
        // Words after `--` belong to the command (`schedule … -- RUN_OPTIONS`).
        let ownWords = arguments.prefix(upTo: arguments.firstIndex(of: "--") ?? arguments.endIndex)
        if let index = ownWords.firstIndex(where: { $0 == workdir.name || $0.hasPrefix(workdir.name + "=") }) {
            if arguments[index] == workdir.name {
                guard index + 1 < arguments.count else {
                    return usage("--workdir needs a folder")
                }
                workdirPath = arguments[index + 1]
                arguments.removeSubrange(index...(index + 1))
            } else {
                workdirPath = String(arguments[index].dropFirst(workdir.name.count + 1))
                arguments.remove(at: index)
            }
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

        var environment = ProcessInfo.processInfo.environment
        environment["APP_ROOT_DIR"] = environment["APP_ROOT_DIR"] ?? folder.path
        environment["APP_LOG_DIR"] = environment["APP_LOG_DIR"] ?? layout.logsDirectory.path
        let taskList: TaskList
        do {
            taskList = try PhaseTimings.measure("parse") { () throws(TaskList.ParseError) -> TaskList in
                try TaskList(contentsOf: file, environment: environment)
            }
        } catch {
            Console.reportError(String(describing: error))
            return ExitCode.usage.rawValue
        }
        let publisher = DagPublisher(layout: layout, dotFile: layout.logsDirectory.appendingPathComponent("dag.dot"), readme: nil)
        // How Airflow and schedulers reach this list from anywhere.
        let entry = [ExecutablePath.current, "run", file.path, "--workdir", root.path]
        var jobEnvironment = JobCommand.Environment(
            layout: layout, command: "batchkit run \(ShellWord.quoted(path))", publisher: publisher, invocation: entry, scheduledCommand: entry)
        jobEnvironment.ownOptions = [workdir]
        return await JobCommand.main(taskList.job, arguments: arguments, environment: jobEnvironment)
    }

    private static func usage(_ message: String) -> Int32 {
        Console.reportError(String(describing: UsageError(message, command: "batchkit run")))
        return ExitCode.usage.rawValue
    }
}
