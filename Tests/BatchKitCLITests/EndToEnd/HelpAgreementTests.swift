import BatchKit
import Foundation
import TestSupport
import Testing

/// What `--help` shows and what the parsers take agree, through the real
/// binary: every option a help lists is accepted by its command (and only
/// by the commands that list it), every command listed exists, and each
/// command's own `--help` lists what the job's help lists for it.
@Suite struct HelpAgreementTests {
    /// An option as a help shows it: `--jobs` and whether it takes a value.
    struct ShownOption: Hashable, CustomStringConvertible {
        let name: String
        let takesValue: Bool
        var description: String { name }
    }

    /// The option rows of `text` (`  --jobs N        Run at most…`, `  -h, --help …`).
    static func optionRows(_ text: Substring) -> [ShownOption] {
        text.split(separator: "\n").compactMap { line -> ShownOption? in
            var rest = line.drop { $0 == " " }
            guard line.count - rest.count >= 2, line.count - rest.count <= 3 else { return nil }
            if rest.hasPrefix("-h, ") { rest = rest.dropFirst(4) }
            guard rest.hasPrefix("--"), let first = rest.dropFirst(2).first, first.isLetter else { return nil }
            let name = rest.prefix { $0 != " " }
            let after = rest.dropFirst(name.count)
            // One space then a word is a value's placeholder; two or more start the text.
            let takesValue = after.hasPrefix(" ") && !after.hasPrefix("  ")
            return ShownOption(name: String(name), takesValue: takesValue)
        }
    }

    /// The options of a `USAGE:` line: `[--since DATE]`, `--keep-runs N`.
    static func usageOptions(_ text: String) -> Set<String> {
        guard let usage = text.split(separator: "\n").first(where: { $0.hasPrefix("USAGE:") }) else { return [] }
        return Set(usage.split(whereSeparator: { " []|".contains($0) }).filter { $0.hasPrefix("--") && $0.count > 2 }.map(String.init))
    }

    /// The sections of a help (`RUN OPTIONS:` → its text), by title.
    static func sections(_ text: String) -> [String: Substring] {
        var result: [String: Substring] = [:]
        var title: String?
        var start = text.startIndex
        var index = text.startIndex
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            let lineStart = index
            index = text.index(line.endIndex, offsetBy: line.endIndex < text.endIndex ? 1 : 0)
            guard let first = line.first, first.isUppercase, line.hasSuffix(":") else { continue }
            if let title { result[title] = text[start..<lineStart] }
            title = String(line.dropLast())
            start = index
        }
        if let title { result[title] = text[start...] }
        return result
    }

    /// The job commands whose options a section of the job's help lists.
    static let sectionCommands = [
        "RUN OPTIONS": "run", "DAG OPTIONS": "dag", "REPORT OPTIONS": "report", "HISTORY OPTIONS": "history",
        "EXPORT OPTIONS": "export", "SCHEDULE OPTIONS": "schedule", "PRUNE OPTIONS": "prune",
    ]

    /// `batchkit run --workdir`, `--python`, `--profile`: taken by `batchkit run` in front of any command.
    static let ownOptions: Set<String> = ["--workdir", "--python", "--profile"]

    func batchkit(_ arguments: [String], in directory: TemporaryDirectory) async throws -> CommandResult {
        try await runProgram(try batchkitBinary(), arguments, in: directory.url)
    }

    func taskList() throws -> TemporaryDirectory {
        let directory = try TemporaryDirectory()
        try directory.write("t.lst", "#SHELL\n1|-1|1|0|hello|echo hi|\n")
        return directory
    }

    /// Whether `command` accepts `option`: it is parsed, then `--help` wins.
    func accepts(_ command: String, _ option: ShownOption, in directory: TemporaryDirectory) async throws -> (Bool, String) {
        let result = try await batchkit(["run", "t.lst", command, option.name] + (option.takesValue ? ["1"] : []) + ["--help"], in: directory)
        return (result.status == 0, result.stderr)
    }

    @Test func everyOptionTheJobsHelpShowsIsTakenByItsCommandAndByNoOther() async throws {
        let directory = try taskList()
        let help = try await batchkit(["run", "t.lst", "--help"], in: directory)
        #expect(help.status == 0)
        let sections = Self.sections(help.stdout)
        #expect(Set(sections.keys).isSuperset(of: Self.sectionCommands.keys), "\(sections.keys.sorted())")
        var shown: [String: [ShownOption]] = [:]
        for (title, command) in Self.sectionCommands {
            shown[command] = Self.optionRows(sections[title] ?? "").filter { !Self.ownOptions.contains($0.name) }
            #expect(shown[command]?.isEmpty == false, "no options shown under \(title)")
        }
        let everyOption = Set(shown.values.joined()).filter { $0.name != "--help" }
        for (command, options) in shown.sorted(by: { $0.key < $1.key }) {
            let listed = Set(options.map(\.name))
            for option in everyOption.sorted(by: { $0.name < $1.name }) {
                let (accepted, stderr) = try await accepts(command, option, in: directory)
                if listed.contains(option.name) {
                    #expect(accepted, "`\(command)` is shown with \(option) but refuses it: \(stderr)")
                } else {
                    #expect(!accepted, "`\(command)` takes \(option), which its help does not show")
                    #expect(accepted || stderr.contains("unknown option \(option.name)"), "\(stderr)")
                }
            }
            let own = try await batchkit(["run", "t.lst", command, "--workdir", directory.url.path, "--help"], in: directory)
            #expect(own.status == 0, "--workdir is taken in front of every command: \(own.stderr)")
        }
    }

    @Test func everyCommandTheJobsHelpShowsExistsAndTheUnknownOneNamesThem() async throws {
        let directory = try taskList()
        let help = try await batchkit(["run", "t.lst", "--help"], in: directory)
        let commands = (Self.sections(help.stdout)["COMMANDS"] ?? "").split(separator: "\n")
            .filter { $0.hasPrefix("  ") && $0.dropFirst(2).first?.isLetter == true }
            .compactMap { $0.split(separator: " ").first.map(String.init) }
        #expect(commands == ["run", "steps", "dag", "report", "history", "export", "schedule", "prune", "help", "version"])
        for command in commands {
            let result = try await batchkit(["run", "t.lst", command, "--help"], in: directory)
            #expect(result.status == 0 && !result.stdout.isEmpty, "\(command): \(result.stderr)")
        }
        let unknown = try await batchkit(["run", "t.lst", "nope"], in: directory)
        #expect(unknown.stderr.contains("commands are \(commands.joined(separator: ", "))"), "\(unknown.stderr)")
    }

    @Test func eachCommandsOwnHelpShowsWhatTheJobsHelpShowsForIt() async throws {
        let directory = try taskList()
        let sections = Self.sections(try await batchkit(["run", "t.lst", "--help"], in: directory).stdout)
        for (title, command) in Self.sectionCommands where command != "run" {
            let inJobHelp = Set(Self.optionRows(sections[title] ?? "").map(\.name))
            let own = try await batchkit(["run", "t.lst", command, "--help"], in: directory).stdout
            let inOwnHelp = Set(Self.optionRows(Substring(own)).map(\.name)).union(Self.usageOptions(own)).subtracting(["--help"])
            #expect(inOwnHelp == inJobHelp, "`\(command) --help` shows \(inOwnHelp.sorted()); the job's help \(inJobHelp.sorted())")
        }
    }

    @Test func batchkitRunHelpShowsTheMemoryColumnEveryCommandAndEveryRunOption() async throws {
        let directory = try taskList()
        let runHelp = try await batchkit(["run", "--help"], in: directory)
        #expect(runHelp.status == 0)
        #expect(try await batchkit(["help", "run"], in: directory).stdout == runHelp.stdout)
        #expect(runHelp.stdout.contains("#ID|PARENT_IDS|MAX_ATTEMPTS|RETRY_WAIT_TIME|PROCESS_NAME|SHELL_COMMAND|LOGFILE[|TIMEOUT[|MEMORY[|READS[|WRITES]]]]"))
        #expect(runHelp.stdout.contains("MEMORY is the task's memory cap"))
        let jobHelp = Self.sections(try await batchkit(["run", "t.lst", "--help"], in: directory).stdout)
        let sections = Self.sections(runHelp.stdout)
        #expect(sections["COMMANDS"] == jobHelp["COMMANDS"], "batchkit run --help lists the job's commands, schedule and prune included")
        let options = Self.optionRows(sections["OPTIONS"] ?? "")
        #expect(options == Self.optionRows(jobHelp["RUN OPTIONS"] ?? ""))
        #expect(options.contains(ShownOption(name: "--workdir", takesValue: true)))
        for option in options where option.name != "--help" {
            let (accepted, stderr) = try await accepts("run", option, in: directory)
            #expect(accepted, "batchkit run --help shows \(option), which it refuses: \(stderr)")
        }
    }

    @Test func theParsingHelpersReadTheHelpsLayout() {
        let rows = Self.optionRows("  --jobs N        Run\n                  more --text\n  --fail-fast     Stop\n  -h, --help      Help\n  -- RUN_OPTIONS  Rest\n")
        #expect(rows.map(\.description) == ["--jobs", "--fail-fast", "--help"])
        #expect(rows.map(\.takesValue) == [true, false, false])
        #expect(Self.usageOptions("USAGE: x prune --keep-runs N | --keep-days D [--dry-run] [-- RUN]\n") == ["--keep-runs", "--keep-days", "--dry-run"])
        #expect(Self.sections("A:\n  x\nB OPTIONS:\n  y\n").mapValues(String.init) == ["A": "  x\n", "B OPTIONS": "  y\n"])
    }
}
