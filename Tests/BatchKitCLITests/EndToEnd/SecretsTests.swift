import BatchKit
import BatchKitRunner
import Foundation
import TestSupport
import Testing

/// Secrets through the real `batchkit` binary: a secret parameter reaches
/// the steps and nothing else, steps never get the notification secrets,
/// and parameter names a step would see as one variable are refused.
@Suite(.serialized) struct SecretsTests {
    static let tasks = """
        #SHELL
        1|-1|1|0|Use|echo "$BATCHKIT_PARAM_PASSWORD" > got.txt; echo "$BATCHKIT_PARAMS" > params.json|
        2|1|1|0|Gate|test -f allow && echo "$BATCHKIT_PARAM_PASSWORD" > resumed.txt|

        """

    static let base = """
        {
          "params": {
            "day": "today",
            "password": {"type": "string", "secret": true, "required": true, "description": "the database password"}
          },
          "notify": {"webhook": {"url_env": "TEAM_WEBHOOK", "format": "json"}}
        }
        """

    func run(_ arguments: [String], in directory: TemporaryDirectory, environment: [String: String] = [:]) async throws -> CommandResult {
        try await runProgram(try batchkitBinary(), ["run", "tasks.lst"] + arguments, in: directory.url, environment: environment)
    }

    func history(_ directory: TemporaryDirectory) throws -> [ExecutionRecord] {
        try ExecutionLog(url: directory.path("logs/execution_logs.csv")).readAll()
    }

    /// The text of every file under `logs/`, each after its path.
    func everythingUnderLogs(_ directory: TemporaryDirectory) throws -> String {
        var text = ""
        for file in try FileManager.default.subpathsOfDirectory(atPath: directory.path("logs").path).sorted() {
            text += "== \(file)\n" + ((try? String(contentsOf: directory.path("logs/\(file)"), encoding: .utf8)) ?? "")
        }
        return text
    }

    @Test func aSecretParameterReachesTheStepsAndNoRecordScreenOrNotice() async throws {
        let directory = try TemporaryDirectory()
        try directory.write("tasks.lst", Self.tasks)
        try directory.write("config/base.json", Self.base)
        let server = try await LoopbackHTTPServer(in: directory)
        let hook = server.map { ["TEAM_WEBHOOK": "http://127.0.0.1:\($0.port)/hook"] } ?? [:]
        var shown = ""

        let plan = try await run(["--dry-run", "--param", "password=hunter2"], in: directory)
        #expect(plan.status == 0, "\(plan.stderr)")
        #expect(plan.stdout.contains("  password = ***  (--param)"), "\(plan.stdout)")
        shown += plan.stdout + plan.stderr

        // The step gets the value, as a variable and in BATCHKIT_PARAMS (context.parameters).
        let first = try await run(["--param", "password=hunter2"], in: directory, environment: hook)
        #expect(first.status == 1, "Gate fails until `allow` exists: \(first.stderr)")
        #expect(try directory.read("got.txt") == "hunter2\n")
        #expect(try directory.read("params.json") == #"{"day":"today","password":"hunter2"}"# + "\n")
        #expect(first.stdout.contains("Params\n  day      = today  (config/base.json)\n  password = ***  (--param)\n"), "\(first.stdout)")
        shown += first.stdout + first.stderr
        let runID = try #require(try history(directory).first?.runID)
        let state = try directory.read("logs/runs/\(runID)/state.json")
        #expect(state.contains(#""password" : "***""#) && state.contains(#""secretParameters" : ["#), "\(state)")
        let report = try await run(["report"], in: directory)
        #expect(report.stdout.contains("  password = ***  (--param)"))
        let json = try await run(["report", "--json"], in: directory)
        #expect(json.stdout.contains(#""password" : "***""#), "\(json.stdout)")
        shown += report.stdout + report.stderr + json.stdout + json.stderr

        // --resume needs the value again, and says how to give it; nothing runs without it.
        try directory.write("allow", "")
        let rows = try history(directory).count
        let missing = try await run(["--resume"], in: directory)
        #expect(missing.status == 64)
        #expect(missing.stderr == "error: --resume: run \(runID) has the secret parameter password, whose value is never recorded; give it again with --param password=…, or set BATCHKIT_PARAM_PASSWORD\n")
        let notSecret = try await run(["--resume", "--param", "password=hunter2", "--param", "day=tomorrow"], in: directory)
        #expect(notSecret.status == 64)
        #expect(notSecret.stderr.contains("error: --resume continues a run with the parameters it started with; leave out --param day (only its secret parameters are given again: password)"), "\(notSecret.stderr)")
        #expect(try history(directory).count == rows, "nothing ran")
        #expect(!FileManager.default.fileExists(atPath: directory.path("resumed.txt").path))

        let resumed = try await run(["--resume", "--param", "password=hunter2"], in: directory, environment: hook)
        #expect(resumed.status == 0, "\(resumed.stdout)\(resumed.stderr)")
        #expect(resumed.stdout.contains("resumed run \(runID)"))
        #expect(resumed.stdout.contains("  password = ***  (--param)"))
        #expect(try directory.read("resumed.txt") == "hunter2\n", "the resumed step gets the value given again")
        shown += resumed.stdout + resumed.stderr

        #expect(!shown.contains("hunter2"), "\(shown)")
        let written = try everythingUnderLogs(directory)
        #expect(written.contains("02_gate.log") && written.contains("report.json"))
        #expect(!written.contains("hunter2"), "\(written)")
        if let server {
            let notices = try await server.waitForRequests(4)
            #expect(notices.count == 4, "start and failure, then start and success")
            #expect(notices.allSatisfy { !$0.body.contains("hunter2") })
        }
    }

    @Test func stepsNeverGetTheNotificationSecrets() async throws {
        let directory = try TemporaryDirectory()
        // The failed step's last lines go into the report: they would carry anything it printed.
        try directory.write("tasks.lst", """
            #SHELL
            1|-1|1|0|Env|env|
            2|1|1|0|Show hooks|env \\| grep -i -e webhook -e keep_me; exit 3|

            """)
        try directory.write("config/base.json", #"{"notify": {"webhook": {"url_env": "TEAM_WEBHOOK"}}}"#)
        let environment = [
            "BATCHKIT_WEBHOOK_URL": "http://127.0.0.1:9/secret-token",
            "TEAM_WEBHOOK": "http://127.0.0.1:9/team-token",
            "KEEP_ME": "visible",
        ]
        let notified = try await run([], in: directory, environment: environment)
        #expect(notified.status == 1)
        let quiet = try await run(["--no-notify"], in: directory, environment: environment)
        #expect(quiet.status == 1)

        let rows = try history(directory)
        let envLog = try directory.read(try #require(rows.first { $0.stepID == 1 }?.logFile))
        #expect(envLog.contains("BATCHKIT_RUN_ID=") && envLog.contains("KEEP_ME=visible"), "the step ran env, with the rest of the environment")
        #expect(!envLog.contains("WEBHOOK"), "\(envLog)")
        let report = try directory.read("logs/runs/\(rows.last?.runID ?? "")/report.txt")
        #expect(report.contains("KEEP_ME=visible"), "the failed step's output is in the report: \(report)")
        let seen = notified.stdout + notified.stderr + quiet.stdout + quiet.stderr + (try everythingUnderLogs(directory))
        #expect(seen.contains("cannot connect to 127.0.0.1:9"), "the runner itself still used the URL")
        #expect(!seen.contains("secret-token") && !seen.contains("team-token"), "\(seen)")
    }

    @Test func parameterNamesAStepWouldSeeAsOneVariableStopTheRun() async throws {
        let directory = try TemporaryDirectory()
        try directory.write("tasks.lst", "#SHELL\n1|-1|1|0|Show|echo \"$BATCHKIT_PARAM_A_B\" > shown.txt|\n")
        try directory.write("config/prod.json", #"{"params": {"A_B": "from prod"}}"#)
        let cases: [([String], String)] = [
            (["--param", "a.b=1", "--param", "a-b=2"], "error: --param a-b and --param a.b: both become $BATCHKIT_PARAM_A_B, so a step would get only one of them; keep one name (names that differ only in case or in . - _ are one parameter to a step)\n"),
            (["--env", "prod", "--param", "a.b=1"], "error: A_B in config/prod.json and --param a.b: both become $BATCHKIT_PARAM_A_B, so a step would get only one of them; keep one name (names that differ only in case or in . - _ are one parameter to a step)\n"),
        ]
        for (arguments, message) in cases {
            let result = try await run(arguments, in: directory)
            #expect(result.status == 64, "\(arguments)")
            #expect(result.stderr == message)
        }
        #expect(!FileManager.default.fileExists(atPath: directory.path("logs").path), "nothing was written")
        #expect(!FileManager.default.fileExists(atPath: directory.path("shown.txt").path), "nothing ran")
    }

    @Test func aScheduleRefusesToWriteASecretParameter() async throws {
        let directory = try TemporaryDirectory()
        try directory.write("tasks.lst", Self.tasks)
        try directory.write("config/base.json", Self.base)
        let result = try await run(["schedule", "--cron", "0 2 * * *", "--", "--param", "password=hunter2"], in: directory)
        #expect(result.status == 64)
        #expect(result.stderr.hasPrefix("error: after --: --param password: password is a secret parameter, and a schedule would write its value into the crontab; put it in a config/<env>.json kept out of version control and schedule the run with --env <env>"), "\(result.stderr)")
        #expect(!(result.stdout + result.stderr).contains("hunter2"))
    }
}
