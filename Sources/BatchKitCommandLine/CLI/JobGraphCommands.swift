import BatchKit
import BatchKitRunner
import Foundation

/// `steps` and `dag`: the job's definition, without running anything.
enum JobGraphCommands {
    /// The options of `dag`, as `--help` shows them and the parser takes them.
    static let dagOptions: [OptionDeclaration] = [
        .option("--format", "F", "dot (default), mermaid, text, or svg (svg needs Graphviz)."),
        .help,
    ]

    /// `steps`: each step's id, name, parents, file and memory cap.
    static func steps(_ job: Job, environment: JobCommand.Environment, arguments: [String]) throws -> Int32 {
        let command = "\(environment.command) steps"
        let parsed = try Arguments(arguments, declared: [.help], command: command)
        if parsed.has("--help") {
            Console.out("USAGE: \(command)\n\nLists each step: its id, name, parents, where it is declared, and its memory cap.\n")
            return ExitCode.success.rawValue
        }
        if let extra = parsed.positionals.first {
            throw UsageError("unexpected argument '\(extra)'", command: command)
        }
        let graph = try JobRunner(job: job, layout: environment.layout).validate()
        Console.out(listing(graph, job: job, projectDirectory: environment.layout.projectDirectory))
        return ExitCode.success.rawValue
    }

    /// One line per step: `05  Trap  (after: 04; Sources/MyJob/05_trap.swift)`.
    /// A Swift step's file is given from the job's folder, as an editor or
    /// `git` names it; a task's as `tasks.lst:3`.
    static func listing(_ graph: JobGraph, job: Job, projectDirectory: URL) -> String {
        let files = StepSourceCheck.sourcePaths(job: job, projectDirectory: projectDirectory)
        var text = ""
        for step in graph.steps {
            let parents = graph.parents[step.id] ?? []
            let after = parents.isEmpty ? "-" : parents.map { $0.display }.joined(separator: ",")
            let memory = step.policy.memory.map { "; memory \($0)" } ?? ""
            let source = files[step.source] ?? step.source
            text += "\(step.displayID)  \(VisibleText.line(step.name))  (after: \(after); \(VisibleText.line(source))\(memory))\n"
        }
        return text
    }

    /// `dag [--format dot|mermaid|text|svg]`.
    static func dag(_ job: Job, environment: JobCommand.Environment, arguments: [String]) async throws -> Int32 {
        let command = "\(environment.command) dag"
        let parsed = try Arguments(arguments, declared: dagOptions, command: command)
        if parsed.has("--help") {
            Console.out("USAGE: \(command) [--format dot|mermaid|text|svg]\n\nPrints the job's DAG without running anything.\n\nOPTIONS:\n"
                + OptionDeclaration.helpText(dagOptions))
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
}
