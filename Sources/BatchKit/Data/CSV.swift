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

    /// Encodes one field, quoting it only when needed.
    public static func escape(_ field: String) -> String {
        let needsQuotes = field.utf8.contains { $0 == 0x2C || $0 == 0x22 || $0 == 0x0A || $0 == 0x0D }
        guard needsQuotes else { return field }
        return "\"" + field.replacingOccurrences(of: "\"", with: "\"\"") + "\""
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
        var records: [[String]] = []
        var record: [String] = []
        var field: [UInt8] = []
        var line = 1
        var inQuotes = false
        var wasQuoted = false
        var quoteLine = 1
        let bytes = Array(text.utf8)
        var index = 0

        func endField() {
            record.append(String(decoding: field, as: UTF8.self))
            field.removeAll(keepingCapacity: true)
            wasQuoted = false
        }

        while index < bytes.count {
            let byte = bytes[index]
            if inQuotes {
                if byte == 0x22 {
                    if index + 1 < bytes.count, bytes[index + 1] == 0x22 {
                        field.append(0x22)
                        index += 1
                    } else {
                        inQuotes = false
                    }
                } else {
                    if byte == 0x0A { line += 1 }
                    field.append(byte)
                }
            } else {
                switch byte {
                case 0x22 where field.isEmpty && !wasQuoted:
                    inQuotes = true
                    wasQuoted = true
                    quoteLine = line
                case 0x2C:
                    endField()
                case 0x0D where index + 1 < bytes.count && bytes[index + 1] == 0x0A:
                    break  // the LF that follows ends the record
                case 0x0A:
                    endField()
                    records.append(record)
                    record.removeAll(keepingCapacity: true)
                    line += 1
                default:
                    if wasQuoted {
                        throw ParseError(line: line, message: "unexpected text after a closing quote; quote the whole field and double any quotes inside it")
                    }
                    field.append(byte)
                }
            }
            index += 1
        }
        if inQuotes {
            throw ParseError(line: quoteLine, message: "a quoted field is never closed")
        }
        if !field.isEmpty || !record.isEmpty || wasQuoted {
            endField()
            records.append(record)
        }
        return records
    }
}
