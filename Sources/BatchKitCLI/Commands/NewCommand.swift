import BatchKitRunner
import BatchKitCommandLine
import BatchKit
import Foundation

/// `batchkit new NAME [--path DIR] [--template T]`.
enum NewCommand: CLICommand {
    static let name = "new"
    static let help = """
        USAGE: batchkit new NAME [--path DIR] [--template T]

        Creates DIR/NAME/: a batch job as a SwiftPM package in the production layout
        (run.sh, install.sh, numbered steps, post-job tests, unit tests, logs/, docs/,
        development/, data/ with sample input) with BatchKit vendored, so it builds
        offline with only the Swift toolchain.

        ARGUMENTS:
          NAME            The job's name: letters, digits, - and _, starting with a
                          letter (my-job gets the Swift module MyJob).

        OPTIONS:
          --path DIR      The folder to create NAME/ in (default: the current folder).
          --template T    The kind of job:
                            etl        (default) extract → validate → transform → load
                                       over sample orders
                            wordcount  word count on every core with MapReduce
                            logs       web access-log analysis with MapReduce:
                                       requests per status, top paths, bytes per hour
          -h, --help      Show this help.

        An existing, non-empty NAME/ is refused (exit 1) and left untouched.
        A bad NAME is refused with exit 64.

        """

    static func run(_ arguments: [String], workingDirectory: URL) async throws -> String {
        let command = "batchkit new"
        let parsed = try Arguments(arguments, flags: [], options: ["--path", "--template"], command: command)
        guard let rawName = parsed.positionals.first else {
            throw UsageError("missing the job's NAME, as in: batchkit new my-job", command: command)
        }
        if parsed.positionals.count > 1 {
            throw UsageError("expected one NAME, got \(parsed.positionals.count): \(parsed.positionals.joined(separator: " ")) (quote a name with spaces? names cannot have spaces)", command: command)
        }
        let name = try ProjectName(rawName)
        let parent = parsed.value("--path").map { path in
            URL(fileURLWithPath: path, relativeTo: workingDirectory).standardizedFileURL
        } ?? workingDirectory
        let resources = try Resources.locate()
        let target = try ProjectGenerator(resources: resources)
            .generate(name: name, template: parsed.value("--template") ?? "etl", in: parent)

        let shown = target.path.hasPrefix(workingDirectory.standardizedFileURL.path + "/")
            ? String(target.path.dropFirst(workingDirectory.standardizedFileURL.path.count + 1))
            : target.path
        return """
            Created \(name.name) in \(shown)/ (module \(name.module), BatchKit \(BatchKit.version) vendored).

            Next:
              cd \(shown)
              ./run.sh          # build, run the steps and the post-job tests, print the report
              swift test        # unit tests of the steps
              batchkit add step "Score model"   # add the next numbered step

            """
    }
}
