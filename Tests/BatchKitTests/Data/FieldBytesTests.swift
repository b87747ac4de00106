@testable import BatchKit
import Foundation
import Testing

/// ``FieldBytes`` must say what the `String` conversions and comparisons say.
@Suite struct FieldBytesTests {
    func with<Value>(_ text: String, _ body: (UnsafeRawBufferPointer) -> Value) -> Value {
        Array(text.utf8).withUnsafeBytes(body)
    }

    @Test(arguments: ["0", "7", "07", "-3", "+5", "-0", "", "+", "-", " 1", "1 ", "1.0", "x", "9223372036854775807",
                      "9223372036854775808", "-9223372036854775808", "-9223372036854775809", "١٢"])
    func intReadsAsIntOfTheString(text: String) {
        #expect(with(text, FieldBytes.int) == Int(text))
    }

    @Test(arguments: ["0", "1.250", "12", "0.1", "0.3", "2.675", "123456789012345", "1234567890123456", "0.1234567890123456",
                      "1e1", "-0.5", "+1", "", ".5", "1.", "1.2.3", "inf", "nan", "0x10", "999999999999999.9", "4.35"])
    func doubleReadsAsDoubleOfTheString(text: String) {
        let fast = with(text, FieldBytes.double), slow = Double(text)
        #expect(fast?.bitPattern == slow?.bitPattern || (fast?.isNaN == true && slow?.isNaN == true), "\(text)")
    }

    static let pairs: [(String, String)] = [
        ("a", "b"), ("abc", "abd"), ("abc", "ab"), ("", "a"), ("same", "same"),
        ("2026-01-01T00:00:00Z", "2026-01-01T00:00:00.000Z"),
        ("caf\u{E9}", "cafe\u{301}"), ("e\u{301}", "f"), ("e", "e\u{301}"), ("\u{391}", "\u{391}\u{301}"), ("\u{391}\u{301}x", "\u{386}y"),
        ("K", "\u{212A}"), ("SKIPPED", "S\u{212A}IPPED"), ("é", "z"), ("z", "é"), ("a\u{301}b", "a\u{301}c"),
    ]

    @Test(arguments: pairs)
    func bytesCompareAsTheirStrings(a: String, b: String) {
        with(a) { left in
            with(b) { right in
                #expect(FieldBytes.equal(left, right) == (a == b), "\(a) == \(b)")
                #expect(FieldBytes.precedes(left, right) == (a < b), "\(a) < \(b)")
                #expect(FieldBytes.precedes(right, left) == (b < a), "\(b) < \(a)")
            }
        }
    }

    /// The cursor reads what ``CSV/parse(_:)`` reads, field by field.
    @Test func theCursorKeepsWhereEachFieldIs() throws {
        let text = "a,\"b,\"\"c\"\"\",\r\n\"multi\nline\",x\n\n,\n"
        var bytes = Array(text.utf8)
        let records: [[String]] = try bytes.withUnsafeMutableBytes { buffer in
            var cursor = CSVCursor(UnsafeRawBufferPointer(buffer))
            var records: [[String]] = []
            while try cursor.next() { records.append((0..<cursor.count).map(cursor.string)) }
            return records
        }
        #expect(records == [["a", "b,\"c\"", ""], ["multi\nline", "x"], [""], ["", ""]])
        #expect(try CSV.parse(text) == records)
        bytes = Array("x,\"a\"\"b\"\n".utf8)
        bytes.withUnsafeBytes { buffer in
            var cursor = CSVCursor(buffer)
            #expect((try? cursor.next()) == true)
            #expect(cursor.fields[1].escaped && cursor.string(1) == "a\"b")
            #expect(String(decoding: cursor.rawBytes(0), as: UTF8.self) == "x")
            #expect(cursor.offset == buffer.count && cursor.line == 2)
        }
    }
}
