import Foundation

/// The Steps table of a job's README: a Markdown table whose header has a
/// `File` and a `Step` column, one row per step, which `batchkit add step`
/// extends so that the README keeps listing every step.
///
/// Only the table's rows change; every other line of the README (the user's
/// own edits included) is kept byte for byte.
enum StepsTable {
    /// One step to list.
    struct Row: Equatable {
        /// The step file from the job folder: `Sources/MyJob/05_score_model.swift`.
        var file: String
        var name: String
        /// Display ids of the step's parents (`["02", "03"]`); empty for none.
        var after: [String]
    }

    /// `readme` with `row` appended to its Steps table; `nil` when it has
    /// no table with a `File` and a `Step` column.
    ///
    /// Columns other than File, Step and After (`Reads`, `Writes`, …) get
    /// `—`, for the author to fill in.
    static func appending(_ row: Row, to readme: String) -> String? {
        // By scalar, as "\r\n" is one Character and would not split at "\n".
        var lines = readme.unicodeScalars.split(separator: "\n", omittingEmptySubsequences: false).map { String($0) }
        guard let (header, last) = table(in: lines) else { return nil }
        let columns = cells(lines[header])
        let ending = lines[last].hasSuffix("\r") ? "\r" : ""
        let values = columns.map { column -> String in
            switch column.lowercased() {
            case "file": "`\(row.file)`"
            case "step": escaped(row.name)
            case "after": row.after.isEmpty ? "—" : row.after.joined(separator: ", ")
            default: "—"
            }
        }
        lines.insert("| " + values.joined(separator: " | ") + " |" + ending, at: last + 1)
        return lines.joined(separator: "\n")
    }

    /// The line numbers of the first Steps table's header and of its last row.
    static func table(in lines: [String]) -> (header: Int, last: Int)? {
        var index = 0
        while index + 1 < lines.count {
            let names = Set(cells(lines[index]).map { $0.lowercased() })
            if isRow(lines[index]), names.contains("file"), names.contains("step"), isSeparator(lines[index + 1]) {
                var last = index + 1
                while last + 1 < lines.count, isRow(lines[last + 1]) { last += 1 }
                return (index, last)
            }
            index += 1
        }
        return nil
    }

    private static func isRow(_ line: String) -> Bool {
        line.trimmingCharacters(in: .whitespaces).hasPrefix("|")
    }

    private static func isSeparator(_ line: String) -> Bool {
        let cells = cells(line)
        return isRow(line) && !cells.isEmpty && cells.allSatisfy { cell in
            !cell.isEmpty && cell.allSatisfy { $0 == "-" || $0 == ":" } && cell.contains("-")
        }
    }

    /// The trimmed cells of a table row (`| a | b |` → `["a", "b"]`); a
    /// `\|` stays inside its cell.
    static func cells(_ line: String) -> [String] {
        var text = Substring(line.trimmingCharacters(in: .whitespacesAndNewlines))
        guard text.first == "|" else { return [] }
        text = text.dropFirst()
        var cells: [String] = []
        var current = ""
        var escaping = false
        for character in text {
            if escaping {
                current.append(character)
                escaping = false
            } else if character == "\\" {
                current.append(character)
                escaping = true
            } else if character == "|" {
                cells.append(current.trimmingCharacters(in: .whitespaces))
                current = ""
            } else {
                current.append(character)
            }
        }
        let tail = current.trimmingCharacters(in: .whitespaces)
        if !tail.isEmpty { cells.append(tail) }
        return cells
    }

    /// A step name as table text: `|` would end the cell, a line break the row.
    static func escaped(_ name: String) -> String {
        String(name.flatMap { character -> [Character] in
            if character == "|" { return ["\\", "|"] }
            if character.isNewline { return [" "] }
            return [character]
        })
    }
}
