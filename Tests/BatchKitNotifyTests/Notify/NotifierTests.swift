import BatchKit
import BatchKitRunner
@testable import BatchKitNotify
import Foundation
import TestSupport
import Testing

@Suite struct NotifierTests {
    actor Received {
        var notices: [RunNotice] = []
        func add(_ notice: RunNotice) { notices.append(notice) }
    }

    struct PagerDown: Error, CustomStringConvertible {
        var description: String { "the pager service is down" }
    }

    @Test func swiftHooksGetStartSuccessAndFailureAndAThrowingHookFailsNothing() async throws {
        let directory = try TemporaryDirectory()
        let received = Received()
        let job = Job("hooked", steps: [shellStep(1, "work", "test ! -f fail")])
            .onStart { await received.add($0) }
            .onSuccess { await received.add($0) }
            .onFailure { await received.add($0) }
            .onFailure { _ in throw PagerDown() }
        let runner = JobRunner(job: job, layout: RunLayout(projectDirectory: directory.url), publisher: .some(nil))

        let notifier = Notifier(settings: NotifySettings(), hooks: job.hooks, log: directory.path("logs/notifications.log"))
        let passed = try await runner.run(RunOptions(notices: notifier))
        #expect(passed.status == .pass)
        var notices = await received.notices
        #expect(notices.map(\.event) == [.start, .success])
        #expect(notices.allSatisfy { $0.runID == passed.runID && $0.job == "hooked" })
        #expect(notices[1].status == "passed" && notices[1].durationSeconds != nil)
        #expect(notices[1].logFolder == directory.path("logs/runs/\(passed.runID)").standardizedFileURL.path)

        try directory.write("fail", "")
        let failed = try await runner.run(RunOptions(notices: notifier))
        #expect(failed.status == .fail, "the step decides, not the hook that threw")
        notices = await received.notices
        #expect(notices.map(\.event) == [.start, .success, .start, .failure])
        let failure = notices[3]
        #expect(failure.status == "failed")
        #expect(failure.failedSteps.map(\.name) == ["work"])
        #expect(failure.failedSteps.first?.reason == .exit)
        #expect(failed.notes.contains { $0.contains("onFailure hook 2 failed: the pager service is down") })
        let log = try directory.read("logs/notifications.log")
        #expect(log.contains("\(failed.runID)  failure  onFailure hook 1  ok: done"))
        #expect(log.contains("\(failed.runID)  failure  onFailure hook 2  FAILED: the pager service is down"))
    }

    @Test func aSendmailThatFailsIsLoggedWithWhatItSaid() async throws {
        let directory = try TemporaryDirectory()
        try directory.write("sendmail", "#!/bin/sh\necho 'sendmail: cannot connect to mail.example.com' >&2\nexit 75\n")
        chmod(directory.path("sendmail").path, 0o755)
        var settings = NotifySettings()
        settings.email = NotifySettings.Email(to: ["ops@example.com"], from: nil, sendmail: directory.path("sendmail").path)
        let notifier = Notifier(settings: settings, hooks: JobHooks(), log: directory.path("logs/notifications.log"))
        let problems = await notifier.send(RunNotice(event: .failure, job: "j", runID: "r1", status: "failed", logFolder: "/tmp"))
        #expect(problems == ["notification: email to ops@example.com failed: \(directory.path("sendmail").path) exited with status 75: sendmail: cannot connect to mail.example.com (logs/notifications.log)"])
        #expect(try directory.read("logs/notifications.log").contains("r1  failure  email to ops@example.com  FAILED: "))
    }

    /// curl reads the body from a config file it parses: a quote a combining
    /// mark or an emoji modifier follows must still be escaped there.
    @Test func curlGetsTheExactBodyWhateverFollowsAQuote() async throws {
        guard requireTool("curl", for: "sending a webhook body through curl's config") != nil else { return }
        let directory = try TemporaryDirectory()
        guard let server = try await LoopbackHTTPServer(in: directory) else { return }
        let body = #"{"text":"step \"say \"\#u{301}hi\" and \"\#u{1F3FB}\" failed\\n","back\\slash":"\#t"}"#
        let response = try await WebhookChannel.curl(url: "http://127.0.0.1:\(server.port)/hook", body: Data(body.utf8), timeout: 10)
        #expect(response.status == 200)
        let received = try await server.waitForRequests(1)
        #expect(received.first?.body == body)
        #expect(WebhookChannel.curlQuoted("a\"\u{301}b").unicodeScalars.map(\.value) == [0x22, 0x61, 0x5C, 0x22, 0x301, 0x62, 0x22])
    }

    @Test func noNotifyCallsNothing() async throws {
        let directory = try TemporaryDirectory()
        let received = Received()
        let job = Job("quiet", steps: [shellStep(1, "work", "true")]).onStart { await received.add($0) }
        let runner = JobRunner(job: job, layout: RunLayout(projectDirectory: directory.url), publisher: .some(nil))
        _ = try await runner.run(RunOptions(notices: Notifier(settings: .none, hooks: job.hooks, log: directory.path("logs/notifications.log"))))
        #expect(await received.notices.isEmpty)
    }

    @Test func theMessageCarriesJobStatusFailedStepsDurationAndLogs() {
        let notice = RunNotice(
            event: .failure, job: "nightly", runID: "20261121T020000.000Z-abcd", status: "failed",
            failedSteps: [
                .init(id: 2, name: "load", reason: .memory, message: "used 612 MB, above its memory cap of 512 MB"),
                .init(id: 3, name: "publish", reason: .upstreamFailed, message: "02 failed"),
            ],
            failedTests: [], durationSeconds: 83, logFolder: "/srv/nightly/logs/runs/20261121T020000.000Z-abcd", host: "batch1",
            environment: "prod")
        #expect(notice.text == """
            batchkit: nightly FAILED on batch1 after 1 m 23 s (run 20261121T020000.000Z-abcd, env prod)
            Failed steps: 02 load (memory: used 612 MB, above its memory cap of 512 MB); 03 publish (upstream failed)
            Logs: /srv/nightly/logs/runs/20261121T020000.000Z-abcd
            """)
    }
}
