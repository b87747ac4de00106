import Foundation

/// RFC 4180 CSV: fields separated by commas, records by CRLF (LF accepted on
/// input), fields quoted when they hold a comma, a quote, CR or LF, and quotes
/// doubled inside quotes.
public enum CSV {
    /// A CSV text that is not well formed.
    public struct ParseError: Error, CustomStringConvertible, Sendable {
        /// 1-based line of the problem.
        public let line: Int
        public let message: String
        public var description: String { "line \(line): \(message)" }
    }

    /// Encodes one field, quoting it only when needed. Works on UTF-8 bytes,
    /// as readers do: a `"` that a combining mark or an emoji modifier
    /// follows is one `Character` with it, and still a quote to be doubled.
    public static func escape(_ field: String) -> String {
        let quote: UInt8 = 0x22
        let needsQuotes = field.utf8.contains { $0 == 0x2C || $0 == quote || $0 == 0x0A || $0 == 0x0D }
        guard needsQuotes else { return field }
        var bytes: [UInt8] = [quote]
        bytes.reserveCapacity(field.utf8.count + 8)
        for byte in field.utf8 {
            bytes.append(byte)
            if byte == quote { bytes.append(quote) }
        }
        bytes.append(quote)
        return String(decoding: bytes, as: UTF8.self)
    }

    /// Encodes one record, with the CRLF that ends it.
    public static func encodeRecord(_ fields: [String]) -> String {
        fields.map(escape).joined(separator: ",") + "\r\n"
    }

    /// Parses a whole text into records. A final line break is optional; an
    /// empty text has no records.
    ///
    /// - Throws: ``ParseError`` for a quote that is never closed or text
    ///   after a closing quote.
    public static func parse(_ text: String) throws(ParseError) -> [[String]] {
        var text = text
        let result: Result<[[String]], ParseError> = text.withUTF8 { bytes in
            do throws(ParseError) {
                return .success(try parse(bytes: UnsafeRawBufferPointer(bytes)))
            } catch {
                return .failure(error)
            }
        }
        return try result.get()
    }

    /// Parses UTF-8 bytes into records, in one pass that copies a field only
    /// when it holds doubled quotes. Invalid UTF-8 becomes U+FFFD.
    public static func parse(bytes: UnsafeRawBufferPointer) throws(ParseError) -> [[String]] {
        var records: [[String]] = []
        var record: [String] = []
        var line = 1
        var index = 0
        let count = bytes.count
        let quote: UInt8 = 0x22, comma: UInt8 = 0x2C, cr: UInt8 = 0x0D, lf: UInt8 = 0x0A
        guard count > 0 else { return [] }

        func string(_ start: Int, _ end: Int) -> String {
            String(decoding: UnsafeRawBufferPointer(rebasing: bytes[start..<end]), as: UTF8.self)
        }

        while index < count {
            // One field, starting at `index`.
            var field: String
            if bytes[index] == quote {
                let quoteLine = line
                var start = index + 1
                var pieces: [UInt8]?
                var cursor = start
                var closed = false
                while cursor < count {
                    let byte = bytes[cursor]
                    if byte == quote {
                        if cursor + 1 < count, bytes[cursor + 1] == quote {
                            if pieces == nil { pieces = [] }
                            pieces?.append(contentsOf: bytes[start...cursor])
                            cursor += 2
                            start = cursor
                            continue
                        }
                        closed = true
                        break
                    }
                    if byte == lf { line += 1 }
                    cursor += 1
                }
                guard closed else { throw ParseError(line: quoteLine, message: "a quoted field is never closed") }
                if var pieces {
                    pieces.append(contentsOf: bytes[start..<cursor])
                    field = String(decoding: pieces, as: UTF8.self)
                } else {
                    field = string(start, cursor)
                }
                index = cursor + 1
                if index < count, bytes[index] != comma, bytes[index] != lf,
                   !(bytes[index] == cr && index + 1 < count && bytes[index + 1] == lf) {
                    throw ParseError(line: line, message: "unexpected text after a closing quote; quote the whole field and double any quotes inside it")
                }
            } else {
                let start = index
                while index < count, bytes[index] != comma, bytes[index] != lf {
                    index += 1
                }
                var end = index
                if index < count, bytes[index] == lf, end > start, bytes[end - 1] == cr { end -= 1 }
                field = string(start, end)
            }
            record.append(field)
            // What ends the field: a comma, a line break, or the end.
            if index >= count {
                records.append(record)
                return records
            }
            switch bytes[index] {
            case comma:
                index += 1
                if index >= count {
                    record.append("")
                    records.append(record)
                    return records
                }
            case cr:
                index += 2  // CR LF (a lone CR after a quote was rejected above)
                records.append(record)
                record = []
                line += 1
            default:  // LF
                index += 1
                records.append(record)
                record = []
                line += 1
            }
        }
        if !record.isEmpty { records.append(record) }
        return records
    }
}
