import BatchKit
import BatchKitRunner
/// A cron expression as a systemd `OnCalendar=` value
/// (`[Weekdays] Year-Month-Day Hour:Minute:Second`):
///
/// ```
/// 0 2 * * *        →  *-*-* 02:00:00
/// */15 * * * *     →  *-*-* *:00/15:00
/// 0 2 * * mon-fri  →  Mon..Fri *-*-* 02:00:00
/// @weekly          →  Sun *-*-* 00:00:00   (cron's week starts on Sunday)
/// ```
///
/// It is built from the values each field matches, so it means what cron
/// means; what systemd cannot say is refused rather than approximated.
public enum SystemdCalendar {
    /// The `OnCalendar=` value for `expression`.
    ///
    /// - Throws: ``ScheduleError`` (`unsupported`) for `@reboot`, and when both
    ///   day fields are restricted (cron runs on either, systemd only on both).
    public static func onCalendar(_ expression: CronExpression) throws(ScheduleError) -> String {
        guard let minute = expression.field(.minute), let hour = expression.field(.hour),
              let day = expression.field(.dayOfMonth), let month = expression.field(.month),
              let weekday = expression.field(.dayOfWeek)
        else {
            throw ScheduleError(.unsupported, """
                @reboot has no systemd timer equivalent: a timer fires on a calendar. Use a crontab entry for \
                @reboot (leave out --systemd), or give the timer OnBootSec= yourself
                """)
        }
        var days = day.values
        var weekdays = weekday.values
        if !day.startsWithStar, !weekday.startsWithStar {
            // Cron runs on days matching either field; "either" of an
            // everything is every day, the one case systemd can say.
            if day.isEverything || weekday.isEverything {
                days = Array(CronField.Kind.dayOfMonth.range)
                weekdays = Array(0...6)
            } else {
                let text = expression.text
                let fields = text.split(separator: " ")
                throw ScheduleError(.unsupported, """
                    "\(text)" runs when the day of month (\(day.text)) OR the weekday (\(weekday.text)) matches: cron \
                    runs on either, but a systemd timer needs both. Make two timers with different --name values, \
                    one --cron "\(fields[0]) \(fields[1]) \(day.text) \(fields[3]) *" and one \
                    --cron "\(fields[0]) \(fields[1]) * \(fields[3]) \(weekday.text)", or use a crontab entry (leave out --systemd)
                    """)
            }
        }
        let weekdayPart = weekdays.count == 7 ? "" : weekdayList(weekdays) + " "
        return weekdayPart
            + "*-\(values(month.values, .month))-\(values(days, .dayOfMonth)) "
            + "\(values(hour.values, .hour)):\(values(minute.values, .minute)):00"
    }

    /// `*`, `00/15` (from 0, every 15), `08..18/2`, `01..05`, or a list.
    static func values(_ values: [Int], _ kind: CronField.Kind) -> String {
        if values.count == kind.count { return "*" }
        func number(_ value: Int) -> String { value < 10 ? "0\(value)" : String(value) }
        if values.count >= 3, let first = values.first, let last = values.last {
            let step = values[1] - first
            if step > 1, zip(values, values.dropFirst()).allSatisfy({ $1 - $0 == step }) {
                // `a/n` repeats up to the field's end; stop earlier with a range.
                return last + step > kind.range.upperBound ? "\(number(first))/\(step)" : "\(number(first))..\(number(last))/\(step)"
            }
        }
        return runs(values).map { run in
            run.count >= 3 ? "\(number(run[0]))..\(number(run[run.count - 1]))" : run.map(number).joined(separator: ",")
        }.joined(separator: ",")
    }

    /// `Mon..Fri`, `Mon,Wed`, `Sat,Sun`: systemd's week starts on Monday and
    /// its ranges do not wrap.
    static func weekdayList(_ values: [Int]) -> String {
        let names = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]
        let mondayFirst = values.map { ($0 + 6) % 7 }.sorted()
        return runs(mondayFirst).map { run in
            run.count >= 3 ? "\(names[run[0]])..\(names[run[run.count - 1]])" : run.map { names[$0] }.joined(separator: ",")
        }.joined(separator: ",")
    }

    /// Sorted values split into runs of consecutive numbers.
    private static func runs(_ values: [Int]) -> [[Int]] {
        var runs: [[Int]] = []
        for value in values {
            if let last = runs.last?.last, value == last + 1 {
                runs[runs.count - 1].append(value)
            } else {
                runs.append([value])
            }
        }
        return runs
    }
}
