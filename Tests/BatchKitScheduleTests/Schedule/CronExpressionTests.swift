@testable import BatchKit
@testable import BatchKitRunner
@testable import BatchKitSchedule
import Foundation
import Testing

@Suite struct CronExpressionTests {
    static let days = Array(1...31)
    static let months = Array(1...12)
    static let weekdays = Array(0...6)

    @Test(arguments: [
        ("0 2 * * *", [[0], [2], days, months, weekdays]),
        ("*/15 * * * *", [[0, 15, 30, 45], Array(0...23), days, months, weekdays]),
        ("0-30/10 9-17 1,15 jan-mar mon-fri", [[0, 10, 20, 30], Array(9...17), [1, 15], [1, 2, 3], [1, 2, 3, 4, 5]]),
        ("0 2 * * 5-7", [[0], [2], days, months, [0, 5, 6]]),
        ("0 2 * * 7", [[0], [2], days, months, [0]]),
        ("0 2 * * SUN,Sat", [[0], [2], days, months, [0, 6]]),
        ("5,35 */6 */10 */4 *", [[5, 35], [0, 6, 12, 18], [1, 11, 21, 31], [1, 5, 9], weekdays]),
        ("59 23 31 dec sat", [[59], [23], [31], [12], [6]]),
        ("@weekly", [[0], [0], days, months, [0]]),
        ("@monthly", [[0], [0], [1], months, weekdays]),
    ])
    func fieldsMatchWhatCronMatches(text: String, values: [[Int]]) throws {
        let expression = try CronExpression(text)
        #expect(expression.fields.map(\.values) == values)
    }

    @Test func macrosAndSpacingAreNormalisedForTheCrontab() throws {
        #expect(try CronExpression("  0   2 *\t* * ").text == "0 2 * * *")
        #expect(try CronExpression("@HOURLY").text == "@hourly")
        #expect(try CronExpression("@annually").fields.map(\.values) == CronExpression("0 0 1 1 *").fields.map(\.values))
        let reboot = try CronExpression("@reboot")
        #expect(reboot.isReboot && reboot.fields.isEmpty && reboot.field(.hour) == nil)
    }

    @Test(arguments: [
        ("0 2 * *", ["it has 4 fields", "minute hour day-of-month month day-of-week"]),
        ("0 2 * * * *", ["it has 6 fields"]),
        ("", ["it has 0 fields"]),
        ("60 * * * *", ["the minute field \"60\": 60 is out of range; the minute is 0-59", "For example: \"*/15 * * * *\""]),
        ("0 24 * * *", ["the hour field \"24\"", "0-23", "For example: \"30 2 * * *\""]),
        ("0 2 0 * *", ["the day-of-month field \"0\"", "1-31"]),
        ("0 2 * 13 *", ["the month field \"13\"", "1-12"]),
        ("0 2 * * 8", ["the day-of-week field \"8\"", "0-7 (0 and 7 are Sunday)", "mon-fri"]),
        ("5/10 * * * *", ["a step needs a range or *; write 5-59/10 or */10"]),
        ("*/0 * * * *", ["the step 0 in \"*/0\" must be from 1 to 59"]),
        ("*/60 * * * *", ["the step 60 in \"*/60\" must be from 1 to 59"]),
        ("0 2 * * 1-5/x", ["the step \"x\" in \"1-5/x\" is not a whole number"]),
        ("30-10 * * * *", ["the range \"30-10\" runs backwards", "write 30-59,0-10"]),
        ("0 2 * * sat-sun", ["runs backwards", "write sat-7 (7 is Sunday too)"]),
        ("0 2 * * monday", ["\"monday\" is not a number or a day-of-week name (sun mon tue wed thu fri sat); use the first three letters: mon"]),
        ("0 2 * foo *", ["\"foo\" is not a number or a month name (jan feb"]),
        ("x * * * *", ["the minute field \"x\": \"x\" is not a number"]),
        ("0 2 1,,2 * *", ["has an empty list item"]),
        ("0 2 -5 * *", ["\"-5\" is missing a number"]),
        ("@fortnightly", ["@fortnightly is not a cron macro; use one of @hourly @daily"]),
        ("@daily 2", ["@daily stands alone"]),
        ("0 0 30 2 *", ["it never runs: no month in \"2\" has day 30"]),
    ])
    func invalidExpressionsSayWhichFieldWhatValueAndGiveAnExample(text: String, fragments: [String]) {
        do {
            _ = try CronExpression(text)
            Issue.record("\"\(text)\" was accepted")
        } catch {
            #expect(error.code == .invalidExpression)
            #expect(error.message.hasPrefix("invalid cron expression \"\(text)\": "))
            #expect(error.message.contains("For example: \""))
            for fragment in fragments { #expect(error.message.contains(fragment), "\(error.message)") }
        }
    }

    @Test func aLeapDayIsValidAndFoundYearsAhead() throws {
        let dates = try CronExpression("0 0 29 2 *").nextDates(after: Self.date("2026-03-01T00:00:00Z"), count: 2, calendar: Self.utc)
        #expect(dates == [Self.date("2028-02-29T00:00:00Z"), Self.date("2032-02-29T00:00:00Z")])
    }

    @Test(arguments: [
        ("0 2 * * *", "2026-11-21T18:00:00Z", ["2026-11-22T02:00:00Z", "2026-11-23T02:00:00Z"]),
        ("*/20 * * * *", "2026-11-21T18:05:30Z", ["2026-11-21T18:20:00Z", "2026-11-21T18:40:00Z", "2026-11-21T19:00:00Z"]),
        // Both day fields restricted: cron runs on either (Fridays, and the 13th).
        ("0 0 13 * fri", "2026-11-01T00:00:00Z", ["2026-11-06T00:00:00Z", "2026-11-13T00:00:00Z", "2026-11-20T00:00:00Z", "2026-11-27T00:00:00Z", "2026-12-04T00:00:00Z", "2026-12-11T00:00:00Z", "2026-12-13T00:00:00Z"]),
        // One starts with *: both must match (odd days that are Fridays).
        ("0 0 */2 * fri", "2026-11-01T00:00:00Z", ["2026-11-13T00:00:00Z", "2026-11-27T00:00:00Z", "2026-12-11T00:00:00Z"]),
        ("@weekly", "2026-11-21T18:00:00Z", ["2026-11-22T00:00:00Z", "2026-11-29T00:00:00Z"]),
    ])
    func nextDatesFollowCronsDayRule(text: String, after: String, expected: [String]) throws {
        let dates = try CronExpression(text).nextDates(after: Self.date(after), count: expected.count, calendar: Self.utc)
        #expect(dates == expected.map(Self.date))
    }

    @Test func rebootHasNoCalendarTimes() throws {
        #expect(try CronExpression("@reboot").nextDates(after: Date(), count: 3).isEmpty)
    }

    static let utc: Calendar = {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC") ?? TimeZone(secondsFromGMT: 0) ?? .current
        return calendar
    }()

    static func date(_ text: String) -> Date {
        Timestamp.parse(text) ?? .distantPast
    }
}
