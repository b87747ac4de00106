import BatchKitRunner
import BatchKitCommandLine
import BatchKit
import Foundation

/// `batchkit add step`: writes the next numbered step file and adds the step
/// to the `steps:` list in `Job.swift`, both or neither, then lists it in the
/// README's Steps table when the README has one.
struct StepAdder {
    let project: JobProject
    let resources: Resources

    struct Added {
        let file: URL
        let number: Int
        let property: String
        /// Numbered files whose step is missing from the `steps:` list.
        let unlisted: [String]
        /// Whether the README's Steps table lists the step now.
        let readme: ReadmeUpdate
    }

    /// What became of the README's Steps table.
    enum ReadmeUpdate: Equatable {
        case listed
        /// The README has no table with File and Step columns (or no README).
        case noTable
        /// The README could not be read or written; the reason, in our words.
        case failed(String)
    }

    /// Adds step `name`, after `parents` (or the previous step when nil).
    func add(name: String, parents: [Int]?) throws(GeneratorError) -> Added {
        let trimmed = name.trimmingCharacters(in: .whitespaces)
        guard !trimmed.isEmpty, !trimmed.contains(where: \.isNewline) else {
            throw GeneratorError(.usage, "the step name must be one non-empty line, like \"Score model\"")
        }
        let files = project.stepFiles()
        let declarations = StepDeclarations(folder: project.stepsFolder, files: files.values.flatMap { $0 })
        if let existing = declarations.file(named: trimmed) {
            throw GeneratorError(.usage, "a step named \"\(trimmed)\" already exists in Sources/\(project.module)/\(existing); choose another name")
        }
        let number = (files.keys.max() ?? 0) + 1
        if let parents, let unknown = parents.first(where: { files[$0] == nil }) {
            throw GeneratorError(.usage, "--after \(unknown): there is no step \(unknown) in \(project.stepsFolder.path)")
        }
        let fileName = StepFileName.make(number: number, name: trimmed)
        let file = project.stepsFolder.appendingPathComponent(fileName)

        let jobText: String
        do {
            jobText = try String(contentsOf: project.jobFile, encoding: .utf8)
        } catch {
            throw GeneratorError(.io, "cannot read \(project.jobFile.path): \(ErrorDescription.of(error))")
        }
        let property = uniqueProperty(for: trimmed)
        guard let updatedJob = StepList.inserting(".\(property)", into: jobText) else {
            throw GeneratorError(
                .io,
                "cannot find the `steps: [ … ]` list in \(project.jobFile.path); nothing was changed. Add the step by hand: create \(fileName) and list .\(property) in `steps:`")
        }

        let after = parents.map { ", after: [\($0.map(String.init).joined(separator: ", "))]" } ?? ""
        let values = [
            "STEP_NAME_LITERAL": Self.swiftStringLiteral(trimmed),
            "STEP_NAME_COMMENT": VisibleText.line(trimmed),
            "STEP_PROPERTY": property,
            "STEP_AFTER": after,
        ]
        let template = TemplateTree(source: resources.templates.appendingPathComponent("step"), values: values)
        do {
            let text = try String(contentsOf: resources.templates.appendingPathComponent("step/NN_step.swift"), encoding: .utf8)
            try Data(template.fill(text).utf8).write(to: file, options: .withoutOverwriting)
        } catch {
            throw GeneratorError(.io, "cannot write \(file.path): \(ErrorDescription.of(error))")
        }
        do {
            try Data(updatedJob.utf8).write(to: project.jobFile, options: .atomic)
        } catch {
            try? FileManager.default.removeItem(at: file)
            throw GeneratorError(.io, "cannot update \(project.jobFile.path): \(ErrorDescription.of(error)); nothing was changed")
        }
        let unlisted = declarations.properties.filter { !updatedJob.contains(".\($0.value)") }.map(\.key).sorted()
        let parentIDs = parents ?? (number > 1 ? [number - 1] : [])
        let row = StepsTable.Row(
            file: "Sources/\(project.module)/\(fileName)", name: VisibleText.line(trimmed),
            after: parentIDs.map { StepID($0).display })
        return Added(file: file, number: number, property: property, unlisted: unlisted, readme: listInReadme(row))
    }

    /// Appends `row` to the README's Steps table. The step exists whatever
    /// happens here, so a README without the table is a note, not a failure.
    func listInReadme(_ row: StepsTable.Row) -> ReadmeUpdate {
        let readme = project.root.appendingPathComponent("README.md")
        guard FileManager.default.fileExists(atPath: readme.path) else { return .noTable }
        let text: String
        do {
            text = try String(contentsOf: readme, encoding: .utf8)
        } catch {
            return .failed("cannot read README.md: \(ErrorDescription.of(error))")
        }
        guard let updated = StepsTable.appending(row, to: text) else { return .noTable }
        do {
            try Data(updated.utf8).write(to: readme, options: .atomic)
        } catch {
            return .failed("cannot update README.md: \(ErrorDescription.of(error))")
        }
        return .listed
    }

    /// `Score model` → `scoreModel`, made unique among the module's sources
    /// and kept clear of keywords and leading digits.
    func uniqueProperty(for name: String) -> String {
        let words = StepFileName.slug(name).split(separator: "_").map(String.init)
        var base = words.enumerated().map { $0.offset == 0 ? $0.element : $0.element.prefix(1).uppercased() + $0.element.dropFirst() }.joined()
        if base.first?.isNumber ?? true { base = "step" + base.prefix(1).uppercased() + base.dropFirst() }
        // A keyword, or a global function the body might call (`abort()` inside
        // `static let abort` would refer to the property itself).
        if ProjectName.keywords.contains(base) || Self.shadowedFunctions.contains(base) { base += "Step" }
        let sources = (try? FileManager.default.contentsOfDirectory(atPath: project.stepsFolder.path)) ?? []
        let text = sources.compactMap { try? String(contentsOf: project.stepsFolder.appendingPathComponent($0), encoding: .utf8) }.joined()
        var candidate = base
        var suffix = 2
        while text.contains("static let \(candidate) ") || text.contains("static let \(candidate)=") {
            candidate = base + String(suffix)
            suffix += 1
        }
        return candidate
    }

    /// Functions a step body commonly calls, which a step property must not hide.
    static let shadowedFunctions: Set<String> = [
        "abort", "exit", "print", "kill", "sleep", "fatalError", "precondition", "assert", "min", "max", "zip",
        "stride", "type", "debugPrint", "dump", "readLine", "signal", "raise", "open", "close", "read", "write",
        "remove", "rename", "unlink", "system", "time", "wait", "sort", "map", "filter", "reduce", "log", "run",
    ]

    /// A Swift string literal for arbitrary text: `\`, `"` and the
    /// characters ``VisibleText`` escapes are written as escapes, scalar by
    /// scalar (a `"` that a combining mark follows is one `Character` with
    /// it, and would still end the literal).
    static func swiftStringLiteral(_ text: String) -> String {
        DoubleQuoted.literal(text) { VisibleText.isHidden($0) ? VisibleText.line(String($0)) : nil }
    }

    /// The text of the Swift string literal that starts `text` (after its
    /// opening quote), escapes decoded, scalar by scalar.
    static func literalText(_ text: Substring.UnicodeScalarView) -> String {
        var name = String.UnicodeScalarView()
        var scalars = text.makeIterator()
        while let scalar = scalars.next(), scalar != "\"" {
            guard scalar == "\\", let escaped = scalars.next() else {
                name.append(scalar)
                continue
            }
            switch escaped {
            case "0": name.append("\0")
            case "t": name.append("\t")
            case "n": name.append("\n")
            case "r": name.append("\r")
            case "u":
                var digits = ""
                while let next = scalars.next(), next != "}" {
                    if next != "{" { digits.unicodeScalars.append(next) }
                }
                if let value = UInt32(digits, radix: 16), let decoded = Unicode.Scalar(value) { name.append(decoded) }
            default: name.append(escaped)
            }
        }
        return String(name)
    }
}

/// The steps the numbered files declare, read from their source text:
/// `static let NAME = Step("Display name"`.
struct StepDeclarations {
    /// File → display name.
    private(set) var names: [String: String] = [:]
    /// File → property name.
    private(set) var properties: [String: String] = [:]

    init(folder: URL, files: [String]) {
        for file in files {
            guard let text = try? String(contentsOf: folder.appendingPathComponent(file), encoding: .utf8) else { continue }
            // Found in bytes: a name that starts with a combining mark makes
            // one `Character` of it and the opening quote.
            if let range = text.utf8.firstRange(of: "Step(\"".utf8) {
                names[file] = StepAdder.literalText(Substring(text).unicodeScalars[range.upperBound...])
            }
            if let range = text.range(of: "static let ") {
                let property = text[range.upperBound...].prefix { $0.isLetter || $0.isNumber || $0 == "_" }
                if !property.isEmpty { properties[file] = String(property) }
            }
        }
    }

    /// The file declaring a step called `name` (ignoring case), if any.
    func file(named name: String) -> String? {
        names.first { $0.value.caseInsensitiveCompare(name) == .orderedSame }?.key
    }
}

/// Edits the `steps: [ … ]` list of a `Job.swift`.
enum StepList {
    /// `text` with `entry` appended to its `steps:` array, keeping the
    /// list's layout (one entry per line, or all on one line); `nil` when
    /// there is no such list.
    static func inserting(_ entry: String, into text: String) -> String? {
        guard let label = text.range(of: "steps:"),
              let open = text[label.upperBound...].firstIndex(of: "["),
              text[label.upperBound..<open].allSatisfy(\.isWhitespace)
        else { return nil }
        var depth = 0
        var close: String.Index?
        var index = open
        while index < text.endIndex {
            if text[index] == "[" { depth += 1 }
            if text[index] == "]" {
                depth -= 1
                if depth == 0 { close = index; break }
            }
            index = text.index(after: index)
        }
        guard let close else { return nil }
        let body = text[text.index(after: open)..<close]
        if body.contains("\n") {
            // Multi-line: a new line before the closing bracket's line, with
            // the indentation of the last entry.
            let lines = body.split(separator: "\n", omittingEmptySubsequences: false)
            let lastEntry = lines.last { !$0.trimmingCharacters(in: .whitespaces).isEmpty }
            let indent = lastEntry.map { String($0.prefix { $0 == " " || $0 == "\t" }) } ?? "        "
            let lineStart = text[..<close].lastIndex(of: "\n").map { text.index(after: $0) } ?? close
            var before = String(text[..<lineStart])
            if let last = before.dropLast().last, last != ",", last != "[" {
                before = String(before.dropLast()) + ",\n"
            }
            return before + indent + entry + ",\n" + text[lineStart...]
        }
        let trimmed = body.trimmingCharacters(in: .whitespaces)
        let separator = trimmed.isEmpty ? "" : (trimmed.hasSuffix(",") ? " " : ", ")
        return String(text[..<text.index(after: open)]) + trimmed + separator + entry + String(text[close...])
    }
}
