/// Walks the records of RFC 4180 CSV bytes one at a time, keeping where each
/// field lies instead of copying it: a reader makes a `String` only of the
/// fields it needs, and compares or converts the others in place. One record
/// at a time, so a file of a million rows costs no more memory than its bytes.
///
/// ``CSV/parse(bytes:)`` is this cursor with every field made a `String`;
/// both accept and reject the same texts, with the same line numbers.
package struct CSVCursor {
    /// Where one field of the current record lies in the bytes.
    package struct Field {
        /// The field's text, after its opening quote if it has one.
        package var start: Int
        /// Where its text ends, before its closing quote or the line break.
        package var end: Int
        /// Quoted and holding doubled quotes, which ``CSVCursor/string(_:)``
        /// undoes: the bytes are not the text.
        package var escaped: Bool
    }

    private let bytes: UnsafeRawBufferPointer
    private var index = 0
    /// The line the cursor is on: after ``next()``, the line the next record
    /// starts on.
    package private(set) var line: Int
    /// The current record's fields.
    package private(set) var fields: [Field] = []

    private static let quote: UInt8 = 0x22, comma: UInt8 = 0x2C, cr: UInt8 = 0x0D, lf: UInt8 = 0x0A

    /// A cursor before the first record of `bytes`, which must outlive it.
    ///
    /// - Parameter line: The line `bytes` start on, for errors.
    package init(_ bytes: UnsafeRawBufferPointer, line: Int = 1) {
        self.bytes = bytes
        self.line = line
        fields.reserveCapacity(32)
    }

    /// Where the cursor is: the offset of the next record.
    package var offset: Int { index }

    /// Moves to the next record.
    ///
    /// - Returns: `false` at the end of the bytes (a final line break is
    ///   optional; an empty text has no records).
    /// - Throws: ``CSV/ParseError`` for a quote that is never closed or text
    ///   after a closing quote.
    package mutating func next() throws(CSV.ParseError) -> Bool {
        let count = bytes.count
        guard index < count else { return false }
        fields.removeAll(keepingCapacity: true)
        while true {
            if bytes[index] == Self.quote {
                let quoteLine = line
                var cursor = index + 1
                var escaped = false
                var closed = false
                while cursor < count {
                    let byte = bytes[cursor]
                    if byte == Self.quote {
                        if cursor + 1 < count, bytes[cursor + 1] == Self.quote {
                            escaped = true
                            cursor += 2
                            continue
                        }
                        closed = true
                        break
                    }
                    if byte == Self.lf { line += 1 }
                    cursor += 1
                }
                guard closed else { throw CSV.ParseError(line: quoteLine, message: "a quoted field is never closed") }
                fields.append(Field(start: index + 1, end: cursor, escaped: escaped))
                index = cursor + 1
                if index < count, bytes[index] != Self.comma, bytes[index] != Self.lf,
                   !(bytes[index] == Self.cr && index + 1 < count && bytes[index + 1] == Self.lf) {
                    throw CSV.ParseError(line: line, message: "unexpected text after a closing quote; quote the whole field and double any quotes inside it")
                }
            } else {
                let start = index
                while index < count {
                    let byte = bytes[index]
                    if byte == Self.comma || byte == Self.lf { break }
                    index += 1
                }
                var end = index
                if index < count, bytes[index] == Self.lf, end > start, bytes[end - 1] == Self.cr { end -= 1 }
                fields.append(Field(start: start, end: end, escaped: false))
            }
            // What ends the field: a comma, a line break, or the end.
            guard index < count else { return true }
            switch bytes[index] {
            case Self.comma:
                index += 1
                if index >= count {
                    fields.append(Field(start: count, end: count, escaped: false))
                    return true
                }
            case Self.cr:
                index += 2  // CR LF (a lone CR after a quote was rejected above)
                line += 1
                return true
            default:  // LF
                index += 1
                line += 1
                return true
            }
        }
    }

    /// The number of fields in the current record.
    package var count: Int { fields.count }

    /// Field `field`'s text; invalid UTF-8 becomes U+FFFD.
    package func string(_ field: Int) -> String {
        let span = fields[field]
        guard span.escaped else {
            return String(decoding: UnsafeRawBufferPointer(rebasing: bytes[span.start..<span.end]), as: UTF8.self)
        }
        var text: [UInt8] = []
        text.reserveCapacity(span.end - span.start)
        var at = span.start
        while at < span.end {
            let byte = bytes[at]
            text.append(byte)
            at += byte == Self.quote ? 2 : 1  // a quote inside quotes is doubled
        }
        return String(decoding: text, as: UTF8.self)
    }

    /// Field `field`'s bytes as they are in the text: its UTF-8 unless
    /// ``Field/escaped``.
    package func rawBytes(_ field: Int) -> UnsafeRawBufferPointer {
        let span = fields[field]
        return UnsafeRawBufferPointer(rebasing: bytes[span.start..<span.end])
    }
}
