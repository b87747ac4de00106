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
        /// Options of the command in front of the job (`batchkit run`'s
        /// `--workdir`), which that command parses; help lists them with the
        /// run options.
        package var ownOptions: [OptionDeclaration] = []

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
                return try JobGraphCommands.steps(job, environment: environment, arguments: arguments)
            case "dag":
                return try await JobGraphCommands.dag(job, environment: environment, arguments: arguments)
            case "report":
                return try JobInfoCommands.report(job, environment: environment, arguments: arguments)
            case "history":
                return try JobInfoCommands.history(job, environment: environment, arguments: arguments)
            case "help":
                Console.out(JobHelp.text(job, environment: environment))
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
                let names = JobHelp.commands.map(\.name)
                throw UsageError(
                    "unknown command '\(subcommand)'\(Suggestion.hint(for: subcommand, among: names)); commands are \(names.joined(separator: ", "))",
                    command: command)
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
