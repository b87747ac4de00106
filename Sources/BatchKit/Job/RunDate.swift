import Foundation

/// The day a run is for: what a nightly job processes (`./run.sh --date
/// 2026-11-23`), by default today in the job's time zone. Steps read it as
/// ``StepContext/runDate``, shell steps as `$BATCHKIT_RUN_DATE`; it is
/// recorded with the run, in the history and the report, and `--resume`
/// keeps it.
public struct RunDate: Sendable, Hashable, Comparable, Codable, CustomStringConvertible {
    public let year: Int
    public let month: Int
    public let day: Int

    /// A calendar date written `YYYY-MM-DD` (`2026-11-23`); `nil` for
    /// anything else, including a day the month does not have.
    public init?(_ text: some StringProtocol) {
        // Read byte by byte, not generically: a history holds one per row.
        var text = String(text)
        guard let (year, month, day) = text.withUTF8(Self.parts) else { return nil }
        guard (1...12).contains(month), (1...Self.days(inMonth: month, of: year)).contains(day) else { return nil }
        (self.year, self.month, self.day) = (year, month, day)
    }

    /// Year, month and day of `YYYY-MM-DD`, unchecked against the calendar.
    private static func parts(_ bytes: UnsafeBufferPointer<UInt8>) -> (Int, Int, Int)? {
        guard bytes.count == 10, bytes[4] == UInt8(ascii: "-"), bytes[7] == UInt8(ascii: "-") else { return nil }
        var (year, month, day) = (0, 0, 0)
        for index in 0..<10 where index != 4 && index != 7 {
            guard (0x30...0x39).contains(bytes[index]) else { return nil }
            let digit = Int(bytes[index] - 0x30)
            switch index {
            case ..<4: year = year * 10 + digit
            case ..<7: month = month * 10 + digit
            default: day = day * 10 + digit
            }
        }
        return (year, month, day)
    }

    /// The day `now` falls on in `timeZone`.
    public static func today(in timeZone: TimeZone, now: Date = Date()) -> RunDate {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = timeZone
        let parts = calendar.dateComponents([.year, .month, .day], from: now)
        return RunDate(year: parts.year ?? 1970, month: parts.month ?? 1, day: parts.day ?? 1)
    }

    private init(year: Int, month: Int, day: Int) {
        (self.year, self.month, self.day) = (year, month, day)
    }

    /// The date `count` days later (earlier when negative).
    public func adding(days count: Int) -> RunDate {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC") ?? .current
        let start = calendar.date(from: DateComponents(year: year, month: month, day: day)) ?? Date(timeIntervalSince1970: 0)
        let moved = calendar.date(byAdding: .day, value: count, to: start) ?? start
        let parts = calendar.dateComponents([.year, .month, .day], from: moved)
        return RunDate(year: parts.year ?? year, month: parts.month ?? month, day: parts.day ?? day)
    }

    /// Every date from `self` to `last`, both included.
    public func through(_ last: RunDate) -> [RunDate] {
        var dates: [RunDate] = []
        var date = self
        while date <= last {
            dates.append(date)
            date = date.adding(days: 1)
        }
        return dates
    }

    /// The moment the day starts in `timeZone`.
    public func start(in timeZone: TimeZone) -> Date {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = timeZone
        return calendar.date(from: DateComponents(year: year, month: month, day: day)) ?? Date(timeIntervalSince1970: 0)
    }

    /// `2026-11-23`.
    public var description: String {
        func pad(_ value: Int, _ width: Int) -> String {
            let text = String(value)
            return String(repeating: "0", count: max(0, width - text.count)) + text
        }
        return "\(pad(year, 4))-\(pad(month, 2))-\(pad(day, 2))"
    }

    public static func < (lhs: RunDate, rhs: RunDate) -> Bool {
        (lhs.year, lhs.month, lhs.day) < (rhs.year, rhs.month, rhs.day)
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        let text = try container.decode(String.self)
        guard let date = RunDate(text) else {
            throw DecodingError.dataCorruptedError(in: container, debugDescription: "a run date is written YYYY-MM-DD, not \"\(text)\"")
        }
        self = date
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(description)
    }

    private static func days(inMonth month: Int, of year: Int) -> Int {
        switch month {
        case 2: (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 ? 29 : 28
        case 4, 6, 9, 11: 30
        default: 31
        }
    }

    /// The job's time zone: `$TZ` when it names one, else the machine's.
    public static var jobTimeZone: TimeZone {
        ProcessInfo.processInfo.environment["TZ"].flatMap { TimeZone(identifier: $0) } ?? .current
    }
}
