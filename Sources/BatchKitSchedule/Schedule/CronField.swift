import BatchKit
import BatchKitRunner
/// One of the five fields of a cron expression, parsed into the values it
/// matches: `*`, numbers, names (`jan`, `mon`), ranges `a-b`, lists `a,b` and
/// steps `*/n`, `a-b/n`, as Debian's cron reads them.
public struct CronField: Sendable, Equatable {
    /// Which field, with its range and names.
    public enum Kind: Int, CaseIterable, Sendable {
        case minute, hour, dayOfMonth, month, dayOfWeek

        /// How messages name the field.
        public var name: String {
            ["minute", "hour", "day-of-month", "month", "day-of-week"][rawValue]
        }

        /// The values cron accepts (day of week 7 is Sunday, as 0 is).
        public var range: ClosedRange<Int> {
            [0...59, 0...23, 1...31, 1...12, 0...7][rawValue]
        }

        /// How many distinct moments the field has (Sunday counted once).
        var count: Int { self == .dayOfWeek ? 7 : range.count }

        /// Three-letter names, for the month (`jan` = 1) and the day of week (`sun` = 0).
        var names: [String: Int] {
            switch self {
            case .month:
                let months = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"]
                return Dictionary(uniqueKeysWithValues: months.enumerated().map { ($1, $0 + 1) })
            case .dayOfWeek:
                let days = ["sun", "mon", "tue", "wed", "thu", "fri", "sat"]
                return Dictionary(uniqueKeysWithValues: days.enumerated().map { ($1, $0) })
            default:
                return [:]
            }
        }

        /// A whole expression that shows the field in use.
        var example: String {
            [
                "\"*/15 * * * *\" (every 15 minutes)", "\"30 2 * * *\" (02:30 every day)",
                "\"0 6 1,15 * *\" (06:00 on the 1st and 15th)", "\"0 0 1 jan,jul *\" (midnight on 1 January and 1 July)",
                "\"0 2 * * mon-fri\" (02:00 on weekdays)",
            ][rawValue]
        }
    }

    public let kind: Kind
    /// The field as written.
    public let text: String
    /// The values it matches, ascending; a day of week of 7 is folded into 0.
    public let values: [Int]
    /// The field starts with `*`. Cron then treats a day field as unrestricted
    /// when it combines day of month and day of week (see ``CronExpression``).
    public var startsWithStar: Bool { text.hasPrefix("*") }
    /// Every moment of the field matches (`*`, `0-59`, `0-6`, …).
    public var isEverything: Bool { values.count == kind.count }

    /// Parses `text` as a field of `kind`.
    ///
    /// - Throws: A message saying what is wrong with which part (the caller
    ///   adds the expression and an example).
    init(_ kind: Kind, _ text: String) throws(FieldProblem) {
        self.kind = kind
        self.text = text
        var matched = Set<Int>()
        for item in text.split(separator: ",", omittingEmptySubsequences: false).map(String.init) {
            guard !item.isEmpty else { throw FieldProblem("has an empty list item; separate values with single commas, as in 1,15") }
            for value in try Self.values(of: item, kind: kind) { matched.insert(kind == .dayOfWeek && value == 7 ? 0 : value) }
        }
        values = matched.sorted()
    }

    /// What is wrong with a field, in words.
    struct FieldProblem: Error {
        let message: String
        init(_ message: String) { self.message = message }
    }

    /// The values of one list item: `*`, `*/n`, `a`, `a-b` or `a-b/n`.
    private static func values(of item: String, kind: Kind) throws(FieldProblem) -> [Int] {
        let parts = item.split(separator: "/", omittingEmptySubsequences: false).map(String.init)
        guard parts.count <= 2 else { throw FieldProblem("\"\(item)\" has more than one /") }
        let base = parts[0]
        var step = 1
        if parts.count == 2 {
            guard let number = Int(parts[1]), parts[1].allSatisfy(\.isASCII) else {
                throw FieldProblem("the step \"\(parts[1])\" in \"\(item)\" is not a whole number")
            }
            let span = kind.range.upperBound - kind.range.lowerBound
            guard number >= 1, number <= span else {
                throw FieldProblem("the step \(number) in \"\(item)\" must be from 1 to \(span) (the \(kind.name) range is \(kind.range.lowerBound)-\(kind.range.upperBound))")
            }
            step = number
        }
        let low: Int
        let high: Int
        if base == "*" {
            (low, high) = (kind.range.lowerBound, kind.range.upperBound)
        } else if let dash = base.firstIndex(of: "-") {
            let first = String(base[..<dash])
            let last = String(base[base.index(after: dash)...])
            (low, high) = (try value(first, in: item, kind: kind), try value(last, in: item, kind: kind))
            guard low <= high else {
                let hint = kind == .dayOfWeek && high == 0
                    ? "\(first)-7 (7 is Sunday too)"
                    : "\(first)-\(kind.range.upperBound),\(kind.range.lowerBound)-\(last)"
                throw FieldProblem("the range \"\(base)\" runs backwards and cron does not wrap around; write \(hint)")
            }
        } else {
            let single = try value(base, in: item, kind: kind)
            guard parts.count == 1 else {
                throw FieldProblem("\"\(item)\": a step needs a range or *; write \(base)-\(kind.range.upperBound)/\(step) or */\(step)")
            }
            return [single]
        }
        return Array(stride(from: low, through: high, by: step))
    }

    /// A number or a three-letter name, within the field's range.
    private static func value(_ word: String, in item: String, kind: Kind) throws(FieldProblem) -> Int {
        if let number = Int(word), word.allSatisfy({ $0.isASCII && $0.isNumber }) {
            guard kind.range.contains(number) else {
                throw FieldProblem("\(number) is out of range; the \(kind.name) is \(kind.range.lowerBound)-\(kind.range.upperBound)\(kind == .dayOfWeek ? " (0 and 7 are Sunday)" : "")")
            }
            return number
        }
        let names = kind.names
        if let number = names[word.lowercased()] { return number }
        if word.isEmpty { throw FieldProblem("\"\(item)\" is missing a number") }
        if names.isEmpty { throw FieldProblem("\"\(word)\" is not a number") }
        let prefix = String(word.lowercased().prefix(3))
        let suggestion = names[prefix] != nil && word.count > 3 ? "; use the first three letters: \(prefix)" : ""
        let all = names.sorted { $0.value < $1.value }.map(\.key).joined(separator: " ")
        throw FieldProblem("\"\(word)\" is not a number or a \(kind.name) name (\(all))\(suggestion)")
    }
}
