@testable import BatchKit
@testable import BatchKitRunner
@testable import BatchKitSchedule
import Foundation
import TestSupport
import Testing

@Suite struct CrontabEntryTests {
    @Test(arguments: [
        ("/srv/jobs/demo-1.0/run.sh", "/srv/jobs/demo-1.0/run.sh"),
        ("--param", "--param"),
        ("a b", "'a b'"),
        ("it's", "'it'\\''s'"),
        ("50%", "'50'\\%"),
        ("%", "\\%"),
        ("", "''"),
        ("$HOME", "'$HOME'"),
        ("a\\%b", "'a\\'\\%'b'"),
    ])
    func wordsAreQuotedForShAndPercentEscapedForCron(word: String, quoted: String) {
        #expect(CrontabEntry.word(word) == quoted)
    }

    /// What cron hands to `/bin/sh` gives back every word exactly.
    @Test func trickyWordsSurviveCronAndTheShell() async throws {
        let words = ["plain", "two words", "it's", "100%", "%%", "50\\%", "a\\\\%b", "$HOME `id` $(id) \"q\"", "tab\there", "", "*", "~", ";", "#not a comment"]
        let line = "* * * * * printf " + ([#"<%s>\n"#] + words).map(CrontabEntry.word).joined(separator: " ")
        let result = try await runProgram("/bin/sh", ["-c", cronCommand(of: line)], in: URL(fileURLWithPath: "/"))
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout == words.map { "<\($0)>\n" }.joined())
    }

    /// A `'` or `%` that a combining mark or an emoji modifier follows is one
    /// `Character` with it; cron and `sh` read bytes, and still see a quote
    /// or a percent sign.
    @Test func aQuoteOrPercentThatAMarkFollowsSurvivesCronAndTheShell() async throws {
        let words = ["it'\u{301}s", "'\u{1F3FB}", "100%\u{301}", "%\u{301}%\u{1F3FB}", "'\u{301}%\u{301}'"]
        let line = "* * * * * printf " + ([#"<%s>\n"#] + words).map(CrontabEntry.word).joined(separator: " ")
        let result = try await runProgram("/bin/sh", ["-c", cronCommand(of: line)], in: URL(fileURLWithPath: "/"))
        #expect(result.status == 0, "\(result.stderr)")
        #expect(Array(result.stdout.unicodeScalars) == Array(words.map { "<\($0)>\n" }.joined().unicodeScalars))
    }

    @Test func theLineRunsFromTheFolderWithPathAndAppendsToTheLogThenTheMarker() throws {
        let run = try ScheduledRun(
            name: "demo", job: "demo", directory: "/srv/my jobs/demo", command: ["/srv/my jobs/demo/run.sh", "run", "--param", "day=50%"],
            path: ScheduledRun.searchPath(swift: "/opt/swift/usr/bin/swift"))
        let entry = CrontabEntry(expression: try CronExpression("0 2 * * *"), run: run)
        #expect(entry.line == "0 2 * * * cd '/srv/my jobs/demo' && PATH=/opt/swift/usr/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin "
            + "'/srv/my jobs/demo/run.sh' run --param 'day=50'\\% >> '/srv/my jobs/demo/logs/schedule.log' 2>&1 # batchkit-schedule demo '/srv/my jobs/demo'")
        #expect(entry.line.hasSuffix(" " + entry.marker))
        #expect(!entry.line.contains("\n"))
    }

    @Test func scheduledRunsRefuseNamesAndWordsACrontabCannotHold() {
        #expect(throws: ScheduleError.self) { try ScheduledRun(name: "my job", job: "j", directory: "/x", command: ["/x/run.sh"], path: "/bin") }
        #expect(throws: ScheduleError.self) { try ScheduledRun(name: "-x", job: "j", directory: "/x", command: ["/x/run.sh"], path: "/bin") }
        #expect(throws: ScheduleError.self) { try ScheduledRun(name: "j", job: "j", directory: "/x", command: ["/x/run.sh", "a\nb"], path: "/bin") }
        #expect(throws: ScheduleError.self) { try ScheduledRun(name: "j", job: "j", directory: "relative", command: ["/x/run.sh"], path: "/bin") }
        #expect(ScheduledRun.searchPath(swift: nil) == "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin")
        #expect(ScheduledRun.searchPath(swift: "/usr/bin/swift") == "/usr/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/sbin:/bin")
    }

    @Test func editingKeepsEveryOtherLineByteForByte() {
        let marker = CrontabEntry.marker(name: "demo", directory: "/srv/demo")
        let other = "# m h dom mon dow command\nMAILTO=ops@example.com\n17 3 * * * /usr/bin/backup --at 50\\% # mine\n"
        var crontab = Crontab(other)
        #expect(crontab.remove(marked: marker).isEmpty)
        crontab.append("0 2 * * * /srv/demo/run.sh run \(marker)")
        #expect(crontab.text == other + "0 2 * * * /srv/demo/run.sh run \(marker)\n")
        // A second install replaces the first; the user's lines keep their order.
        #expect(crontab.remove(marked: marker) == ["0 2 * * * /srv/demo/run.sh run \(marker)"])
        crontab.append("5 4 * * * /srv/demo/run.sh run \(marker)")
        #expect(crontab.text == other + "5 4 * * * /srv/demo/run.sh run \(marker)\n")
        #expect(crontab.entries(marked: marker).count == 1)
        crontab.remove(marked: marker)
        #expect(crontab.text == other)

        // Another job's marker, a line the user commented out, and a last line without a newline stay.
        let otherJob = CrontabEntry.marker(name: "demo", directory: "/srv/demo2")
        let user = "1 1 * * * a \(otherJob)\n# 0 2 * * * old \(marker)\n@reboot b"
        var mixed = Crontab(user + "\n0 2 * * * mine \(marker)\n")
        mixed.remove(marked: marker)
        #expect(mixed.text == user + "\n")
        var unterminated = Crontab(user)
        unterminated.append("x")
        #expect(unterminated.text == user + "\nx\n")
    }
}
