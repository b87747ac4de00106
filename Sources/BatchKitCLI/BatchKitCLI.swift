import BatchKitRunner
import BatchKitCommandLine
import BatchKit
import Foundation

/// The `batchkit` command: dispatches to a subcommand and turns errors into
/// messages on standard error and documented exit codes.
public enum BatchKitCLI {
    /// Every subcommand, by name.
    static let commands: [String: any CLICommand.Type] = [
        NewCommand.name: NewCommand.self,
        AddCommand.name: AddCommand.self,
        UpgradeCommand.name: UpgradeCommand.self,
    ]

    static let help = """
        batchkit \(BatchKit.version): production batch jobs in Swift

        USAGE: batchkit <command> [options]

        COMMANDS:
          new NAME [--path DIR] [--template T]
                          Create the job NAME/ (a SwiftPM package) and print how to run it.
          add step "NAME" [--after IDS] [--path DIR]
                          Add the next numbered step to the job in the current folder (or DIR).
          upgrade [--path DIR] [--force]
                          Replace the job's vendored BatchKit with this batchkit's version.
          run FILE.lst [OPTIONS]
                          Run a PyRunner task list (#SHELL or #PYTHON) through the same engine.
          pyrunner -c PROFILE -l FILE.lst [FLAGS]
                          PyRunner's command line, as a drop-in for the pyrunner command.
          help [COMMAND]  Show help for batchkit or a command.

        OPTIONS:
          -h, --help      Show help.
          --version       Print the version.

        A generated job runs with ./run.sh in its folder; ./run.sh --help lists its commands.
        Exit codes: 0 success, 1 failure, 64 usage error.

        """

    /// Runs `batchkit` with `arguments` (without the program name).
    ///
    /// - Returns: The exit code.
    public static func main(_ arguments: [String], workingDirectory: URL = URL(fileURLWithPath: FileManager.default.currentDirectoryPath)) async -> Int32 {
        Console.ignoreBrokenPipe()
        guard let first = arguments.first else {
            Console.out(help)
            return ExitCode.success.rawValue
        }
        switch first {
        case "-h", "--help":
            Console.out(help)
            return ExitCode.success.rawValue
        case "--version":
            Console.out("batchkit \(BatchKit.version)\n")
            return ExitCode.success.rawValue
        case "__exec", "__step", "__checks", "__cluster-step":
            // A child of `batchkit run`: shell steps are wrapped by the binary that runs them.
            return await JobCommand.main(Job("batchkit", steps: []), arguments: arguments)
        case RunCommand.name:
            if arguments.count == 2, ["--help", "-h"].contains(arguments[1]) {
                Console.out(RunCommand.help)
                return ExitCode.success.rawValue
            }
            return await RunCommand.run(Array(arguments.dropFirst()), workingDirectory: workingDirectory)
        case PyRunnerCommand.name:
            return await PyRunnerCommand.run(Array(arguments.dropFirst()), workingDirectory: workingDirectory)
        case "help":
            if arguments.dropFirst().first == RunCommand.name {
                Console.out(RunCommand.help)
                return ExitCode.success.rawValue
            }
            if arguments.dropFirst().first == PyRunnerCommand.name {
                Console.out(PyRunnerCommand.help)
                return ExitCode.success.rawValue
            }
            if let name = arguments.dropFirst().first {
                guard let command = commands[name] else { return report(unknownCommand(name)) }
                Console.out(command.help)
            } else {
                Console.out(help)
            }
            return ExitCode.success.rawValue
        default:
            break
        }
        guard let command = commands[first] else { return report(unknownCommand(first)) }
        let rest = Array(arguments.dropFirst())
        if rest.contains("--help") || rest.contains("-h") {
            Console.out(command.help)
            return ExitCode.success.rawValue
        }
        do {
            let output = try await command.run(rest, workingDirectory: workingDirectory)
            Console.out(output)
            return ExitCode.success.rawValue
        } catch let error as UsageError {
            return report(error)
        } catch let error as GeneratorError {
            Console.reportError(String(describing: error))
            return error.exitCode.rawValue
        } catch {
            Console.reportError(ErrorDescription.of(error))
            return ExitCode.failure.rawValue
        }
    }

    /// "unknown command 'nwe' (did you mean new?); commands: add, help, new, pyrunner, run, upgrade".
    private static func unknownCommand(_ name: String) -> UsageError {
        let names = (commands.keys + [RunCommand.name, PyRunnerCommand.name, "help"]).sorted()
        return UsageError(
            "unknown command '\(name)'\(Suggestion.hint(for: name, among: names)); commands: \(names.joined(separator: ", "))", command: "batchkit")
    }

    private static func report(_ error: UsageError) -> Int32 {
        Console.reportError(String(describing: error))
        return ExitCode.usage.rawValue
    }
}

/// A `batchkit` subcommand.
protocol CLICommand: Sendable {
    /// The word that selects it.
    static var name: String { get }
    /// Its `--help` text.
    static var help: String { get }
    /// Runs it and returns what to print on standard output.
    static func run(_ arguments: [String], workingDirectory: URL) async throws -> String
}
