import BatchKitSchedule
import BatchKit
import BatchKitRunner
import BatchKitCommandLine
import Foundation
import TestSupport
import Testing

/// `schedule` on task lists (the cheapest jobs), through the real `batchkit`
/// binary, the real `/bin/sh`, the real `crontab` and `systemd-analyze`.
@Suite(.serialized) struct ScheduleCommandTests {
    static let taskList = "#SHELL\n1|-1|1|0|hello|echo \"hello from $BATCHKIT_PARAM_WHO\"|\n2|1|1|0|bye|echo bye|\n"

    /// A task list in a folder whose name has a space and a `%`.
    func makeJob(_ directory: TemporaryDirectory, folder: String = "my jobs 100%") throws -> URL {
        try directory.write("\(folder)/t.lst", Self.taskList)
        return directory.path(folder)
    }

    func schedule(_ directory: TemporaryDirectory, _ arguments: [String], folder: String = "my jobs 100%", environment: [String: String] = [:]) async throws -> CommandResult {
        try await runProgram(try batchkitBinary(), ["run", "\(folder)/t.lst", "schedule"] + arguments, in: directory.url, environment: environment)
    }

    /// The printed entry's line (not its comments).
    func entry(_ output: String) -> String {
        output.split(separator: "\n").first { !$0.hasPrefix("#") }.map(String.init) ?? ""
    }

    @Test func thePrintedCrontabLineRunsTheJobAsCronWouldAndAppendsToScheduleLog() async throws {
        let directory = try TemporaryDirectory()
        let job = try makeJob(directory)
        let printed = try await schedule(directory, ["--cron", "*/5 * * * *", "--", "--param", "who=it's me"])
        #expect(printed.status == 0, "\(printed.stderr)")
        #expect(printed.stdout.hasPrefix("# t: \"*/5 * * * *\"; next runs "))
        #expect(printed.stdout.contains("# Install it with: batchkit run 'my jobs 100%/t.lst' schedule --cron '*/5 * * * *' --install -- --param 'who=it'\\''s me'\n"))
        let line = entry(printed.stdout)
        let quotedFolder = CrontabEntry.word(job.path)
        #expect(line.hasPrefix("*/5 * * * * cd \(quotedFolder) && PATH="))
        #expect(line.contains(" \(CrontabEntry.word(try batchkitBinary())) run \(CrontabEntry.word(job.path + "/t.lst")) --workdir \(quotedFolder) run --param 'who=it'\\''s me' "))
        #expect(line.contains(">> \(CrontabEntry.word(job.path + "/logs/schedule.log")) 2>&1 # batchkit-schedule t \(quotedFolder)"))
        if let swift = ExecutablePath.find("swift") {
            #expect(line.contains("PATH=\(URL(fileURLWithPath: swift).deletingLastPathComponent().path):"), "cron's PATH finds this toolchain")
        }

        // Cron's environment is nearly empty and it starts in the home folder.
        for _ in 0..<2 {
            let ran = try await runProgram(
                "/usr/bin/env", ["-i", "HOME=/", "LOGNAME=root", "SHELL=/bin/sh", "PATH=/usr/bin:/bin", "/bin/sh", "-c", cronCommand(of: line)],
                in: URL(fileURLWithPath: "/"))
            #expect(ran.status == 0, "\(ran.stdout)\(ran.stderr)")
            #expect(ran.stdout.isEmpty && ran.stderr.isEmpty, "everything goes to logs/schedule.log")
        }
        let log = try String(contentsOf: job.appendingPathComponent("logs/schedule.log"), encoding: .utf8)
        #expect(log.components(separatedBy: "PASS  2/2 steps passed").count == 3, "both runs appended their report:\n\(log)")
        let rows = try ExecutionLog(url: job.appendingPathComponent("logs/execution_logs.csv")).readAll()
        #expect(rows.count == 4 && rows.allSatisfy { $0.status == .pass })
        #expect(try String(contentsOf: job.appendingPathComponent(rows[0].logFile), encoding: .utf8) == "hello from it's me\n")
    }

    @Test func systemdUnitsArePrintedWithTheirFiles() async throws {
        let directory = try TemporaryDirectory()
        let job = try makeJob(directory, folder: "job")
        let printed = try await schedule(directory, ["--cron", "30 2 * * mon-fri", "--systemd", "--unit-dir", "units"], folder: "job")
        #expect(printed.status == 0, "\(printed.stderr)")
        #expect(printed.stdout.hasPrefix("# t: \"30 2 * * mon-fri\" is OnCalendar=Mon..Fri *-*-* 02:30:00; next runs "))
        #expect(printed.stdout.contains("# \(directory.url.path)/units/batchkit-t.service\n# batchkit-schedule t \(job.path)\n[Unit]\n"))
        #expect(printed.stdout.contains("WorkingDirectory=\(job.path)\n"))
        #expect(printed.stdout.contains("ExecStart=\(try batchkitBinary()) run \(job.path)/t.lst --workdir \(job.path) run\n"))
        #expect(printed.stdout.contains("StandardError=append:\(job.path)/logs/schedule.log\n"))
        #expect(printed.stdout.contains("# \(directory.url.path)/units/batchkit-t.timer\n"))
        #expect(printed.stdout.contains("[Timer]\nOnCalendar=Mon..Fri *-*-* 02:30:00\nPersistent=true\nUnit=batchkit-t.service\n"))
        #expect(!FileManager.default.fileExists(atPath: directory.path("units").path), "printing installs nothing")
    }

    /// Installs into the real crontab of the user running the tests, then
    /// puts back what was there.
    @Test func installAndUninstallChangeOnlyThisSchedulesLineOfTheRealCrontab() async throws {
        guard let crontab = requireTool("crontab", for: "schedule --install against the real crontab") else { return }
        let saved = try await runProgram(crontab, ["-l"], in: URL(fileURLWithPath: "/"))
        let original: String? = saved.status == 0 ? saved.stdout : nil
        #expect(original != nil || saved.stderr.contains("no crontab for"), "\(saved.stderr)")
        let directory = try TemporaryDirectory()
        var failure: (any Error)?
        do {
            try await installAndUninstall(crontab: crontab, directory: directory)
        } catch {
            failure = error
        }
        if let original {
            try directory.write("restore.crontab", original)
            #expect(try await runProgram(crontab, [directory.path("restore.crontab").path], in: directory.url).status == 0)
        } else {
            _ = try await runProgram(crontab, ["-r"], in: directory.url)
        }
        if let failure { throw failure }
    }

    private func installAndUninstall(crontab: String, directory: TemporaryDirectory) async throws {
        func current() async throws -> String {
            let listed = try await runProgram(crontab, ["-l"], in: directory.url)
            return listed.status == 0 ? listed.stdout : ""
        }
        let user = "# the user's own crontab\nMAILTO=\"\"\n17 3 * * * echo 'backup 100\\%' > /dev/null\n@reboot true\n"
        try directory.write("user.crontab", user)
        #expect(try await runProgram(crontab, [directory.path("user.crontab").path], in: directory.url).status == 0)
        _ = try makeJob(directory, folder: "a")
        _ = try makeJob(directory, folder: "b")

        let first = try await schedule(directory, ["--cron", "0 2 * * *", "--install"], folder: "a")
        #expect(first.status == 0, "\(first.stderr)")
        #expect(first.stdout.hasPrefix("Added to the crontab of "))
        #expect(first.stdout.contains("Remove it with: batchkit run a/t.lst schedule --uninstall\n"))
        let firstLine = first.stdout.split(separator: "\n")[1]
        #expect(try await current() == user + firstLine + "\n")

        let again = try await schedule(directory, ["--cron", "@hourly", "--install"], folder: "a")
        #expect(again.stdout.hasPrefix("Replaced the earlier entry in the crontab of "), "\(again.stdout)\(again.stderr)")
        let other = try await schedule(directory, ["--cron", "0 4 * * *", "--install"], folder: "b")
        let named = try await schedule(directory, ["--cron", "*/10 * * * *", "--install", "--name", "often", "--", "--jobs", "1"], folder: "a")
        #expect(other.status == 0 && named.status == 0, "\(other.stderr)\(named.stderr)")
        let installed = try await current()
        #expect(installed.hasPrefix(user), "the user's lines stay first, in order")
        let added = installed.dropFirst(user.count).split(separator: "\n")
        #expect(added.count == 3)
        #expect(added[0].hasPrefix("@hourly cd \(directory.url.path)/a && ") && added[0].hasSuffix("# batchkit-schedule t \(directory.url.path)/a"))
        #expect(added[1].hasSuffix("# batchkit-schedule t \(directory.url.path)/b"), "another folder's job of the same name is its own entry")
        #expect(added[2].contains(" run --jobs 1 >> ") && added[2].hasSuffix("# batchkit-schedule often \(directory.url.path)/a"))

        let removed = try await schedule(directory, ["--uninstall"], folder: "a")
        #expect(removed.status == 0 && removed.stdout.hasPrefix("Removed from the crontab of "), "\(removed.stderr)")
        #expect(try await current() == user + added[1] + "\n" + added[2] + "\n")
        _ = try await schedule(directory, ["--uninstall", "--name", "often"], folder: "a")
        _ = try await schedule(directory, ["--uninstall"], folder: "b")
        #expect(try await current() == user, "back to the user's crontab, byte for byte")
        let nothing = try await schedule(directory, ["--uninstall"], folder: "a")
        #expect(nothing.status == 0 && nothing.stdout.contains("nothing to remove"))
    }

    @Test func withoutCrontabTheMessageSaysToInstallCron() async throws {
        let directory = try TemporaryDirectory()
        _ = try makeJob(directory)
        let result = try await schedule(directory, ["--cron", "0 2 * * *", "--install"], environment: ["PATH": directory.url.path])
        #expect(result.status == 1)
        #expect(result.stderr.contains("the crontab command is not installed: install cron (apt-get install cron)"))
    }

    /// Where systemd does not run (a container), the units are written, kept,
    /// and the message has the commands to run.
    @Test func systemdInstallWithoutSystemdKeepsTheUnitsAndSaysWhatToRun() async throws {
        guard !FileManager.default.fileExists(atPath: "/run/systemd/system") else {
            FileHandle.standardError.write(Data("\n*** SKIPPED: systemd runs on this machine; the test would reload its manager ***\n\n".utf8))
            return
        }
        let directory = try TemporaryDirectory()
        _ = try makeJob(directory, folder: "job")
        let units = directory.path("units")
        let installed = try await schedule(directory, ["--cron", "@daily", "--systemd", "--install", "--unit-dir", units.path], folder: "job")
        #expect(installed.status == 1)
        #expect(installed.stderr.contains("error: wrote \(units.path)/batchkit-t.service and \(units.path)/batchkit-t.timer, but systemd did not load them: `systemctl"))
        #expect(installed.stderr.contains("daemon-reload\n  systemctl"))
        #expect(installed.stderr.contains(" enable --now batchkit-t.timer\n"))
        #expect(try String(contentsOf: units.appendingPathComponent("batchkit-t.timer"), encoding: .utf8).contains("OnCalendar=*-*-* 00:00:00\n"))
        #expect(FileManager.default.fileExists(atPath: directory.path("job/logs").path), "the folder of schedule.log exists")

        let uninstalled = try await schedule(directory, ["--uninstall", "--systemd", "--unit-dir", units.path], folder: "job")
        #expect(uninstalled.status == 1)
        #expect(uninstalled.stderr.contains("error: removed \(units.path)/batchkit-t.service and \(units.path)/batchkit-t.timer, but "))
        #expect(try FileManager.default.contentsOfDirectory(atPath: units.path).isEmpty)

        try directory.write("units/batchkit-t.service", "[Unit]\nDescription=someone else's\n")
        let conflict = try await schedule(directory, ["--cron", "@daily", "--systemd", "--install", "--unit-dir", units.path], folder: "job")
        #expect(conflict.status == 64)
        #expect(conflict.stderr.contains("batchkit-t.service was written by something other than batchkit; choose another name with --name"))
        #expect(try directory.read("units/batchkit-t.service") == "[Unit]\nDescription=someone else's\n")
    }

    @Test(arguments: [
        ([String](), "say when with --cron"),
        (["--cron", "0 2 * *"], "invalid cron expression \"0 2 * *\": it has 4 fields"),
        (["--cron", "0 2 * * 8"], "the day-of-week field \"8\": 8 is out of range"),
        (["--cron", "0", "2", "*", "*", "*"], "unexpected argument '2'; quote the cron expression"),
        (["--cron", "@daily", "--install", "--uninstall"], "--install and --uninstall cannot be combined"),
        (["--cron", "@daily", "--unit-dir", "x"], "--unit-dir is for --systemd units"),
        (["--cron", "0 2 1 * mon", "--systemd"], "OR the weekday (mon) matches"),
        (["--cron", "@reboot", "--systemd"], "@reboot has no systemd timer equivalent"),
        (["--cron", "@daily", "--name", "my job"], "--name \"my job\" cannot name a schedule"),
        (["--uninstall", "--cron", "@daily"], "it takes no --cron"),
        (["--cron", "@daily", "--bogus"], "unknown option --bogus"),
    ])
    func badCommandLinesExit64SayingWhy(arguments: [String], message: String) async throws {
        let directory = try TemporaryDirectory()
        _ = try makeJob(directory, folder: "job")
        let result = try await schedule(directory, arguments, folder: "job")
        #expect(result.status == 64, "\(result.stderr)")
        #expect(result.stderr.contains(message), "\(result.stderr)")
        #expect(result.stderr.contains("Run 'batchkit run job/t.lst schedule --help' for usage."))
    }

    /// A job whose scheduled run would lack a required parameter: the
    /// schedule's own mistakes come first, and `--uninstall` needs no run.
    @Test(arguments: [
        ([String](), "say when with --cron"),
        (["--cron", "0 2 * *"], "invalid cron expression \"0 2 * *\": it has 4 fields"),
        (["--cron", "@reboot", "--systemd"], "@reboot has no systemd timer equivalent"),
        (["--cron", "@daily"], "after --: missing required parameter: day"),
    ])
    func theSchedulesOwnOptionsAreCheckedBeforeTheRunsParameters(arguments: [String], message: String) async throws {
        let directory = try TemporaryDirectory()
        _ = try makeJob(directory, folder: "job")
        try directory.write("job/config/base.json", #"{"params": {"day": {"type": "string", "required": true}}}"#)
        let result = try await schedule(directory, arguments, folder: "job")
        #expect(result.status == 64, "\(result.stderr)")
        #expect(result.stderr.hasPrefix("error: \(message)"), "\(result.stderr)")
        let given = try await schedule(directory, ["--cron", "@daily", "--", "--param", "day=yesterday"], folder: "job")
        #expect(given.status == 0, "\(given.stderr)")
    }

    @Test func uninstallNeedsNoParameterOfTheRun() async throws {
        let directory = try TemporaryDirectory()
        _ = try makeJob(directory, folder: "job")
        try directory.write("job/config/base.json", #"{"params": {"day": {"type": "string", "required": true}}}"#)
        let result = try await schedule(directory, ["--uninstall", "--systemd", "--unit-dir", directory.path("units").path], folder: "job")
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.hasPrefix("No units batchkit-t.service or .timer in"), "\(result.stdout)")
    }

    @Test func helpListsScheduleAndPrune() async throws {
        let directory = try TemporaryDirectory()
        _ = try makeJob(directory, folder: "job")
        let help = try await schedule(directory, ["--help"], folder: "job")
        #expect(help.status == 0 && help.stdout.hasPrefix("USAGE: batchkit run job/t.lst schedule --cron EXPR"))
        let overall = try await runProgram(try batchkitBinary(), ["run", "job/t.lst", "help"], in: directory.url)
        #expect(overall.stdout.contains("  schedule        Print a crontab entry"))
        #expect(overall.stdout.contains("PRUNE OPTIONS:\n  --keep-runs N"))
    }
}
