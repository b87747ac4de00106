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

    /// Parses UTF-8 bytes into records, in one pass (``CSVCursor``) that
    /// copies each field once. Invalid UTF-8 becomes U+FFFD.
    public static func parse(bytes: UnsafeRawBufferPointer) throws(ParseError) -> [[String]] {
        var records: [[String]] = []
        var cursor = CSVCursor(bytes)
        while try cursor.next() {
            records.append((0..<cursor.count).map(cursor.string))
        }
        return records
    }
}
