import Foundation

/// A fenced block of a Markdown file that `DocumentedCommandsTests` runs or
/// applies, marked by an HTML comment on the line before its fence (hidden
/// when the Markdown is rendered):
///
/// - `<!-- doc-test: run -->`: a `console` block. Each `$ ` line is a command
///   run with `bash -c` in the job's folder; the lines after it, up to the
///   next command, are what it shows. A trailing `# exit N` is the exit code
///   it must give (default 0). Dates are masked, as today's differs from run
///   to run; `<!-- doc-test: run exact-dates -->` compares them as shown, for
///   commands whose every date is given (`--date 2026-11-03`).
/// - `<!-- doc-test: file PATH -->`: the block is the whole content of PATH.
/// - `<!-- doc-test: diff PATH -->`: a `diff` block; its context and `-`
///   lines must occur once in PATH and are replaced by its context and `+` lines.
/// - `<!-- doc-test: params PATH -->`: a `"params": {…}` JSON fragment whose
///   entries are added to the `params` of the JSON file PATH.
/// - `<!-- doc-test: quick-start -->`: the README's quick start, two commands.
/// - `<!-- doc-test: output -->`: what the quick start's first command shows.
struct DocTestBlock: Equatable {
    enum Kind: Equatable {
        case run
        case file(String)
        case diff(String)
        case params(String)
        case quickStart
        case output
    }

    /// A command of a `run` block and the lines it shows.
    struct Command: Equatable {
        let text: String
        let expectedStatus: Int32
        let shown: [String]
    }

    let kind: Kind
    /// The 1-based line of the marker, for messages.
    let line: Int
    /// The lines between the fences.
    let body: [String]
    /// Whether a `run` block's dates are compared as shown (`exact-dates`)
    /// rather than masked.
    var exactDates = false

    /// The marked blocks of `markdown`, in order.
    static func blocks(in markdown: String) throws -> [DocTestBlock] {
        let lines = markdown.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        var blocks: [DocTestBlock] = []
        var index = 0
        while index < lines.count {
            defer { index += 1 }
            let line = lines[index].trimmingCharacters(in: .whitespaces)
            guard line.hasPrefix("<!-- doc-test:"), line.hasSuffix("-->") else { continue }
            let words = line.dropFirst("<!-- doc-test:".count).dropLast(3).split(separator: " ").map(String.init)
            let marker = index + 1
            guard index + 1 < lines.count, lines[index + 1].hasPrefix("```") else {
                throw DocTestError("line \(marker): a doc-test marker must be followed by a fenced block")
            }
            var body: [String] = []
            var end = index + 2
            while end < lines.count, lines[end] != "```" {
                body.append(lines[end])
                end += 1
            }
            guard end < lines.count else { throw DocTestError("line \(marker): the fenced block never ends") }
            let kind: Kind
            var exactDates = false
            switch (words.first, words.count) {
            case ("run", 1): kind = .run
            case ("run", 2) where words[1] == "exact-dates":
                kind = .run
                exactDates = true
            case ("file", 2): kind = .file(words[1])
            case ("diff", 2): kind = .diff(words[1])
            case ("params", 2): kind = .params(words[1])
            case ("quick-start", 1): kind = .quickStart
            case ("output", 1): kind = .output
            default: throw DocTestError("line \(marker): unknown doc-test marker \(line)")
            }
            blocks.append(DocTestBlock(kind: kind, line: marker, body: body, exactDates: exactDates))
            index = end
        }
        return blocks
    }

    /// The commands of a `run` block with what each shows.
    var commands: [Command] {
        var commands: [Command] = []
        var text: String?
        var shown: [String] = []
        func finish() {
            guard let command = text else { return }
            var status: Int32 = 0
            if let range = command.range(of: "# exit ", options: .backwards), let code = Int32(command[range.upperBound...]) {
                status = code
            }
            commands.append(Command(text: command, expectedStatus: status, shown: shown))
        }
        for line in body {
            if line.hasPrefix("$ ") {
                finish()
                text = String(line.dropFirst(2))
                shown = []
            } else {
                shown.append(line)
            }
        }
        finish()
        return commands
    }

    /// The file's text after a `diff` block is applied to `text`.
    func applyDiff(to text: String) throws -> String {
        let old = body.filter { !$0.hasPrefix("+") }.map { String($0.dropFirst()) }.joined(separator: "\n") + "\n"
        let new = body.filter { !$0.hasPrefix("-") }.map { String($0.dropFirst()) }.joined(separator: "\n") + "\n"
        let occurrences = text.components(separatedBy: old).count - 1
        guard occurrences == 1 else {
            throw DocTestError("line \(line): the diff's context and - lines occur \(occurrences) times, not once:\n\(old)")
        }
        return text.replacingOccurrences(of: old, with: new)
    }

    /// A line as compared: what differs from run to run (times, durations,
    /// sizes, dates unless `exactDates`, run ids, the slowest-step marks,
    /// column padding) masked.
    static func normalized(_ line: String, exactDates: Bool = false) -> String {
        var text = line
        text = text.replacing(#/◀ (#\d+ )?slowest/#, with: "")
        text = text.replacing(#/\d{8}T\d{6}\.\d{3}Z-[0-9a-f]{4}/#, with: "<run>")
        text = text.replacing(#/\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z/#, with: "<time>")
        if !exactDates { text = text.replacing(#/\d{4}-\d{2}-\d{2}/#, with: "<date>") }
        text = text.replacing(#/\d+(\.\d+)? s\b/#, with: "<n> s")
        text = text.replacing(#/\d+(\.\d+)? (KB|MB|GB)\b/#, with: "<n> MB")
        text = text.replacing(#/\d+(\.\d+)?×/#, with: "<n>×")
        return text.split(whereSeparator: \.isWhitespace).joined(separator: " ")
    }

    /// The shown lines that are not in `output` once both are normalized;
    /// blank lines and `…` (lines left out) are not compared. Lines end at
    /// LF or CRLF (a CSV file the job wrote).
    static func missingLines(_ shown: [String], in output: String, exactDates: Bool = false) -> [String] {
        let actual = Set(output.split(whereSeparator: \.isNewline).map { normalized(String($0), exactDates: exactDates) })
        return shown.filter { line in
            let expected = normalized(line, exactDates: exactDates)
            return !expected.isEmpty && expected != "…" && !actual.contains(expected)
        }
    }
}

/// A doc-test marker or block that cannot be used as written.
struct DocTestError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
