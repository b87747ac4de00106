#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation

/// Time formats used in the history and logs: ISO-8601 UTC with milliseconds,
/// and sortable run ids.
public enum Timestamp {
    /// `2026-11-21T13:45:01.123Z`.
    public static func iso8601(_ date: Date) -> String {
        format(date, dateSeparator: "-", timeSeparator: ":")
    }

    /// `20261121T134501.123Z`: compact, sortable to the millisecond and safe
    /// in file names.
    public static func compact(_ date: Date) -> String {
        format(date, dateSeparator: nil, timeSeparator: nil)
    }

    /// The digits written by hand: `String(format:)` costs a dynamic cast
    /// per argument, and a run writes thousands of times.
    private static func format(_ date: Date, dateSeparator: Character?, timeSeparator: Character?) -> String {
        let (parts, millis) = utcParts(date)
        var text = ""
        text.reserveCapacity(24)
        func digits(_ value: Int32, _ count: Int) {
            var value = Int(value)
            if value < 0 {
                text.append("-")
                value = -value
            }
            let written = String(value)
            if written.count < count { text.append(String(repeating: "0", count: count - written.count)) }
            text.append(written)
        }
        digits(parts.tm_year + 1900, 4)
        if let dateSeparator { text.append(dateSeparator) }
        digits(parts.tm_mon + 1, 2)
        if let dateSeparator { text.append(dateSeparator) }
        digits(parts.tm_mday, 2)
        text.append("T")
        digits(parts.tm_hour, 2)
        if let timeSeparator { text.append(timeSeparator) }
        digits(parts.tm_min, 2)
        if let timeSeparator { text.append(timeSeparator) }
        digits(parts.tm_sec, 2)
        text.append(".")
        digits(millis, 3)
        text.append("Z")
        return text
    }

    /// Parses what ``iso8601(_:)`` writes (milliseconds optional). The
    /// usual form, `2026-11-21T13:45:01.123Z`, is read by hand (a run reads
    /// thousands: a date formatter per call dominated reading the step
    /// cache); anything else goes through `ISO8601DateFormatter`.
    public static func parse(_ text: String) -> Date? {
        if let date = parseUTC(text) { return date }
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        if let date = formatter.date(from: text) { return date }
        formatter.formatOptions = [.withInternetDateTime]
        return formatter.date(from: text)
    }

    /// `YYYY-MM-DDTHH:MM:SS[.fff…]Z`, or `nil` for anything else.
    private static func parseUTC(_ text: String) -> Date? {
        let bytes = Array(text.utf8)
        guard bytes.count >= 20, bytes.last == UInt8(ascii: "Z"), bytes[4] == UInt8(ascii: "-"), bytes[7] == UInt8(ascii: "-"),
              bytes[10] == UInt8(ascii: "T"), bytes[13] == UInt8(ascii: ":"), bytes[16] == UInt8(ascii: ":")
        else { return nil }
        func number(_ range: Range<Int>) -> Int? {
            var value = 0
            for index in range {
                let digit = Int(bytes[index]) - 48
                guard (0...9).contains(digit) else { return nil }
                value = value * 10 + digit
            }
            return value
        }
        guard let year = number(0..<4), let month = number(5..<7), let day = number(8..<10), let hour = number(11..<13),
              let minute = number(14..<16), let second = number(17..<19), (1...12).contains(month), (1...31).contains(day),
              hour < 24, minute < 60, second < 61
        else { return nil }
        var fraction = 0.0
        if bytes.count > 20 {
            guard bytes[19] == UInt8(ascii: "."), bytes.count > 21, bytes.count - 21 <= 9, let digits = number(20..<(bytes.count - 1)) else { return nil }
            fraction = Double(digits) / pow(10, Double(bytes.count - 21))
        } else if bytes.count != 20 {
            return nil
        }
        var parts = tm()
        parts.tm_year = Int32(year - 1900)
        parts.tm_mon = Int32(month - 1)
        parts.tm_mday = Int32(day)
        parts.tm_hour = Int32(hour)
        parts.tm_min = Int32(minute)
        parts.tm_sec = Int32(second)
        let seconds = timegm(&parts)
        return Date(timeIntervalSince1970: Double(seconds) + fraction)
    }

    private static func utcParts(_ date: Date) -> (tm, Int32) {
        // Round to the nearest millisecond first, so 0.123 stored as
        // 0.12299… prints as .123, and carry into the seconds.
        let millisecondsSinceEpoch = Int64((date.timeIntervalSince1970 * 1000).rounded())
        var seconds = time_t(millisecondsSinceEpoch.quotient(dividingBy: 1000))
        let millis = Int32(millisecondsSinceEpoch - Int64(seconds) * 1000)
        var parts = tm()
        gmtime_r(&seconds, &parts)
        return (parts, millis)
    }
}

extension Int64 {
    /// Floor division, so times before 1970 keep a non-negative remainder.
    fileprivate func quotient(dividingBy divisor: Int64) -> Int64 {
        let (quotient, remainder) = quotientAndRemainder(dividingBy: divisor)
        return remainder < 0 ? quotient - 1 : quotient
    }
}
