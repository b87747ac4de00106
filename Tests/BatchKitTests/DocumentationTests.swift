import Foundation
import TestSupport
import Testing

/// Rules about the Markdown files themselves, checked over the checkout.
@Suite struct DocumentationTests {
    /// README.md and every file in docs/.
    static func markdownFiles() throws -> [String] {
        let docs = try FileManager.default.contentsOfDirectory(atPath: checkoutRoot.appendingPathComponent("docs").path)
            .filter { $0.hasSuffix(".md") }.sorted().map { "docs/\($0)" }
        return ["README.md"] + docs
    }

    /// The lines of `text` that start a table row but belong to no table:
    /// a row after a line that is not a row must be a header, followed by
    /// its `| --- |` line. A paragraph in the middle of a table leaves the
    /// rows after it as stray text that renders as `| a | b |`.
    static func strayRows(_ text: String) -> [Int] {
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        func isRow(_ line: String) -> Bool { line.hasPrefix("|") }
        func isDelimiter(_ line: String) -> Bool {
            isRow(line) && line.allSatisfy { "|-: ".contains($0) } && line.contains("-")
        }
        var stray: [Int] = []
        var inFence = false
        for (index, line) in lines.enumerated() {
            if line.hasPrefix("```") { inFence.toggle() }
            guard !inFence, isRow(line), index == 0 || !isRow(lines[index - 1]) else { continue }
            if index + 1 >= lines.count || !isDelimiter(lines[index + 1]) { stray.append(index + 1) }
        }
        return stray
    }

    @Test func everyTableRowBelongsToATable() throws {
        let files = try Self.markdownFiles()
        #expect(files.contains("docs/PERFORMANCE.md"))
        for file in files {
            let text = try String(contentsOf: checkoutRoot.appendingPathComponent(file), encoding: .utf8)
            let stray = Self.strayRows(text)
            #expect(stray.isEmpty, "\(file): table rows outside a table (a paragraph splits it?) at lines \(stray)")
        }
    }

    @Test func aParagraphInsideATableIsFound() {
        let split = "| A | B |\n| --- | --- |\n| 1 | 2 |\n\nA note.\n| 3 | 4 |\n"
        #expect(Self.strayRows(split) == [6])
        #expect(Self.strayRows("| A | B |\n| --- | --- |\n| 1 | 2 |\n\nText.\n") == [])
    }
}
