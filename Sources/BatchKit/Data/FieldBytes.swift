#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// What a field's UTF-8 bytes mean, exactly as `Int(String)`,
/// `Double(String)`, `==` and `<` on the `String` they decode to would say,
/// without making the `String` when the bytes alone decide: for a reader of
/// a million rows, most of whose fields are ASCII numbers, ids and times.
package enum FieldBytes {
    /// `Int(String(decoding: bytes, as: UTF8.self))`: an optional sign, then
    /// ASCII digits; `nil` for anything else or on overflow.
    package static func int(_ bytes: UnsafeRawBufferPointer) -> Int? {
        var at = 0
        var negative = false
        if let first = bytes.first, first == UInt8(ascii: "+") || first == UInt8(ascii: "-") {
            negative = first == UInt8(ascii: "-")
            at = 1
        }
        guard at < bytes.count else { return nil }
        var value = 0
        while at < bytes.count {
            let digit = Int(bytes[at]) - 48
            guard digit >= 0, digit <= 9 else { return nil }
            // Accumulated negatively, so Int.min reads too.
            let (times, overflow) = value.multipliedReportingOverflow(by: 10)
            let (next, overflow2) = times.subtractingReportingOverflow(digit)
            guard !overflow, !overflow2 else { return nil }
            value = next
            at += 1
        }
        if negative { return value }
        let (positive, overflow) = (0).subtractingReportingOverflow(value)
        return overflow ? nil : positive
    }

    /// `Double(String(decoding: bytes, as: UTF8.self))`. Plain decimals such
    /// as `12.345` with at most 15 digits are read directly: both the digits
    /// as an integer and the power of ten are exact doubles, so their IEEE
    /// quotient is the correctly rounded value, as the string conversion's.
    /// Anything else (signs, exponents, `inf`, longer numbers) goes through
    /// the `String`.
    package static func double(_ bytes: UnsafeRawBufferPointer) -> Double? {
        var mantissa: Int64 = 0
        var digits = 0, fraction = 0
        var seenPoint = false, plain = !bytes.isEmpty
        for byte in bytes {
            if byte == UInt8(ascii: "."), !seenPoint, digits > 0 {
                seenPoint = true
                continue
            }
            let digit = Int64(byte) - 48
            guard digit >= 0, digit <= 9, digits < 15 else { plain = false; break }
            mantissa = mantissa * 10 + digit
            digits += 1
            if seenPoint { fraction += 1 }
        }
        if plain, !(seenPoint && fraction == 0) {
            return Double(mantissa) / powersOfTen[fraction]
        }
        return Double(String(decoding: bytes, as: UTF8.self))
    }

    private static let powersOfTen: [Double] = (0...15).map { (0..<$0).reduce(1.0) { value, _ in value * 10 } }

    /// Whether the bytes are the same.
    package static func same(_ a: UnsafeRawBufferPointer, _ b: UnsafeRawBufferPointer) -> Bool {
        guard a.count == b.count else { return false }
        guard let left = a.baseAddress, let right = b.baseAddress else { return true }
        return memcmp(left, right, a.count) == 0
    }

    /// Whether the bytes decode to equal strings (canonically equivalent, as
    /// `String`'s `==` has it).
    package static func equal(_ a: UnsafeRawBufferPointer, _ b: UnsafeRawBufferPointer) -> Bool {
        if same(a, b) { return true }
        // Different bytes can only be equal text when one is not ASCII.
        guard !(isASCII(a) && isASCII(b)) else { return false }
        return String(decoding: a, as: UTF8.self) == String(decoding: b, as: UTF8.self)
    }

    /// Whether `a` decodes to a string that sorts before `b`'s, as
    /// `String`'s `<` has it (by the scalars of their normalized forms).
    /// The bytes decide when the first byte that differs is ASCII on both
    /// sides and ASCII follows it (nothing combines with an ASCII
    /// character, and it combines with nothing before it).
    package static func precedes(_ a: UnsafeRawBufferPointer, _ b: UnsafeRawBufferPointer) -> Bool {
        let shorter = min(a.count, b.count)
        var at = 0
        while at < shorter, a[at] == b[at] { at += 1 }
        func decided(_ bytes: UnsafeRawBufferPointer) -> Bool {
            (at >= bytes.count || bytes[at] < 0x80) && (at + 1 >= bytes.count || bytes[at + 1] < 0x80)
        }
        if decided(a), decided(b) {
            return at < shorter ? a[at] < b[at] : a.count < b.count
        }
        return String(decoding: a, as: UTF8.self) < String(decoding: b, as: UTF8.self)
    }

    private static func isASCII(_ bytes: UnsafeRawBufferPointer) -> Bool {
        bytes.allSatisfy { $0 < 0x80 }
    }
}
