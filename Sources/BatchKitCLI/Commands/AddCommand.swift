import BatchKitRunner
import BatchKitCommandLine
import BatchKit
import Foundation

/// `batchkit add step "NAME" [--after IDS] [--path DIR]`.
enum AddCommand: CLICommand {
    static let name = "add"
    static let help = """
        USAGE: batchkit add step "NAME" [--after IDS] [--path DIR]

        Adds a step to the job in the current folder (or DIR): creates the next
        numbered file, Sources/<Module>/NN_name.swift, with a step to fill in,
        adds the step to the `steps:` list in Sources/<Module>/Job.swift, and
        adds a row for it to the Steps table of README.md (the first table with
        File and Step columns; the rest of the README is left as it is).

        ARGUMENTS:
          NAME            The step's name, as shown in reports, e.g. "Score model".

        OPTIONS:
          --after IDS     Comma-separated ids of the steps it depends on (default:
                          the previous step).
          --path DIR      The job's folder (default: the current folder or a parent).
          -h, --help      Show this help.

        """

    static func run(_ arguments: [String], workingDirectory: URL) async throws -> String {
        let command = "batchkit add"
        let parsed = try Arguments(arguments, flags: [], options: ["--after", "--path"], command: command)
        guard parsed.positionals.first == "step" else {
            throw UsageError("expected 'batchkit add step \"NAME\"'", command: command)
        }
        guard parsed.positionals.count == 2 else {
            throw UsageError("expected one step NAME in quotes, as in: batchkit add step \"Score model\"", command: command)
        }
        var parents: [Int]?
        if let after = parsed.value("--after") {
            let ids = after.split(separator: ",", omittingEmptySubsequences: false).map { Int($0.trimmingCharacters(in: .whitespaces)) }
            guard !ids.isEmpty, ids.allSatisfy({ ($0 ?? 0) > 0 }) else {
                throw UsageError("--after takes step ids separated by commas, like 2,3; got \"\(after)\"", command: command)
            }
            parents = ids.compactMap { $0 }
        }
        let start = parsed.value("--path").map { URL(fileURLWithPath: $0, relativeTo: workingDirectory) } ?? workingDirectory
        let project = try JobProject.find(from: start)
        let added = try StepAdder(project: project, resources: try Resources.locate())
            .add(name: parsed.positionals[1], parents: parents)
        let relativeFile = "Sources/\(project.module)/\(added.file.lastPathComponent)"
        var output = """
            Created \(relativeFile) (step \(added.number < 10 ? "0" : "")\(added.number)) and added .\(added.property) to Sources/\(project.module)/Job.swift.
            Write the step's body, then run ./run.sh.

            """
        switch added.readme {
        case .listed:
            output += "Listed it in README.md's Steps table; fill in what it reads and writes there.\n"
        case .noTable:
            output += "Note: README.md has no Steps table (a Markdown table with File and Step columns), so the step is not listed there; add it by hand if the README lists steps.\n"
        case .failed(let reason):
            output += "Note: \(reason), so the step is not listed in its Steps table; add it by hand.\n"
        }
        for file in added.unlisted {
            output += "Note: Sources/\(project.module)/\(file) declares a step that is not in the `steps:` list; ./run.sh will refuse to run until it is listed.\n"
        }
        return output
    }
}
