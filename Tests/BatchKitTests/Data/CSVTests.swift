import BatchKit
import Foundation
import TestSupport
import Testing

@Suite struct CSVTests {
    @Test(arguments: [
        ("plain", "plain"),
        ("a,b", "\"a,b\""),
        ("say \"hi\"", "\"say \"\"hi\"\"\""),
        ("two\nlines", "\"two\nlines\""),
        ("cr\rhere", "\"cr\rhere\""),
        ("", ""),
    ])
    func fieldsAreQuotedOnlyWhenNeeded(field: String, encoded: String) {
        #expect(CSV.escape(field) == encoded)
    }

    /// A `"` that a combining mark or an emoji modifier follows is one
    /// `Character` with it; it is still a quote to every CSV reader, so it
    /// must be doubled (and the field quoted). Python's `csv` is the judge.
    /// Delimiters are bytes (RFC 4180): an unquoted `,` that a mark follows
    /// still separates fields, for Python and for ``CSV/parse(_:)`` alike.
    @Test func aQuoteThatAMarkFollowsIsDoubledForRealReaders() async throws {
        guard let python = requireTool("python3", for: "parsing CSV with Python's csv module") else { return }
        let fields = ["say \"\u{301}hi", "\"\u{1F3FB}\",", "\"\u{301}", "end \"\u{1F3FB}", ",\u{301}after a comma", "plain"]
        #expect(CSV.escape("say \"\u{301}hi").unicodeScalars.elementsEqual("\"say \"\"\u{301}hi\"".unicodeScalars))
        let directory = try TemporaryDirectory()
        try directory.write("fields.csv", CSV.encodeRecord(fields) + "a,\u{301}b\r\n")
        try directory.write("read.py", """
            import csv, json, sys
            with open(sys.argv[1], newline="", encoding="utf-8") as f:
                print(json.dumps(list(csv.reader(f, strict=True))))
            """)
        let result = try await runProgram(python, ["read.py", "fields.csv"], in: directory.url)
        #expect(result.status == 0, "\(result.stderr)")
        let parsed = try JSONDecoder().decode([[String]].self, from: Data(result.stdout.utf8))
        let expected = [fields, ["a", "\u{301}b"]].map { $0.map { Array($0.unicodeScalars) } }
        #expect(parsed.map { $0.map { Array($0.unicodeScalars) } } == expected)
        #expect(try CSV.parse(try directory.read("fields.csv")).map { $0.map { Array($0.unicodeScalars) } } == expected)
    }

    @Test func recordsEndWithCRLF() {
        #expect(CSV.encodeRecord(["a", "b"]) == "a,b\r\n")
    }

    @Test func parseRoundTripsHostileFields() throws {
        let records = [["id", "text"], ["1", "a,b"], ["2", "quote \" inside"], ["3", "multi\r\nline"], ["4", ""]]
        let text = records.map(CSV.encodeRecord).joined()
        #expect(try CSV.parse(text) == records)
    }

    @Test func parseAcceptsLFAndAMissingFinalNewline() throws {
        #expect(try CSV.parse("a,b\n1,2") == [["a", "b"], ["1", "2"]])
        #expect(try CSV.parse("a,b\r\n1,\r\n") == [["a", "b"], ["1", ""]])
        #expect(try CSV.parse("") == [])
    }

    @Test func parseReportsTheLineOfAnUnclosedQuote() {
        #expect(throws: CSV.ParseError.self) { try CSV.parse("a\n\"open,b\n") }
        do {
            _ = try CSV.parse("a,b\n1,2\n\"never closed\n")
        } catch {
            #expect(error.line == 3)
        }
    }

    @Test func parseRejectsTextAfterAClosingQuote() {
        #expect(throws: CSV.ParseError.self) { try CSV.parse("\"a\"b,c\n") }
    }

    @Test func tableReadsHeaderAndWritesAtomically() throws {
        let directory = try TemporaryDirectory()
        let table = CSVTable(header: ["x", "y"], rows: [["1", "two, three"]])
        try table.write(to: directory.path("out/t.csv"))
        #expect(try CSVTable.read(directory.path("out/t.csv")) == table)
        #expect(try directory.read("out/t.csv") == "x,y\r\n1,\"two, three\"\r\n")
    }

    @Test func readingAMissingFileNamesIt() throws {
        let directory = try TemporaryDirectory()
        do {
            _ = try CSVTable.read(directory.path("missing.csv"))
            Issue.record("expected an error")
        } catch {
            #expect(String(describing: error).contains("missing.csv"))
        }
    }
}
