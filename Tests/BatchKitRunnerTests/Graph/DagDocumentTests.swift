@testable import BatchKit
@testable import BatchKitRunner
import Foundation
import TestSupport
import Testing

@Suite struct DagDocumentTests {
    static let hostileNames = [
        "quote \" inside", "back\\slash", "new\nline", "Unicode ✓ — 日本語", "trailing \\", "{braces} [x] <y> -> z;",
        "carriage\r\nreturn", "# hash",
    ]

    func document(_ names: [String], states: [StepID: DagDocument.StepState] = [:]) throws -> DagDocument {
        let steps = names.enumerated().map { shellStep(StepID($0.offset + 1), $0.element, "true") }
        return DagDocument(jobName: "job \"x\"", graph: try JobGraph(job: Job("j", steps: steps)), states: states)
    }

    @Test func dotEscapesQuotesBackslashesAndNewlines() {
        #expect(DagDocument.quote("a\"b") == "\"a\\\"b\"")
        #expect(DagDocument.quote("a\\b") == "\"a\\\\b\"")
        #expect(DagDocument.quote("a\nb") == "\"a\\nb\"")
        #expect(DagDocument.quote("a\r\nb") == "\"a\\nb\"")
    }

    @Test func nodesAreColouredByLastRunStatus() throws {
        let dot = try document(["a", "b", "c", "d"], states: [
            1: .init(status: .pass, durationSeconds: 1.5),
            2: .init(status: .fail, durationSeconds: 0.2),
            3: .init(status: .skipped, durationSeconds: nil),
        ]).dot()
        #expect(dot.contains("s1 [label=\"01 a\\nPASS · 1.50 s\", fillcolor=\"#c8e6c9\"]"))
        #expect(dot.contains("s2 [label=\"02 b\\nFAIL · 0.20 s\", fillcolor=\"#ffcdd2\"]"))
        #expect(dot.contains("s3 [label=\"03 c\\nSKIPPED\", fillcolor=\"#e0e0e0\"]"))
        #expect(dot.contains("s4 [label=\"04 d\", fillcolor=\"white\"]"))
        #expect(dot.contains("s1 -> s2;"))
    }

    @Test func realDotAcceptsHostileStepNames() async throws {
        guard let dot = requireTool("dot", for: "checking generated DOT with Graphviz") else { return }
        let directory = try TemporaryDirectory()
        let text = try document(Self.hostileNames, states: [1: .init(status: .pass, durationSeconds: 1)]).dot()
        let output = directory.path("dag.svg")
        try await Graphviz.render(dot: text, format: "svg", to: output, executable: dot)
        let svg = try directory.read("dag.svg")
        #expect(svg.contains("<svg"))
        #expect(svg.contains("日本語"))
        #expect(svg.contains("quote &quot; inside") || svg.contains("quote \" inside"))
    }

    /// A `"` or `\` that a combining mark or an emoji modifier follows is one
    /// `Character` with it; `dot` reads bytes and still sees a quote or a
    /// backslash. The real `dot` renders each name exactly.
    @Test func realDotShowsNamesWithAQuoteOrBackslashThatAMarkFollows() async throws {
        guard let dot = requireTool("dot", for: "checking generated DOT with Graphviz") else { return }
        guard let python = requireTool("python3", for: "reading the SVG dot renders") else { return }
        let names = ["say \"\u{301}hi", "\"\u{1F3FB}\",", "back \\\u{301}slash", "end \\"]
        let directory = try TemporaryDirectory()
        let document = DagDocument(jobName: "job \"\u{301}\n", graph: try JobGraph(job: Job("j", steps: names.enumerated().map {
            shellStep(StepID($0.offset + 1), $0.element, "true")
        })))
        try await Graphviz.render(dot: document.dot(), format: "svg", to: directory.path("dag.svg"), executable: dot)
        try directory.write("texts.py", """
            import json, sys, xml.etree.ElementTree as ET
            root = ET.parse(sys.argv[1]).getroot()
            print(json.dumps([t.text for t in root.iter("{http://www.w3.org/2000/svg}text")]))
            """)
        let result = try await runProgram(python, ["texts.py", "dag.svg"], in: directory.url)
        #expect(result.status == 0, "\(result.stderr)")
        let texts = try JSONDecoder().decode([String].self, from: Data(result.stdout.utf8))
        #expect(texts.map { Array($0.unicodeScalars) } == names.enumerated().map { Array("0\($0.offset + 1) \($0.element)".unicodeScalars) })
    }

    @Test func mermaidLabelsHoldNoRawQuoteWhateverMarkFollowsIt() {
        for name in ["say \"\u{301}hi", "\"\u{1F3FB}\",", "<\u{301}b>\u{301} #\u{301}"] {
            let escaped = MermaidDiagram.escape(name)
            #expect(!escaped.unicodeScalars.contains { $0 == "\"" || $0 == "<" || $0 == ">" }, "\(escaped)")
        }
        #expect(Array(MermaidDiagram.escape("say \"\u{301}hi").unicodeScalars) == Array("say #quot;\u{301}hi".unicodeScalars))
    }

    @Test func realDotRejectionsAreReported() async throws {
        guard let dot = requireTool("dot", for: "checking Graphviz error reporting") else { return }
        let directory = try TemporaryDirectory()
        await #expect(throws: Graphviz.RenderError.self) {
            try await Graphviz.render(dot: "digraph { a -> }", format: "svg", to: directory.path("x.svg"), executable: dot)
        }
        #expect(!FileManager.default.fileExists(atPath: directory.path("x.svg").path))
    }

    @Test func mermaidEscapesWhatItsParserWouldMisread() throws {
        let text = MermaidDiagram(try document(Self.hostileNames)).text()
        #expect(text.hasPrefix("flowchart LR"))
        #expect(text.contains("s1[\"01 quote #quot; inside\"]"))
        #expect(text.contains("s3[\"03 new<br/>line\"]"))
        #expect(text.contains("#lt;y#gt;"))
        #expect(!text.contains("\r"))
        #expect(text.contains("s1 --> s2"))
    }

    @Test func readmeSectionReplacesOnlyBetweenMarkers() throws {
        let readme = "# Title\n\nintro\n\(ReadmeDagSection.beginMarker)\nold picture\n\(ReadmeDagSection.endMarker)\n\n## After\nkept\n"
        let section = ReadmeDagSection.render(
            try document(["a"], states: [1: .init(status: .fail, durationSeconds: 2)]), svgPath: "docs/dag.svg")
        let updated = try #require(ReadmeDagSection.replace(in: readme, with: section))
        #expect(updated.hasPrefix("# Title\n\nintro\n\(ReadmeDagSection.beginMarker)\n"))
        #expect(updated.hasSuffix("\(ReadmeDagSection.endMarker)\n\n## After\nkept\n"))
        #expect(!updated.contains("old picture"))
        #expect(updated.contains("![DAG of job \"x\"](docs/dag.svg)"))
        #expect(updated.contains("```mermaid"))
        #expect(updated.contains("s1[\"01 a\"]\n"), "the README shows the shape, not the last run")
        #expect(!updated.contains("FAIL ·"))
        #expect(ReadmeDagSection.replace(in: updated, with: section) == updated, "idempotent")
    }

    @Test func readmeWithoutMarkersIsLeftAlone() {
        #expect(ReadmeDagSection.replace(in: "# no markers\n", with: "x") == nil)
        let reversed = "\(ReadmeDagSection.endMarker)\n\(ReadmeDagSection.beginMarker)\n"
        #expect(ReadmeDagSection.replace(in: reversed, with: "x") == nil)
    }
}
