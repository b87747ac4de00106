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

    /// `20261121T134501Z`: compact, sortable and safe in file names.
    public static func compact(_ date: Date) -> String {
        let (parts, _) = utcParts(date)
        return String(
            format: "%04d%02d%02dT%02d%02d%02dZ",
            parts.tm_year + 1900, parts.tm_mon + 1, parts.tm_mday,
            parts.tm_hour, parts.tm_min, parts.tm_sec)
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
        let interval = date.timeIntervalSince1970
        var seconds = time_t(interval.rounded(.down))
        var millis = Int32(((interval - Double(seconds)) * 1000).rounded(.down))
        if millis >= 1000 { millis = 999 }
        if millis < 0 { millis = 0 }
        var parts = tm()
        gmtime_r(&seconds, &parts)
        return (parts, millis)
    }
}
