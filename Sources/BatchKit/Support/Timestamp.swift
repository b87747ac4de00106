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
        let (parts, millis) = utcParts(date)
        return String(
            format: "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ",
            parts.tm_year + 1900, parts.tm_mon + 1, parts.tm_mday,
            parts.tm_hour, parts.tm_min, parts.tm_sec, millis)
    }

    /// `20261121T134501.123Z`: compact, sortable to the millisecond and safe
    /// in file names.
    public static func compact(_ date: Date) -> String {
        let (parts, millis) = utcParts(date)
        return String(
            format: "%04d%02d%02dT%02d%02d%02d.%03dZ",
            parts.tm_year + 1900, parts.tm_mon + 1, parts.tm_mday,
            parts.tm_hour, parts.tm_min, parts.tm_sec, millis)
    }

    /// Parses what ``iso8601(_:)`` writes (milliseconds optional).
    public static func parse(_ text: String) -> Date? {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        if let date = formatter.date(from: text) { return date }
        formatter.formatOptions = [.withInternetDateTime]
        return formatter.date(from: text)
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
