import BatchKit
import BatchKitRunner
import BatchKitCommandLine
import Foundation
import TestSupport
import Testing

/// Running a job unattended, through the real `batchkit` binary: parameters
/// and environments, notifications to real servers on loopback, the event
/// trigger, and overlapping runs.
@Suite(.serialized) struct OperationsTests {
    static let tasks = """
        #SHELL
        1|-1|1|0|Extract|echo "rows=$BATCHKIT_PARAM_ROWS day=$BATCHKIT_PARAM_DAY" > extract.out|
        2|1|1|0|Load|test "$BATCHKIT_PARAM_FAIL" != true|
        3|2|1|0|Publish|echo published|

        """

    static let base = """
        {
          "params": {
            "rows": 100,
            "fail": false,
            "day": {"type": "string", "required": true, "description": "the day to load"}
          },
          "notify": {"webhook": {"url_env": "TEAM_WEBHOOK"}}
        }
        """

    func job(_ directory: TemporaryDirectory, base: String = OperationsTests.base) throws {
        try directory.write("tasks.lst", Self.tasks)
        try directory.write("config/base.json", base)
        try directory.write("config/prod.json", #"{"params": {"rows": 5000}}"#)
    }

    func run(_ arguments: [String], in directory: TemporaryDirectory, environment: [String: String] = [:]) async throws -> CommandResult {
        try await runProgram(try batchkitBinary(), ["run", "tasks.lst"] + arguments, in: directory.url, environment: environment)
    }

    func history(_ directory: TemporaryDirectory) throws -> [ExecutionRecord] {
        try ExecutionLog(url: directory.path("logs/execution_logs.csv")).readAll()
    }

    // MARK: - Parameters and environments

    @Test func theEnvironmentFileVariablesAndParamLayerAndTheReportShowsWhereEachCameFrom() async throws {
        let directory = try TemporaryDirectory()
        try job(directory)
        let result = try await run(["--env", "prod", "--param", "day=2026-11-20"], in: directory, environment: ["BATCHKIT_PARAM_FAIL": "false"])
        #expect(result.status == 0, "\(result.stdout)\(result.stderr)")
        #expect(try directory.read("extract.out") == "rows=5000 day=2026-11-20\n")
        #expect(result.stdout.contains("Params   environment prod"))
        #expect(result.stdout.contains("  rows = 5000  (config/prod.json)"))
        #expect(result.stdout.contains("  day  = 2026-11-20  (--param)"))
        #expect(result.stdout.contains("  fail = false  ($BATCHKIT_PARAM_FAIL)"))

        // Recorded with the run: `report` shows it later, and the state keeps it.
        let report = try await runProgram(try batchkitBinary(), ["run", "tasks.lst", "report"], in: directory.url)
        #expect(report.stdout.contains("  rows = 5000  (config/prod.json)"), "\(report.stdout)")
        let json = try await runProgram(try batchkitBinary(), ["run", "tasks.lst", "report", "--json"], in: directory.url)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any])
        #expect(object["environment"] as? String == "prod")
        #expect((object["parameters"] as? [String: String])?["rows"] == "5000")
    }

    @Test func unknownIllTypedAndMissingParametersStopBeforeAnythingRuns() async throws {
        let directory = try TemporaryDirectory()
        try job(directory)
        let cases: [([String], [String: String], String)] = [
            (["--param", "day=x", "--param", "rosw=1"], [:], "error: --param rosw: unknown parameter (did you mean rows?)"),
            (["--param", "day=x", "--param", "rows=lots"], [:], "error: --param rows=lots is not a whole number; config/base.json declares rows as int"),
            (["--param", "day=x"], ["BATCHKIT_PARAM_FAIL": "perhaps"], "error: fail=perhaps (from $BATCHKIT_PARAM_FAIL) is not true or false"),
            ([], [:], "error: missing required parameter: day (the day to load): give --param day=…"),
            (["--param", "day=x", "--env", "staging"], [:], "error: --env staging: there is no config/staging.json; environments here: prod"),
        ]
        for (arguments, environment, message) in cases {
            let result = try await run(arguments, in: directory, environment: environment)
            #expect(result.status == 64, "\(arguments)")
            #expect(result.stderr.hasPrefix(message), "\(result.stderr)")
        }
        #expect(!FileManager.default.fileExists(atPath: directory.path("logs").path), "nothing was written")
        #expect(!FileManager.default.fileExists(atPath: directory.path("extract.out").path), "nothing ran")
    }

    @Test func aScheduleWhoseRunWouldBeRefusedIsRefusedNow() async throws {
        let directory = try TemporaryDirectory()
        try job(directory)
        let cases: [([String], String)] = [
            (["--env", "staging", "--param", "day=d"], "error: after --: --env staging: there is no config/staging.json; environments here: prod"),
            (["--param", "day=d", "--param", "rows=many"], "error: after --: --param rows=many is not a whole number"),
            (["--env", "prod"], "error: after --: missing required parameter: day"),
            (["--param", "day=d", "--wait-timeout", "1h"], "error: after --: --wait-timeout goes with --wait-for PATH"),
        ]
        for (runArguments, message) in cases {
            let result = try await runProgram(
                try batchkitBinary(), ["run", "tasks.lst", "schedule", "--cron", "0 2 * * *", "--"] + runArguments, in: directory.url)
            #expect(result.status == 64, "\(runArguments)")
            #expect(result.stderr.hasPrefix(message), "\(result.stderr)")
        }
        let good = try await runProgram(
            try batchkitBinary(), ["run", "tasks.lst", "schedule", "--cron", "0 2 * * *", "--", "--env", "prod", "--param", "day=d"], in: directory.url)
        #expect(good.status == 0, "\(good.stderr)")
        #expect(good.stdout.contains(" run --env prod --param 'day=d' >> "), "\(good.stdout)")
    }

    @Test func aResumedRunKeepsItsEnvironmentAndParameters() async throws {
        let directory = try TemporaryDirectory()
        try job(directory)
        let failed = try await run(["--env", "prod", "--param", "day=d1", "--param", "fail=true", "--no-notify"], in: directory)
        #expect(failed.status == 1)
        let refused = try await run(["--resume", "--env", "dev"], in: directory)
        #expect(refused.status == 64)
        #expect(refused.stderr.contains("--resume continues a run in the environment it started with; leave out --env"))
        // The step reads fail=true again: the run's parameters are kept, so it fails again, in prod.
        let resumed = try await run(["--resume", "--no-notify"], in: directory)
        #expect(resumed.status == 1)
        #expect(resumed.stdout.contains("Params   environment prod"))
        #expect(resumed.stdout.contains("  fail = true  (--param)"))
    }

    // MARK: - Notifications

    @Test func aWebhookGetsStartAndSuccessAndItsSecretURLIsNeverWritten() async throws {
        let directory = try TemporaryDirectory()
        try job(directory)
        guard let server = try await LoopbackHTTPServer(in: directory) else { return }
        let secret = "/services/T0001/B0002/TOPSECRETTOKEN"
        let url = "http://127.0.0.1:\(server.port)\(secret)"
        let result = try await run(["--param", "day=2026-11-20"], in: directory, environment: ["TEAM_WEBHOOK": url])
        #expect(result.status == 0, "\(result.stdout)\(result.stderr)")
        let requests = try await server.waitForRequests(2)
        #expect(requests.count == 2)
        #expect(requests.allSatisfy { $0.path == secret && $0.headers["content-type"] == "application/json" })
        let texts = try requests.map { try #require(JSONSerialization.jsonObject(with: Data($0.body.utf8)) as? [String: String])["text"] ?? "" }
        let runID = try #require(history(directory).first?.runID)
        #expect(texts.contains { $0.hasPrefix("batchkit: tasks started on ") && $0.contains("(run \(runID))") })
        let success = try #require(texts.first { $0.contains("tasks passed") })
        #expect(success.contains(" after "), "the duration")
        #expect(success.contains("Logs: \(directory.path("logs/runs/\(runID)").standardizedFileURL.path)"), "\(success)")

        // The token is nowhere: not in the output, the notification log, the report or the state.
        var written = result.stdout + result.stderr
        for file in try FileManager.default.subpathsOfDirectory(atPath: directory.path("logs").path) {
            written += (try? String(contentsOf: directory.path("logs/\(file)"), encoding: .utf8)) ?? ""
        }
        #expect(!written.contains("TOPSECRETTOKEN"))
        let log = try directory.read("logs/notifications.log")
        #expect(log.contains("start  webhook http://127.0.0.1:\(server.port)/…  ok: HTTP 200"), "\(log)")
        #expect(log.contains("success  webhook http://127.0.0.1:\(server.port)/…  ok: HTTP 200"), "\(log)")
    }

    @Test func aFailureNoticeNamesTheFailedStepsAndAFailingWebhookNeverFailsTheRun() async throws {
        let directory = try TemporaryDirectory()
        try job(directory, base: Self.base.replacingOccurrences(of: #""url_env": "TEAM_WEBHOOK"}"#, with: #""url_env": "TEAM_WEBHOOK", "format": "json"}, "on": ["failure"]"#))
        guard let server = try await LoopbackHTTPServer(in: directory, status: 500) else { return }
        let url = "http://127.0.0.1:\(server.port)/hook/SECRET"
        let failed = try await run(["--param", "day=d", "--param", "fail=true"], in: directory, environment: ["TEAM_WEBHOOK": url])
        #expect(failed.status == 1, "the step's failure decides, not the webhook's")
        let requests = try await server.waitForRequests(1)
        #expect(requests.count == 1, "on: [failure] sends no start notice")
        let body = try #require(try JSONSerialization.jsonObject(with: Data(requests[0].body.utf8)) as? [String: Any])
        let notice = try #require(body["notice"] as? [String: Any])
        #expect(notice["status"] as? String == "failed")
        #expect(notice["job"] as? String == "tasks")
        let steps = try #require(notice["failedSteps"] as? [[String: Any]])
        #expect(steps.map { $0["name"] as? String } == ["Load", "Publish"])
        #expect(steps.map { $0["reason"] as? String } == ["exit", "upstream failed"])
        #expect((body["text"] as? String)?.contains("tasks FAILED") == true)
        #expect(failed.stderr.contains("notification: webhook http://127.0.0.1:\(server.port)/… failed: HTTP 500: invalid_token"), "\(failed.stderr)")
        #expect(try directory.read("logs/notifications.log").contains("failure  webhook http://127.0.0.1:\(server.port)/…  FAILED: HTTP 500"))

        // Nobody listening: the run still passes, and says why nothing was sent.
        let closed = try await run(["--param", "day=d"], in: directory, environment: ["TEAM_WEBHOOK": "http://127.0.0.1:1/x"])
        #expect(closed.status == 0, "\(closed.stdout)\(closed.stderr)")
        #expect(!closed.stderr.contains("failed:"), "on: [failure] sends nothing for a pass")
        let down = try await run(["--param", "day=d", "--param", "fail=true"], in: directory, environment: ["TEAM_WEBHOOK": "http://127.0.0.1:1/x"])
        #expect(down.status == 1)
        #expect(down.stderr.contains("notification: webhook http://127.0.0.1:1/… failed: cannot connect to 127.0.0.1:1: Connection refused"), "\(down.stderr)")
    }

    @Test func httpsWebhooksGoThroughCurl() async throws {
        guard let openssl = requireTool("openssl", for: "an HTTPS webhook test (a self-signed certificate)"),
              requireTool("curl", for: "https webhooks") != nil
        else { return }
        let directory = try TemporaryDirectory()
        try job(directory)
        let pem = directory.path("server.pem")
        let made = try await runProgram(openssl, [
            "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=127.0.0.1",
            "-addext", "subjectAltName=IP:127.0.0.1", "-keyout", pem.path, "-out", directory.path("cert.pem").path,
        ], in: directory.url)
        #expect(made.status == 0, "\(made.stderr)")
        try directory.write("server.pem", try directory.read("server.pem") + directory.read("cert.pem"))
        guard let server = try await LoopbackHTTPServer(in: directory, certificate: pem) else { return }
        let url = "https://127.0.0.1:\(server.port)/services/TLSSECRET"
        let result = try await run(
            ["--param", "day=d"], in: directory,
            environment: ["TEAM_WEBHOOK": url, "CURL_CA_BUNDLE": directory.path("cert.pem").path])
        #expect(result.status == 0, "\(result.stdout)\(result.stderr)")
        let requests = try await server.waitForRequests(2)
        #expect(requests.map(\.path) == ["/services/TLSSECRET", "/services/TLSSECRET"])
        #expect(try directory.read("logs/notifications.log").contains("success  webhook https://127.0.0.1:\(server.port)/…  ok: HTTP 200"))
        #expect(!result.stderr.contains("TLSSECRET"))
    }

    @Test func emailGoesThroughTheLocalSendmail() async throws {
        guard requireTool("msmtp", for: "email through a real sendmail (msmtp-mta)") != nil else { return }
        guard let sendmail = ["/usr/sbin/sendmail", "/usr/lib/sendmail"].first(where: { FileManager.default.isExecutableFile(atPath: $0) }) else {
            Issue.record("msmtp is installed but no sendmail; install msmtp-mta")
            return
        }
        let directory = try TemporaryDirectory()
        try job(directory, base: Self.base.replacingOccurrences(
            of: #""webhook": {"url_env": "TEAM_WEBHOOK"}"#,
            with: #""email": {"to": ["ops@example.com", "oncall@example.com"], "from": "jobs@example.com"}"#))
        guard let smtp = try await LoopbackSMTPServer(in: directory) else { return }
        // msmtp, as sendmail, reads ~/.msmtprc: point it at the loopback server.
        try directory.write("home/.msmtprc", "account default\nhost 127.0.0.1\nport \(smtp.port)\nfrom jobs@example.com\nauth off\ntls off\n")
        chmod(directory.path("home/.msmtprc").path, 0o600)
        let result = try await run(["--param", "day=d", "--param", "fail=true"], in: directory, environment: ["HOME": directory.path("home").path])
        #expect(result.status == 1)
        let messages = try await smtp.waitForMessages(2)
        let log = (try? directory.read("logs/notifications.log")) ?? ""
        #expect(messages.count == 2, "start and failure: \(log)")
        let failure = try #require(messages.first { $0.data.contains("X-Batchkit-Event: failure") })
        #expect(Set(failure.to) == ["<ops@example.com>", "<oncall@example.com>"])
        #expect(failure.from.hasPrefix("<jobs@example.com>"))
        #expect(failure.data.contains("Subject: [batchkit] tasks FAILED on "))
        #expect(failure.data.contains("Failed steps: 02 Load (exit: "))
        #expect(failure.data.contains("Logs: \(directory.url.standardizedFileURL.path)/logs/runs/"))
        #expect(try directory.read("logs/notifications.log").contains("failure  email to ops@example.com, oncall@example.com  ok: handed to \(sendmail)"))
    }

    // MARK: - Triggers and overlapping runs

    @Test func waitForStartsTheRunWhenTheFileAppearsAndATimeoutIsAClearFailure() async throws {
        let directory = try TemporaryDirectory()
        try job(directory)
        let (process, output) = try await startBatchkit(
            ["run", "tasks.lst", "--param", "day=d", "--wait-for", "incoming/ready.flag", "--wait-timeout", "60s"], in: directory)
        try await Task.sleep(for: .milliseconds(600))
        #expect(!FileManager.default.fileExists(atPath: directory.path("extract.out").path), "nothing runs before the file")
        try directory.write("incoming/ready.flag", "")
        #expect(await process.exitCode() == 0)
        let text = try String(contentsOf: output, encoding: .utf8)
        #expect(text.contains("waiting for incoming/ready.flag (at most 1 m 00 s)…"), "\(text)")
        #expect(text.contains("Note     started after waiting"), "\(text)")

        try FileManager.default.removeItem(at: directory.path("incoming/ready.flag"))
        let timedOut = try await run(["--param", "day=d", "--wait-for", "incoming/ready.flag", "--wait-timeout", "1s"], in: directory)
        #expect(timedOut.status == 1)
        #expect(timedOut.stderr.contains("error: waited 1"), "\(timedOut.stderr)")
        #expect(timedOut.stderr.contains("for incoming/ready.flag; it did not appear, so nothing ran"))
        let last = try #require(history(directory).last)
        #expect(last.stepID == 0 && last.status == .fail && last.reason == .waitTimeout)
        #expect(last.durationSeconds >= 1, "the row spans the wait")

        let bad = try await run(["--param", "day=d", "--wait-timeout", "1s"], in: directory)
        #expect(bad.status == 64)
        #expect(bad.stderr.contains("--wait-timeout goes with --wait-for PATH"))
    }

    @Test func anOverlappingRunIsRefusedAndTheHistoryShowsIt() async throws {
        let directory = try TemporaryDirectory()
        try job(directory)
        // The first run holds the lock while it waits for a file.
        let (first, _) = try await startBatchkit(["run", "tasks.lst", "--param", "day=d", "--wait-for", "go"], in: directory)
        try await waitFor(directory.path("logs/.tasks.lock"))
        try await Task.sleep(for: .milliseconds(300))
        guard let server = try await LoopbackHTTPServer(in: directory) else { return }
        let second = try await run(["--param", "day=d"], in: directory, environment: ["TEAM_WEBHOOK": "http://127.0.0.1:\(server.port)/h"])
        #expect(second.status == 1)
        #expect(second.stderr.contains("another run of tasks is in progress (pid \(first.processIdentifier)"), "\(second.stderr)")
        let refused = try #require(history(directory).last)
        #expect(refused.stepID == 0 && refused.reason == .locked && refused.status == .fail)
        let notice = try #require(try await server.waitForRequests(1).first)
        #expect(notice.body.contains("tasks REFUSED"), "\(notice.body)")

        try directory.write("go", "")
        #expect(await first.exitCode() == 0)
        let summary = try await runProgram(try batchkitBinary(), ["run", "tasks.lst", "history"], in: directory.url)
        #expect(summary.stdout.contains("tasks: 1 run"), "\(summary.stdout)")
        #expect(summary.stdout.contains("Not started: 1 (1 locked); latest:"), "\(summary.stdout)")
        #expect(summary.stdout.contains("locked  not started: another run of tasks is in progress"), "\(summary.stdout)")
    }
}
