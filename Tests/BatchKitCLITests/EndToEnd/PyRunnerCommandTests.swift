import BatchKit
import BatchKitRunner
import Foundation
import TestSupport
import Testing

/// `batchkit pyrunner`, PyRunner's command line, through the real binary.
@Suite struct PyRunnerCommandTests {
    func batchkit(_ arguments: [String], in directory: TemporaryDirectory, environment: [String: String] = [:]) async throws -> CommandResult {
        try await runProgram(try batchkitBinary(), arguments, in: directory.url, environment: environment)
    }

    /// A #SHELL list (PyRunner 4's other kind) of four tasks, 1 → 2 → 3 → 4.
    func shellApp() throws -> TemporaryDirectory {
        let directory = try TemporaryDirectory()
        try directory.write("app_profile", "export APP_ROOT_DIR=\(directory.url.path)\nexport APP_MARK=\"from the profile $APP_FROM_ENV\"\n")
        try directory.write("t.lst", """
            #SHELL
            1|-1|1|0|one|echo "$APP_MARK" > mark.txt|
            2|1|1|0|two|[ ! -f fail ]|
            3|2|1|0|three|true|
            4|3|1|0|four|true|

            """)
        return directory
    }

    /// The flags the help shows: `-c, --config PROFILE`, `--dryrun`.
    static func shownFlags(_ help: String) -> [(spellings: [String], value: String?)] {
        help.split(separator: "\n").compactMap { line in
            guard line.hasPrefix("  -") else { return nil }
            let words = line.dropFirst(2).split(separator: " ", omittingEmptySubsequences: false)
            var spellings: [String] = []
            var index = 0
            while index < words.count, words[index].hasPrefix("-") {
                spellings.append(String(words[index].trimmingCharacters(in: [","])))
                index += 1
            }
            let takesValue = index < words.count && !words[index].isEmpty && words[index].uppercased() == words[index]
            return (spellings, takesValue ? String(words[index]) : nil)
        }
    }

    @Test func everyFlagTheHelpShowsIsTakenInEachSpelling() async throws {
        let directory = try shellApp()
        let help = try await batchkit(["pyrunner", "--help"], in: directory)
        #expect(help.status == 0)
        #expect(try await batchkit(["help", "pyrunner"], in: directory).stdout == help.stdout)
        let flags = Self.shownFlags(help.stdout)
        let spellings = Set(flags.flatMap(\.spellings))
        for required in ["-c", "--config", "-l", "--lst", "-n", "--max-procs", "-r", "--restart", "-x", "--exec-only", "-N", "--norun",
                         "-D", "--from", "-A", "--to", "--dryrun", "-e", "--email", "--env", "-t", "--tickrate"] {
            #expect(spellings.contains(required), "the help shows \(required)")
        }
        let python = ExecutablePath.find("python3") ?? "/usr/bin/python3"
        let values = ["PROFILE": "app_profile", "FILE": "t.lst", "N": "2", "IDS": "1", "ID": "1", "ADDR": "ops@example.com",
                      "NAME=VALUE": "APP_FROM_ENV=x", "PATH": python]
        for flag in flags {
            for spelling in flag.spellings {
                let value = flag.value.map { [values[$0] ?? "1"] } ?? []
                #expect(flag.value == nil || values[flag.value ?? ""] != nil, "a value for \(spelling) \(flag.value ?? "")")
                let result = try await batchkit(["pyrunner", "-l", "t.lst", spelling] + value + ["--dryrun"], in: directory)
                #expect(result.status == 0, "\(spelling) \(value): \(result.stderr)")
            }
        }
    }

    @Test(arguments: [
        ("--nozip", "--nozip: batchkit never zips logs"),
        ("-d", "-d/--debug: there is no need"),
        ("--cvar", "--cvar: there is no batchkit equivalent"),
        ("--exec-proc-name", "--exec-proc-name: use -x ID"),
        ("--email-on-fail", "--email-on-fail: use -e ADDR"),
        ("--abort", "--abort: send SIGTERM"),
        ("--setup", "--setup: there is no batchkit equivalent"),
        ("--colour", "unknown flag --colour; batchkit pyrunner takes -c/--config, -l/--lst"),
    ])
    func anotherPyRunnerFlagIsRefusedNamingWhatToUse(flag: String, message: String) async throws {
        let directory = try shellApp()
        let result = try await batchkit(["pyrunner", "-l", "t.lst", flag, "x"], in: directory)
        #expect(result.status == 64)
        #expect(result.stderr.contains("error: \(message)"), "\(result.stderr)")
        #expect(!FileManager.default.fileExists(atPath: directory.path("logs").path), "nothing ran")
    }

    /// `-x`, `-N`, `-D` and `-A` select the tasks `--only`, `--exclude`,
    /// `--from` and `--to` do, attached to their value (`-x2`) or not.
    @Test(arguments: [(["-x", "2,3"], ["--only", "2,3"]), (["-N2"], ["--exclude", "2"]), (["-D", "3"], ["--from", "3"]),
                      (["--ancestors=2"], ["--to", "2"]), (["-n", "1"], ["--jobs", "1"])])
    func selectionFlagsPlanWhatTheirBatchkitEquivalentPlans(flags: [String], equivalent: [String]) async throws {
        let directory = try shellApp()
        let pyrunner = try await batchkit(["pyrunner", "-l", "t.lst", "--dryrun"] + flags, in: directory)
        let run = try await batchkit(["run", "t.lst", "--dry-run"] + equivalent, in: directory)
        #expect(pyrunner.status == 0 && run.status == 0, "\(pyrunner.stderr)\(run.stderr)")
        #expect(pyrunner.stdout == run.stdout)
    }

    @Test func aCrontabLineChangesOnlyItsProgramNameAndRestartContinuesTheFailedRun() async throws {
        let directory = try shellApp()
        try directory.write("fail", "")
        let first = try await batchkit(["pyrunner", "-c", "app_profile", "-l", "t.lst", "--env", "APP_FROM_ENV=and --env"], in: directory)
        #expect(first.status == 1, "\(first.stdout)\(first.stderr)")
        #expect(try directory.read("mark.txt") == "from the profile and --env\n", "--env comes before the profile, as in PyRunner")
        try FileManager.default.removeItem(at: directory.path("fail"))
        let restarted = try await batchkit(["pyrunner", "-c", "app_profile", "-l", "t.lst", "-r"], in: directory)
        #expect(restarted.status == 0, "\(restarted.stdout)\(restarted.stderr)")
        let rows = try ExecutionLog(url: directory.path("logs/execution_logs.csv")).readAll()
        #expect(Set(rows.map(\.runID)).count == 1, "-r continued the failed run")
        #expect(rows.filter { $0.stepID == 1 }.count == 1, "a task that passed is not rerun")
        // With nothing to continue, -r starts a new run, as PyRunner does.
        let again = try await batchkit(["pyrunner", "-c", "app_profile", "-l", "t.lst", "-r"], in: directory)
        #expect(again.status == 0)
        #expect(again.stderr.contains("has no failed or interrupted run to continue; starting a new run"))
        #expect(Set(try ExecutionLog(url: directory.path("logs/execution_logs.csv")).readAll().map(\.runID)).count == 2)
    }

    @Test func tickrateIsAcceptedWithANote() async throws {
        let directory = try shellApp()
        let result = try await batchkit(["pyrunner", "-l", "t.lst", "-t", "5"], in: directory)
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stderr.contains("-t/--tickrate has no effect"))
    }

    @Test func emailGoesToTheAddressOfDashE() async throws {
        guard requireTool("msmtp", for: "batchkit pyrunner -e through a real sendmail (msmtp-mta)") != nil else { return }
        let directory = try shellApp()
        guard let smtp = try await LoopbackSMTPServer(in: directory) else { return }
        try directory.write("home/.msmtprc", "account default\nhost 127.0.0.1\nport \(smtp.port)\nfrom jobs@example.com\nauth off\ntls off\n")
        chmod(directory.path("home/.msmtprc").path, 0o600)
        let result = try await batchkit(["pyrunner", "-l", "t.lst", "-e", "ops@example.com"], in: directory, environment: ["HOME": directory.path("home").path])
        #expect(result.status == 0, "\(result.stderr)")
        let messages = try await smtp.waitForMessages(2)
        #expect(messages.allSatisfy { $0.to == ["<ops@example.com>"] }, "\(messages.map(\.to))")
        #expect(messages.contains { $0.data.contains("X-Batchkit-Event: success") })
    }
}
