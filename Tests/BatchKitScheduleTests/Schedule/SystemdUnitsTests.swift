@testable import BatchKit
@testable import BatchKitRunner
@testable import BatchKitSchedule
import Foundation
import TestSupport
import Testing

@Suite struct SystemdUnitsTests {
    /// systemd reads unit files as bytes: a `"`, `\`, `%` or `$` that a
    /// combining mark or an emoji modifier follows (one `Character` with it)
    /// is escaped all the same.
    @Test(arguments: [
        ("say \"\u{301}hi", "\"say \\\"\u{301}hi\""),
        ("back\\\u{301}", "\"back\\\\\u{301}\""),
        ("100%\u{301}", "100%%\u{301}"),
        ("$\u{1F3FB}HOME", "$$\u{1F3FB}HOME"),
        ("'\u{301} quoted", "\"'\u{301} quoted\""),
    ])
    func execStartWordsAreEscapedScalarByScalar(word: String, written: String) {
        #expect(Array(SystemdUnits.execArgument(word).unicodeScalars) == Array(written.unicodeScalars))
    }

    @Test func aJobNameCannotAddALineToTheUnits() throws {
        let run = try ScheduledRun(
            name: "demo", job: "demo\nExecStartPre=/bin/false %\u{301}", directory: "/srv/demo", command: ["/srv/demo/run.sh", "run"], path: "/usr/bin:/bin")
        let units = try SystemdUnits(expression: CronExpression("0 2 * * *"), run: run)
        for text in [units.service, units.timer] {
            #expect(!text.contains("\nExecStartPre"))
            #expect(text.unicodeScalars.split(separator: "\n").contains { $0.starts(with: "Description=".unicodeScalars) && String(String.UnicodeScalarView($0)).contains("demo\\nExecStartPre=/bin/false %%\u{301}") })
        }
    }
}
