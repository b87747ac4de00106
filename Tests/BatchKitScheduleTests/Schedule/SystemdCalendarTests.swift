@testable import BatchKit
@testable import BatchKitRunner
@testable import BatchKitSchedule
import Foundation
import TestSupport
import Testing

@Suite struct SystemdCalendarTests {
    @Test(arguments: [
        ("0 2 * * *", "*-*-* 02:00:00"),
        ("*/15 * * * *", "*-*-* *:00/15:00"),
        ("@hourly", "*-*-* *:00:00"),
        ("@daily", "*-*-* 00:00:00"),
        ("@weekly", "Sun *-*-* 00:00:00"),
        ("@monthly", "*-*-01 00:00:00"),
        ("@yearly", "*-01-01 00:00:00"),
        ("30 2 * * mon-fri", "Mon..Fri *-*-* 02:30:00"),
        ("0 9 * * mon,wed", "Mon,Wed *-*-* 09:00:00"),
        ("0 9 * * 5-7", "Fri..Sun *-*-* 09:00:00"),
        ("0 9 * * 0,1", "Mon,Sun *-*-* 09:00:00"),
        ("0 9 * * 0-6", "*-*-* 09:00:00"),
        ("0 0 1,15 * *", "*-*-01,15 00:00:00"),
        ("0 0 1 jan,jul *", "*-01,07-01 00:00:00"),
        ("0 0 * 3-5 *", "*-03..05-* 00:00:00"),
        ("0 8-18/2 * * *", "*-*-* 08..18/2:00:00"),
        ("0-30/10 * * * *", "*-*-* *:00..30/10:00"),
        ("5,35 * * * *", "*-*-* *:05,35:00"),
        ("0 0 */2 * *", "*-*-01/2 00:00:00"),
        ("0 12 * */3 *", "*-01/3-* 12:00:00"),
        ("0 0 */2 * fri", "Fri *-*-01/2 00:00:00"),
        // Either of "every day of the month" and Mondays is every day.
        ("0 0 1-31 * mon", "*-*-* 00:00:00"),
        ("0,1,2,30 6,7 * * *", "*-*-* 06,07:00..02,30:00"),
    ])
    func cronFieldsBecomeOnCalendar(cron: String, onCalendar: String) throws {
        #expect(try SystemdCalendar.onCalendar(CronExpression(cron)) == onCalendar)
    }

    @Test func bothDayFieldsRestrictedIsRefusedWithTwoTimersSuggested() throws {
        do {
            _ = try SystemdCalendar.onCalendar(CronExpression("0 2 1 * mon"))
            Issue.record("an OR of the day fields was accepted")
        } catch {
            #expect(error.code == .unsupported)
            #expect(error.message.contains("runs when the day of month (1) OR the weekday (mon) matches"))
            #expect(error.message.contains("--cron \"0 2 1 * *\" and one --cron \"0 2 * * mon\""))
        }
    }

    @Test func rebootIsRefusedForSystemd() throws {
        #expect(throws: ScheduleError.self) { try SystemdCalendar.onCalendar(CronExpression("@reboot")) }
        do {
            _ = try SystemdCalendar.onCalendar(CronExpression("@reboot"))
        } catch {
            #expect(error.code == .unsupported && error.message.contains("leave out --systemd"))
        }
    }

    /// The real `systemd-analyze calendar` finds the same next times for the
    /// converted value as cron's rules do for the expression.
    @Test(arguments: [
        "0 2 * * *", "*/15 * * * *", "30 2 * * mon-fri", "0 9 * * 5-7", "0 9 * * 0,1", "0 0 1,15 * *",
        "0 0 1 jan,jul *", "0 8-18/2 * * *", "0-30/10 * * * *", "0 0 */2 * *", "0 0 */2 * fri", "0 12 * */3 *",
        "@weekly", "@monthly", "@yearly", "45 23 31 * *",
    ])
    func systemdAnalyzeAgreesOnTheNextElapses(cron: String) async throws {
        guard let analyze = requireTool("systemd-analyze", for: "checking OnCalendar values with systemd-analyze calendar") else { return }
        let expression = try CronExpression(cron)
        let spec = try SystemdCalendar.onCalendar(expression)
        let base = Date(timeIntervalSince1970: 1_795_000_000)  // 2026-11-18 11:06:40 UTC
        let result = try await runProgram(
            analyze, ["calendar", "--iterations=6", "--base-time=@1795000000", spec], in: URL(fileURLWithPath: "/"), environment: ["TZ": "UTC"])
        #expect(result.status == 0, "\(result.stderr)")
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "EEE yyyy-MM-dd HH:mm:ss zzz"
        let elapses = result.stdout.split(separator: "\n")
            .filter { $0.contains("Next elapse:") || $0.contains("Iter. #") }
            .compactMap { line in line.range(of: ": ").flatMap { formatter.date(from: String(line[$0.upperBound...])) } }
        #expect(elapses.count == 6, "\(result.stdout)")
        #expect(elapses == expression.nextDates(after: base, count: 6, calendar: CronExpressionTests.utc), "\(spec)")
    }

    /// The real `systemd-analyze verify` accepts the units, with a job folder
    /// and an executable whose paths hold a space and `%h` (so `ExecStart=`
    /// was unquoted and unescaped back to the file that exists).
    @Test func systemdAnalyzeVerifiesTheUnits() async throws {
        guard let analyze = requireTool("systemd-analyze", for: "checking the generated units with systemd-analyze verify") else { return }
        let directory = try TemporaryDirectory()
        try directory.write("my job 100%h/run.sh", "#!/bin/sh\nexit 0\n")
        let job = directory.path("my job 100%h")
        chmod(job.appendingPathComponent("run.sh").path, 0o755)
        let run = try ScheduledRun(
            name: "demo", job: "demo", directory: job.path,
            command: [job.appendingPathComponent("run.sh").path, "run", "--param", "who=it's \"me\" $HOME", ";", ""],
            path: ScheduledRun.searchPath(swift: "/opt/swift 6/usr/bin/swift"))
        let units = try SystemdUnits(expression: CronExpression("*/15 9-17 * * mon-fri"), run: run)
        let execStart = "ExecStart=\"\(directory.url.path)/my job 100%%h/run.sh\" run --param \"who=it's \\\"me\\\" $$HOME\" \";\" \"\"\n"
        #expect(units.service.contains(execStart), "\(units.service)")
        #expect(units.service.contains("WorkingDirectory=\(directory.url.path)/my job 100%%h\n"))
        #expect(units.service.contains("Environment=\"PATH=/opt/swift 6/usr/bin:/usr/local/sbin:"))
        #expect(units.service.contains("StandardOutput=append:\(directory.url.path)/my job 100%%h/logs/schedule.log\n"))
        #expect(units.timer.contains("OnCalendar=Mon..Fri *-*-* 09..17:00/15:00\nPersistent=true\nUnit=batchkit-demo.service\n"))
        #expect(units.timer.contains("[Install]\nWantedBy=timers.target\n"))
        try directory.write("units/\(units.serviceName)", units.service)
        try directory.write("units/\(units.timerName)", units.timer)
        let result = try await runProgram(
            analyze, ["verify", directory.path("units/\(units.serviceName)").path, directory.path("units/\(units.timerName)").path],
            in: directory.path("units"))
        #expect(result.status == 0, "\(result.stdout)\(result.stderr)")
        #expect(!result.stderr.contains("batchkit-demo"), "\(result.stderr)")

        // The check has teeth: an unescaped % in the path is caught.
        try directory.write("units/\(units.serviceName)", units.service.replacingOccurrences(of: "100%%", with: "100%"))
        let broken = try await runProgram(analyze, ["verify", directory.path("units/\(units.serviceName)").path], in: directory.path("units"))
        #expect(broken.status != 0)
    }
}
