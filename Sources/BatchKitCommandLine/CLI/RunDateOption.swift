import BatchKit
import BatchKitRunner

/// `--date`: one day (`2026-11-23`, `today`, `yesterday`) or a backfill
/// range (`2026-11-01..2026-11-07`), in the job's time zone.
enum RunDateOption {
    /// The most dates one backfill may have.
    static let longestBackfill = 3_660

    /// The dates `text` names, in order.
    ///
    /// - Throws: ``UsageError`` naming what is wrong and the forms accepted.
    static func dates(_ text: String, today: RunDate, command: String) throws(UsageError) -> [RunDate] {
        let forms = "a date like 2026-11-23, today, yesterday, or a range like 2026-11-01..2026-11-07"
        func day(_ word: Substring) throws(UsageError) -> RunDate {
            switch word {
            case "today": return today
            case "yesterday": return today.adding(days: -1)
            default:
                guard let date = RunDate(word) else {
                    throw UsageError("--date \(text): \"\(word)\" is not a calendar date; give \(forms)", command: command)
                }
                return date
            }
        }
        let ends = text.split(separator: ".", omittingEmptySubsequences: false)
        if ends.count == 1 { return [try day(ends[0])] }
        guard ends.count == 3, ends[1].isEmpty else {
            throw UsageError("--date \(text): give \(forms)", command: command)
        }
        let (first, last) = (try day(ends[0]), try day(ends[2]))
        guard first <= last else {
            throw UsageError("--date \(text): the range runs backwards; give the earlier date first (\(last)..\(first))", command: command)
        }
        let dates = first.through(last)
        guard dates.count <= longestBackfill else {
            throw UsageError("--date \(text): \(dates.count) dates is more than one backfill may have (\(longestBackfill)); split it", command: command)
        }
        return dates
    }
}

/// What a backfill tells the user when it stops or ends.
enum Backfill {
    static func stopped(at date: RunDate?, rest: [RunDate], command: String, interrupted: Bool) -> String {
        let at = date.map { " at \($0)" } ?? ""
        let left = rest.isEmpty ? "" : "; not run yet: \(range(rest))"
        let why = interrupted ? "was interrupted" : "failed"
        return "backfill stopped: the run\(at) \(why)\(left). Fix it, then continue with: \(command) --resume (it finishes \(date.map(\.description) ?? "that run") first, then runs the dates left)\n"
    }

    static func finished(_ dates: [RunDate]) -> String {
        "backfill \(range(dates)): \(dates.count) runs passed, one per date\n"
    }

    static func range(_ dates: [RunDate]) -> String {
        guard let first = dates.first, let last = dates.last else { return "" }
        return first == last ? first.description : "\(first)..\(last)"
    }
}
