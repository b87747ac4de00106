import BatchKit

/// One option of a command, declared once: its name, whether it takes a
/// value, and its help. ``Arguments`` parses with the declarations and
/// ``helpText(_:)`` shows them, so what `--help` lists and what the command
/// accepts cannot drift apart.
///
/// ```swift
/// static let options: [OptionDeclaration] = [
///     .option("--keep-runs", "N", "Keep the job's N newest runs."),
///     .flag("--dry-run", "List what would be removed; remove nothing."),
///     .help,
/// ]
/// ```
package struct OptionDeclaration: Sendable, Equatable {
    /// The option as typed, `--jobs`.
    package let name: String
    /// The placeholder of its value (`N`, `IDS`), or `nil` for a flag.
    package let value: String?
    /// Whether the value, step ids, may be left out (`--force [IDS]`).
    package var valueIsOptional = false
    /// What it does; more lines are separated by `\n` and indented under
    /// the first.
    package let summary: String

    /// An option that takes a value: `--jobs N`, `--jobs=N`.
    package static func option(_ name: String, _ value: String, _ summary: String) -> OptionDeclaration {
        OptionDeclaration(name: name, value: value, summary: summary)
    }

    /// An option without a value: `--fail-fast`.
    package static func flag(_ name: String, _ summary: String) -> OptionDeclaration {
        OptionDeclaration(name: name, value: nil, summary: summary)
    }

    /// An option whose value, step ids, may be left out: `--force`,
    /// `--force 2,5`, `--force=2,5`.
    package static func optionalIDs(_ name: String, _ value: String, _ summary: String) -> OptionDeclaration {
        var declaration = OptionDeclaration(name: name, value: value, summary: summary)
        declaration.valueIsOptional = true
        return declaration
    }

    /// `-h, --help`, which every command takes.
    package static let help = flag("--help", "Show this help.")

    /// `--jobs N`, or `-h, --help` for ``help``.
    var label: String {
        (name == "--help" ? "-h, --help" : name) + (value.map { valueIsOptional ? " [\($0)]" : " \($0)" } ?? "")
    }

    /// The help rows of `options` (see ``HelpText/rows(_:)``).
    package static func helpText(_ options: [OptionDeclaration]) -> String {
        HelpText.rows(options.map { ($0.label, $0.summary) })
    }
}

extension Arguments {
    /// Parses `arguments` against the options a command declares.
    ///
    /// - Throws: ``UsageError`` for an option not declared (with the nearest
    ///   declared name, when one is close) or a missing value.
    package init(_ arguments: [String], declared options: [OptionDeclaration], command: String) throws(UsageError) {
        try self.init(
            arguments, flags: Set(options.filter { $0.value == nil }.map(\.name)),
            options: Set(options.compactMap { $0.value == nil || $0.valueIsOptional ? nil : $0.name }),
            optionalIDs: Set(options.filter(\.valueIsOptional).map(\.name)), command: command)
    }
}
