import BatchKit
import BatchKitRunner
import Foundation

/// When a scheduled job runs, written as cron writes it: five fields
/// (`minute hour day-of-month month day-of-week`) or a macro (`@daily`, …).
///
/// As in cron, when both day fields are restricted a day matches if *either*
/// does (`0 2 1 * mon`: the 1st, and every Monday); when one of them starts
/// with `*` both must match.
public struct CronExpression: Sendable, Equatable {
    /// `@hourly`, `@daily`, … — shorthands for five fields, and `@reboot`.
    public enum Macro: String, CaseIterable, Sendable {
        case hourly, daily, midnight, weekly, monthly, yearly, annually, reboot

        /// The five fields the macro stands for; `nil` for `@reboot`.
        public var fields: String? {
            switch self {
            case .hourly: return "0 * * * *"
            case .daily, .midnight: return "0 0 * * *"
            case .weekly: return "0 0 * * 0"
            case .monthly: return "0 0 1 * *"
            case .yearly, .annually: return "0 0 1 1 *"
            case .reboot: return nil
            }
        }
    }

    /// The expression as it goes into a crontab: single spaces, a macro in
    /// lower case.
    public let text: String
    /// The macro it was written as, if any.
    public let macro: Macro?
    /// Minute, hour, day of month, month, day of week; empty for `@reboot`.
    public let fields: [CronField]

    /// `@reboot`: at boot rather than on a calendar.
    public var isReboot: Bool { macro == .reboot }

    /// The field of `kind`; `nil` for `@reboot`.
    public func field(_ kind: CronField.Kind) -> CronField? {
        fields.isEmpty ? nil : fields[kind.rawValue]
    }

    /// Parses and checks `text`.
    ///
    /// - Throws: ``ScheduleError`` (`invalidExpression`) naming the field, the
    ///   value and what to write instead, with an example.
    public init(_ text: String) throws(ScheduleError) {
        let words = text.split(whereSeparator: { $0 == " " || $0 == "\t" }).map(String.init)
        if let first = words.first, first.hasPrefix("@") {
            guard let macro = Macro(rawValue: String(first.dropFirst()).lowercased()) else {
                throw Self.invalid(text, "\(first) is not a cron macro; use one of \(Macro.allCases.map { "@" + $0.rawValue }.joined(separator: " "))")
            }
            guard words.count == 1 else {
                throw Self.invalid(text, "\(first) stands alone: a macro replaces all five fields")
            }
            self.macro = macro
            self.text = "@" + macro.rawValue
            self.fields = try macro.fields.map { fields throws(ScheduleError) in try Self.parse(fields.split(separator: " ").map(String.init), text: text) } ?? []
            return
        }
        guard words.count == 5 else {
            throw Self.invalid(text, "it has \(words.count) field\(words.count == 1 ? "" : "s"); cron needs 5: minute hour day-of-month month day-of-week (or a macro such as @daily)")
        }
        self.macro = nil
        self.text = words.joined(separator: " ")
        self.fields = try Self.parse(words, text: text)
    }

    private static func parse(_ words: [String], text: String) throws(ScheduleError) -> [CronField] {
        var fields: [CronField] = []
        for kind in CronField.Kind.allCases {
            do {
                fields.append(try CronField(kind, words[kind.rawValue]))
            } catch {
                throw invalid(text, "the \(kind.name) field \"\(words[kind.rawValue])\": \(error.message)", example: kind.example)
            }
        }
        // A day that never comes (30 February) would leave the job silently unrun.
        let days = fields[CronField.Kind.dayOfMonth.rawValue]
        let months = fields[CronField.Kind.month.rawValue]
        let weekdaysToo = !days.startsWithStar && !fields[CronField.Kind.dayOfWeek.rawValue].startsWithStar
        if !weekdaysToo, !months.values.contains(where: { month in days.values.contains { $0 <= maxDays(month) } }) {
            throw invalid(text, "it never runs: no month in \"\(months.text)\" has day \(days.text)", example: CronField.Kind.dayOfMonth.example)
        }
        return fields
    }

    private static func maxDays(_ month: Int) -> Int {
        [31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][month - 1]
    }

    private static func invalid(_ text: String, _ problem: String, example: String = "\"0 2 * * *\" (02:00 every day)") -> ScheduleError {
        ScheduleError(.invalidExpression, "invalid cron expression \"\(text)\": \(problem). For example: \(example)")
    }

    /// True when the job runs in the minute of `components` (which needs
    /// minute, hour, day, month and weekday, as `Calendar` numbers them:
    /// Sunday = 1).
    public func matches(_ components: DateComponents) -> Bool {
        guard !fields.isEmpty, let minute = components.minute, let hour = components.hour, let day = components.day,
              let month = components.month, let weekday = components.weekday
        else { return false }
        return fields[0].values.contains(minute) && fields[1].values.contains(hour)
            && fields[3].values.contains(month) && matchesDay(day: day, weekday: weekday - 1)
    }

    /// Cron's rule for the two day fields.
    private func matchesDay(day: Int, weekday: Int) -> Bool {
        let dayOfMonth = fields[CronField.Kind.dayOfMonth.rawValue]
        let dayOfWeek = fields[CronField.Kind.dayOfWeek.rawValue]
        let byDay = dayOfMonth.values.contains(day)
        let byWeekday = dayOfWeek.values.contains(weekday)
        return dayOfMonth.startsWithStar || dayOfWeek.startsWithStar ? byDay && byWeekday : byDay || byWeekday
    }

    /// The next `count` times the job runs after `date`, in `calendar`'s time
    /// zone; empty for `@reboot`.
    public func nextDates(after date: Date, count: Int, calendar: Calendar = .current) -> [Date] {
        guard !fields.isEmpty, count > 0 else { return [] }
        var found: [Date] = []
        guard var day = calendar.date(from: calendar.dateComponents([.year, .month, .day], from: date)) else { return [] }
        // Eight years reach a 29 February whatever the start.
        for _ in 0..<(366 * 8) {
            let parts = calendar.dateComponents([.year, .month, .day, .weekday], from: day)
            if let month = parts.month, let dayNumber = parts.day, let weekday = parts.weekday,
               fields[3].values.contains(month), matchesDay(day: dayNumber, weekday: weekday - 1) {
                for hour in fields[1].values {
                    for minute in fields[0].values {
                        var moment = parts
                        moment.weekday = nil
                        (moment.hour, moment.minute, moment.second) = (hour, minute, 0)
                        guard let time = calendar.date(from: moment), time > date, time > (found.last ?? date) else { continue }
                        found.append(time)
                        if found.count == count { return found }
                    }
                }
            }
            guard let next = calendar.date(byAdding: .day, value: 1, to: day) else { break }
            day = next
        }
        return found
    }
}
