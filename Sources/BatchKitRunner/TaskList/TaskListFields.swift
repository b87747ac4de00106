/// How a task list's line is cut into fields, and a `#PYTHON` task's
/// ARGUMENTS into `self.argv`, the way PyRunner cuts them — on bytes, so a
/// delimiter that a combining mark follows still counts.
///
/// - A quoted part (`'…'` or `"…"`, closed on the same line) protects `|`
///   and `,`, and keeps its quotes: `sh -c 'a | b'` stays one field.
///   A quote without its closing partner is an ordinary character.
/// - batchkit's `\|` is a `|` that separates nothing, inside quotes too.
enum TaskListFields {
    /// Splits a line on `|` outside quotes, honouring `\|`, and trims each
    /// field of spaces, tabs and CRs.
    static func split(_ line: String) -> [String] {
        cut(Array(line.utf8), at: UInt8(ascii: "|"), escapes: true).map { trimmed($0[...]) }
    }

    /// ARGUMENTS as PyRunner hands them to a worker: split on commas outside
    /// quotes, each trimmed, a piece wholly in double quotes unquoted, and
    /// empty pieces (two commas in a row) dropped.
    static func arguments(_ field: String) -> [String] {
        cut(Array(field.utf8), at: UInt8(ascii: ","), escapes: false).compactMap { piece in
            guard !piece.isEmpty else { return nil }
            let text = trimmed(piece[...])
            if text.utf8.count >= 2, text.utf8.first == UInt8(ascii: "\""), text.utf8.last == UInt8(ascii: "\"") {
                return String(decoding: text.utf8.dropFirst().dropLast(), as: UTF8.self)
            }
            return text
        }
    }

    /// The pieces of `bytes` between `separator`s that are outside quotes.
    private static func cut(_ bytes: [UInt8], at separator: UInt8, escapes: Bool) -> [[UInt8]] {
        let quotes: Set<UInt8> = [UInt8(ascii: "'"), UInt8(ascii: "\"")]
        let backslash = UInt8(ascii: "\\"), pipe = UInt8(ascii: "|")
        var pieces: [[UInt8]] = []
        var current: [UInt8] = []
        var closing: Int?  // the index of the quote that ends the quoted part we are in
        var index = 0
        while index < bytes.count {
            let byte = bytes[index]
            if escapes, byte == backslash, index + 1 < bytes.count, bytes[index + 1] == pipe {
                current.append(pipe)
                index += 2
                continue
            }
            if let end = closing {
                if index == end { closing = nil }
            } else if quotes.contains(byte), let end = bytes[(index + 1)...].firstIndex(of: byte) {
                closing = end
            } else if byte == separator {
                pieces.append(current)
                current.removeAll(keepingCapacity: true)
                index += 1
                continue
            }
            current.append(byte)
            index += 1
        }
        pieces.append(current)
        return pieces
    }

    /// `bytes` as text without leading or trailing ASCII spaces, tabs and CRs.
    static func trimmed<Bytes: BidirectionalCollection>(_ bytes: Bytes) -> String where Bytes.Element == UInt8 {
        let isSpace = { (byte: UInt8) in byte == 0x20 || byte == 0x09 || byte == 0x0D }
        guard let first = bytes.firstIndex(where: { !isSpace($0) }), let last = bytes.lastIndex(where: { !isSpace($0) }) else {
            return ""
        }
        return String(decoding: bytes[first...last], as: UTF8.self)
    }
}
