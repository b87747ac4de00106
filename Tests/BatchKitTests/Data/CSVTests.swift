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
