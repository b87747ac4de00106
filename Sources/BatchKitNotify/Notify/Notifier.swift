import BatchKit
import BatchKitRunner
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation

/// Sends a run's notices to the webhook, the email address and the job's
/// Swift hooks, all at once, each with a time limit. Every delivery is
/// logged in `logs/notifications.log`; a failed one is logged and reported,
/// and never fails the run.
public struct Notifier: RunNoticeObserver {
    public let settings: NotifySettings
    public let hooks: JobHooks
    /// `logs/notifications.log`.
    public let log: URL

    /// Seconds a webhook, sendmail and a hook may take.
    static let webhookTimeout = 10.0
    static let emailTimeout = 30.0
    static let hookTimeout = 30.0

    public init(settings: NotifySettings, hooks: JobHooks, log: URL) {
        self.settings = settings
        self.hooks = hooks
        self.log = log
    }

    /// Sends `notice` everywhere it should go.
    ///
    /// - Returns: One line per failed delivery, for the report (secrets left out).
    public func send(_ notice: RunNotice) async -> [String] {
        guard settings.enabled else { return [] }
        var deliveries: [(String, @Sendable () async throws -> String)] = []
        if settings.events.contains(notice.event) {
            if let webhook = settings.webhook {
                deliveries.append(("webhook \(webhook.label)", { try await WebhookChannel.send(notice, to: webhook, timeout: Self.webhookTimeout) }))
            }
            if let email = settings.email {
                deliveries.append(("email to \(email.to.joined(separator: ", "))", { try await EmailChannel.send(notice, settings: email, timeout: Self.emailTimeout) }))
            }
        }
        for (index, hook) in hooks.hooks(for: notice.event).enumerated() {
            let name = "on\(notice.event.rawValue.prefix(1).uppercased())\(notice.event.rawValue.dropFirst()) hook \(index + 1)"
            deliveries.append((name, { try await Self.withTimeout(Self.hookTimeout) { try await hook(notice) }; return "done" }))
        }
        var lines = settings.events.contains(notice.event) ? settings.unavailable.map { ($0.channel, "not sent: \($0.reason)", false) } : []
        await withTaskGroup(of: (String, String, Bool).self) { group in
            for (name, deliver) in deliveries {
                group.addTask {
                    let started = Date()
                    do {
                        let result = try await deliver()
                        return (name, "ok: \(result) (\(String(format: "%.2f", Date().timeIntervalSince(started))) s)", true)
                    } catch {
                        return (name, "FAILED: \(ErrorDescription.of(error))", false)
                    }
                }
            }
            for await line in group { lines.append(line) }
        }
        let stamp = Timestamp.iso8601(Date())
        let text = lines.sorted { $0.0 < $1.0 }.map { "\(stamp)  \(notice.runID)  \(notice.event.rawValue)  \($0.0)  \($0.1)\n" }.joined()
        if !text.isEmpty { Self.append(text, to: log) }
        return lines.filter { !$0.2 }.map { name, result, _ in
            "notification: \(name) \(result.hasPrefix("FAILED: ") ? "failed: " + result.dropFirst(8) : result) (logs/\(log.lastPathComponent))"
        }
    }

    /// Appends to the notification log; a log that cannot be written is not
    /// a reason to stop.
    private static func append(_ text: String, to url: URL) {
        try? FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        _ = FileDescriptorWriter.append(text, to: url.path)
    }

    struct TimedOut: Error, CustomStringConvertible {
        let seconds: Double
        var description: String { "did not finish within \(Int(seconds)) s (it goes on in the background)" }
    }

    /// Runs `work`, giving up on it after `seconds` (it is cancelled, and
    /// left to end on its own if it does not look at cancellation).
    static func withTimeout(_ seconds: Double, _ work: @escaping @Sendable () async throws -> Void) async throws {
        final class Once: @unchecked Sendable {
            private let lock = NSLock()
            private var continuation: CheckedContinuation<Void, any Error>?
            init(_ continuation: CheckedContinuation<Void, any Error>) { self.continuation = continuation }
            func resume(_ result: Result<Void, any Error>) {
                let taken: CheckedContinuation<Void, any Error>? = lock.withLock {
                    defer { continuation = nil }
                    return continuation
                }
                taken?.resume(with: result)
            }
        }
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
            let once = Once(continuation)
            let task = Task { do { try await work(); once.resume(.success(())) } catch { once.resume(.failure(error)) } }
            DispatchQueue.global().asyncAfter(deadline: .now() + seconds) {
                task.cancel()
                once.resume(.failure(TimedOut(seconds: seconds)))
            }
        }
    }
}

/// "exited with status 75", "was killed by SIGKILL".
func ended(_ exit: ProcessExit) -> String {
    switch exit.termination {
    case .exited(let code): "exited with status \(code)"
    case .signaled(let signal): "was killed by \(SignalName.name(signal))"
    }
}

/// The webhook channel: a JSON POST, `{"text": …}` for Slack-compatible
/// hooks or the whole ``RunNotice`` for `format: json`. `http://` goes over
/// a socket of batchkit's own; `https://` through `curl`, with the URL
/// given on standard input so it is never on a command line.
enum WebhookChannel {
    struct Failure: Error, CustomStringConvertible {
        let description: String
    }

    static func payload(_ notice: RunNotice, format: NotifySettings.Webhook.Format) throws -> Data {
        struct Slack: Encodable { let text: String }
        struct Full: Encodable { let text: String; let notice: RunNotice }
        let encoder = JSONCoding.encoder(pretty: false)
        switch format {
        case .slack: return try encoder.encode(Slack(text: notice.text))
        case .json: return try encoder.encode(Full(text: notice.text, notice: notice))
        }
    }

    /// - Returns: "HTTP 200".
    static func send(_ notice: RunNotice, to webhook: NotifySettings.Webhook, timeout: Double) async throws -> String {
        let body = try payload(notice, format: webhook.format)
        let response: HTTPPost.Response
        if webhook.url.hasPrefix("https://") {
            response = try await curl(url: webhook.url, body: body, timeout: timeout)
        } else {
            response = try await HTTPPost.post(url: webhook.url, body: body, timeout: timeout)
        }
        guard (200..<300).contains(response.status) else {
            let said = response.body.trimmingCharacters(in: .whitespacesAndNewlines)
            throw Failure(description: "HTTP \(response.status)" + (said.isEmpty ? "" : ": \(said.prefix(200))"))
        }
        return "HTTP \(response.status)"
    }

    /// `text` as a double-quoted curl config value, escaped scalar by scalar
    /// (a quote a combining mark follows is still a quote to curl).
    static func curlQuoted(_ text: String) -> String {
        DoubleQuoted.literal(text) { scalar in
            switch scalar {
            case "\n": #"\n"#
            case "\r": #"\r"#
            case "\t": #"\t"#
            default: nil
            }
        }
    }

    static func curl(url: String, body: Data, timeout: Double) async throws -> HTTPPost.Response {
        guard let curl = ExecutablePath.find("curl") else {
            throw Failure(description: "https webhooks are sent with curl, which is not on PATH; install curl (apt-get install curl)")
        }
        let config = """
            url = \(curlQuoted(url))
            request = "POST"
            header = "Content-Type: application/json"
            user-agent = "batchkit/\(BatchKit.version)"
            data-binary = \(curlQuoted(String(decoding: body, as: UTF8.self)))

            """
        let result = try await CommandOutput.run(
            curl, ["--silent", "--show-error", "--max-time", String(Int(timeout)), "--write-out", "\n%{http_code}", "--config", "-"],
            input: config, mergingErrors: true, timeout: timeout + 5)
        let (exit, output) = (result.exit, result.standardOutput)
        let lines = output.split(separator: "\n", omittingEmptySubsequences: false)
        guard exit.termination == .exited(0), let last = lines.last, let status = Int(last), status > 0 else {
            // curl names the host in its errors, never the path.
            let said = output.split(separator: "\n").filter { $0.hasPrefix("curl:") }.joined(separator: " ")
            throw Failure(description: said.isEmpty ? "curl \(ended(exit))" : said)
        }
        return HTTPPost.Response(status: status, body: lines.dropLast().joined(separator: "\n"))
    }
}

/// The email channel: a plain-text message handed to the local `sendmail`
/// (`sendmail -t -oi`), which Postfix, Exim, msmtp and nullmailer all provide.
enum EmailChannel {
    struct Failure: Error, CustomStringConvertible {
        let description: String
    }

    /// The message, headers and body.
    static func message(_ notice: RunNotice, settings: NotifySettings.Email, date: Date = Date()) -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss Z"
        var headers: [String] = []
        if let from = settings.from { headers.append("From: \(from)") }
        headers += [
            "To: \(settings.to.joined(separator: ", "))",
            "Subject: [batchkit] \(notice.title) on \(notice.host)",
            "Date: \(formatter.string(from: date))",
            "MIME-Version: 1.0",
            "Content-Type: text/plain; charset=utf-8",
            "Content-Transfer-Encoding: 8bit",
            "X-Batchkit-Job: \(notice.job)",
            "X-Batchkit-Run: \(notice.runID)",
            "X-Batchkit-Event: \(notice.event.rawValue)",
        ]
        // No header may carry a line break a job name or host smuggled in.
        let clean = headers.map { header in
            String(String.UnicodeScalarView(header.unicodeScalars.map { $0 == "\r" || $0 == "\n" ? " " : $0 }))
        }
        return clean.joined(separator: "\n") + "\n\n" + notice.text + "\n"
    }

    /// The sendmail program: the configured one, else on PATH, /usr/sbin or /usr/lib.
    static func sendmail(_ settings: NotifySettings.Email) -> String? {
        if let path = settings.sendmail { return path }
        if let found = ExecutablePath.find("sendmail") { return found }
        return ["/usr/sbin/sendmail", "/usr/lib/sendmail"].first { FileManager.default.isExecutableFile(atPath: $0) }
    }

    static func send(_ notice: RunNotice, settings: NotifySettings.Email, timeout: Double) async throws -> String {
        guard let sendmail = sendmail(settings) else {
            throw Failure(description: "no sendmail on PATH, /usr/sbin or /usr/lib; install a mail transfer agent (apt-get install msmtp-mta, or postfix) or set notify.email.sendmail")
        }
        var arguments = ["-t", "-oi"]
        if let from = settings.from { arguments += ["-f", from] }
        let result = try await CommandOutput.run(sendmail, arguments, input: message(notice, settings: settings), mergingErrors: true, timeout: timeout)
        let (exit, output) = (result.exit, result.standardOutput)
        guard exit.termination == .exited(0) else {
            let said = output.trimmingCharacters(in: .whitespacesAndNewlines)
            throw Failure(description: "\(sendmail) \(ended(exit))" + (said.isEmpty ? "" : ": \(said.prefix(300))"))
        }
        return "handed to \(sendmail)"
    }
}
