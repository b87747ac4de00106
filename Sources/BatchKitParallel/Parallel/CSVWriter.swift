import BatchKit
import Foundation

/// Builds a CSV file as bytes, fast enough for millions of rows: RFC 4180
/// like ``CSV`` (commas, CRLF, a field quoted only when it holds a comma, a
/// quote, CR or LF, quotes doubled). A ``ByteString`` field is written as
/// its bytes, unchanged — also bytes that are not UTF-8, so that distinct
/// keys stay distinct in the file.
///
/// ```swift
/// var csv = CSVWriter(header: ["word", "count"])
/// for (word, count) in counts { csv.append(word); csv.append(count); csv.endRow() }
/// try csv.write(to: url)
/// ```
public struct CSVWriter {
    @usableFromInline var bytes: [UInt8] = []
    @usableFromInline var fieldsInRow = 0

    /// Starts a file with `header` as its first row.
    public init(header: [String]) {
        bytes.reserveCapacity(1 << 16)
        for name in header { append(name) }
        endRow()
    }

    /// Appends a field of raw bytes.
    @inlinable
    public mutating func append(_ field: ByteString) {
        field.withUnsafeBytes { append(bytes: $0) }
    }

    /// Appends a field of text.
    public mutating func append(_ field: String) {
        var field = field
        field.withUTF8 { append(bytes: UnsafeRawBufferPointer($0)) }
    }

    /// Appends a number.
    @inlinable
    public mutating func append(_ field: Int) {
        separate()
        var digits: (UInt64, UInt64, UInt64) = (0, 0, 0)  // 24 bytes: room for any Int
        var value = field.magnitude
        withUnsafeMutableBytes(of: &digits) { buffer in
            var index = buffer.count
            repeat {
                index -= 1
                buffer[index] = UInt8(truncatingIfNeeded: 0x30 &+ value % 10)
                value /= 10
            } while value > 0
            if field < 0 {
                index -= 1
                buffer[index] = UInt8(ascii: "-")
            }
            bytes.append(contentsOf: UnsafeRawBufferPointer(rebasing: buffer[index...]))
        }
    }

    /// Ends the current row (CRLF).
    @inlinable
    public mutating func endRow() {
        bytes.append(0x0D)
        bytes.append(0x0A)
        fieldsInRow = 0
    }

    /// Writes the file beside `url` and renames it into place, creating the
    /// folder if needed.
    public func write(to url: URL) throws {
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        try Data(bytes).write(to: url, options: .atomic)
    }

    @inlinable
    mutating func separate() {
        if fieldsInRow > 0 { bytes.append(0x2C) }
        fieldsInRow += 1
    }

    @inlinable
    mutating func append(bytes field: UnsafeRawBufferPointer) {
        separate()
        var needsQuotes = false
        for byte in field where byte == 0x2C || byte == 0x22 || byte == 0x0A || byte == 0x0D {
            needsQuotes = true
            break
        }
        guard needsQuotes else {
            bytes.append(contentsOf: field)
            return
        }
        bytes.append(0x22)
        for byte in field {
            bytes.append(byte)
            if byte == 0x22 { bytes.append(0x22) }
        }
        bytes.append(0x22)
    }
}
