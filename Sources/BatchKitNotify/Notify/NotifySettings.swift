import BatchKit
import BatchKitRunner
import Foundation

/// Where a run's notifications go: the `notify` section of `config/*.json`,
/// then `BATCHKIT_WEBHOOK_URL` and `BATCHKIT_NOTIFY_EMAIL`.
///
/// ```json
/// "notify": {
///   "on": ["start", "success", "failure"],
///   "webhook": {"url_env": "SLACK_WEBHOOK_URL", "format": "slack"},
///   "email": {"to": ["ops@example.com"], "from": "jobs@example.com", "sendmail": "/usr/sbin/sendmail"}
/// }
/// ```
///
/// A webhook URL is a secret: it is read from the variable `url_env` names
/// (or `url`, for a file kept out of version control) and never printed or
/// logged; messages name it as its scheme and host only.
public struct NotifySettings: Sendable, Equatable {
    /// The events that send notifications (the Swift hooks get all three).
    public var events: Set<RunNotice.Event> = Set(RunNotice.Event.allCases)
    public var webhook: Webhook?
    public var email: Email?
    /// Configured channels not in use, and why (a variable not set).
    public var unavailable: [Unavailable] = []
    /// The variables that hold notification secrets: `BATCHKIT_WEBHOOK_URL`
    /// and the one `webhook.url_env` names (set or not). Steps never get
    /// them (``RunOptions/withheldVariables``), with or without `--no-notify`.
    public var secretVariables: Set<String> = [NotifySettings.webhookVariable]

    /// The variable whose webhook URL overrides the config files'.
    public static let webhookVariable = "BATCHKIT_WEBHOOK_URL"

    /// A configured channel that cannot be used for this run.
    public struct Unavailable: Sendable, Equatable {
        public var channel: String
        public var reason: String

        public init(channel: String, reason: String) {
            self.channel = channel
            self.reason = reason
        }
    }

    public init() {}

    /// False for `--no-notify`: no channel and no hook is used.
    public var enabled = true

    /// Nothing is sent (`--no-notify`), not even to the Swift hooks.
    public static var none: NotifySettings {
        var settings = NotifySettings()
        settings.enabled = false
        return settings
    }

    /// A webhook: a JSON POST.
    public struct Webhook: Sendable, Equatable {
        /// `slack`: `{"text": …}`, which Slack, Mattermost, Rocket.Chat and
        /// Teams' Slack-compatible hooks take; `json`: the whole notice.
        public enum Format: String, Sendable { case slack, json }
        /// The URL. A secret: never print it; use ``label``.
        public var url: String
        public var format: Format
        /// Where the URL came from, for messages: `$SLACK_WEBHOOK_URL`.
        public var source: String

        public init(url: String, format: Format = .slack, source: String) {
            self.url = url
            self.format = format
            self.source = source
        }

        /// The URL without its path and query: `https://hooks.slack.com/…`.
        public var label: String { Webhook.redact(url) }

        static func redact(_ url: String) -> String {
            guard let scheme = url.range(of: "://") else { return "a webhook" }
            let rest = url[scheme.upperBound...]
            let host = rest.prefix { $0 != "/" && $0 != "?" && $0 != "#" }
            // user:password@host keeps only the host.
            let bare = host.split(separator: "@").last.map(String.init) ?? String(host)
            return String(url[..<scheme.upperBound]) + bare + (rest.count > host.count ? "/…" : "")
        }
    }

    /// Email through the local `sendmail`.
    public struct Email: Sendable, Equatable {
        public var to: [String]
        public var from: String?
        /// The sendmail program; found on PATH, /usr/sbin or /usr/lib when nil.
        public var sendmail: String?

        public init(to: [String], from: String? = nil, sendmail: String? = nil) {
            self.to = to
            self.from = from
            self.sendmail = sendmail
        }
    }

    /// True when some channel is configured.
    public var isEmpty: Bool { webhook == nil && email == nil }

    /// A `notify` section that cannot be used: what is wrong, and where.
    public struct Problem: Error, CustomStringConvertible, Sendable {
        public let message: String
        public init(_ message: String) { self.message = message }
        public var description: String { message }
    }

    /// Reads the `notify` section of the job's config files.
    ///
    /// - Throws: ``Problem`` naming the file and key.
    package static func parse(_ section: [String: JSONValue], files: [String], variables: [String: String]) throws(NotifySettings.Problem) -> NotifySettings {
        let where_ = files.isEmpty ? "config" : files.joined(separator: " + ")
        var settings = NotifySettings()
        for key in section.keys.sorted() where !["on", "webhook", "email"].contains(key) && !key.hasPrefix("_") {
            throw NotifySettings.Problem("\(where_): notify.\(key): unknown key; notify has on, webhook and email")
        }
        if let on = section["on"] {
            guard case .array(let items) = on else { throw NotifySettings.Problem("\(where_): notify.on must be a list such as [\"failure\"]") }
            var events: Set<RunNotice.Event> = []
            for item in items {
                guard case .string(let name) = item, let event = RunNotice.Event(rawValue: name) else {
                    throw NotifySettings.Problem("\(where_): notify.on has \(item.scalarText ?? item.kind); the events are start, success and failure")
                }
                events.insert(event)
            }
            settings.events = events
        }
        if let webhook = section["webhook"] {
            guard case .object(let fields) = webhook else {
                throw NotifySettings.Problem("\(where_): notify.webhook must be an object: {\"url_env\": \"SLACK_WEBHOOK_URL\"}")
            }
            for key in fields.keys.sorted() where !["url", "url_env", "format"].contains(key) {
                throw NotifySettings.Problem("\(where_): notify.webhook.\(key): unknown key; a webhook has url_env (or url) and format")
            }
            var format = Webhook.Format.slack
            if let given = fields["format"] {
                guard case .string(let name) = given, let value = Webhook.Format(rawValue: name) else {
                    throw NotifySettings.Problem("\(where_): notify.webhook.format must be \"slack\" or \"json\"")
                }
                format = value
            }
            if case .string(let name)? = fields["url_env"] {
                settings.secretVariables.insert(name)
                if let url = variables[name], !url.isEmpty {
                    settings.webhook = Webhook(url: url, format: format, source: "$\(name)")
                } else {
                    settings.unavailable.append(Unavailable(channel: "webhook", reason: "$\(name) is not set"))
                }
            } else if case .string(let url)? = fields["url"] {
                settings.webhook = Webhook(url: url, format: format, source: where_)
            } else {
                throw NotifySettings.Problem("\(where_): notify.webhook needs \"url_env\": the name of the variable holding the URL")
            }
            if let url = settings.webhook?.url, !(url.hasPrefix("http://") || url.hasPrefix("https://")) {
                throw NotifySettings.Problem("notify.webhook: the URL from \(settings.webhook!.source) must start with http:// or https://")
            }
        }
        if let email = section["email"] {
            guard case .object(let fields) = email else {
                throw NotifySettings.Problem("\(where_): notify.email must be an object: {\"to\": [\"ops@example.com\"]}")
            }
            for key in fields.keys.sorted() where !["to", "from", "sendmail"].contains(key) {
                throw NotifySettings.Problem("\(where_): notify.email.\(key): unknown key; email has to, from and sendmail")
            }
            var to: [String] = []
            switch fields["to"] {
            case .string(let one)?: to = [one]
            case .array(let many)?: to = many.compactMap { if case .string(let text) = $0 { text } else { nil } }
            default: break
            }
            guard !to.isEmpty else { throw NotifySettings.Problem("\(where_): notify.email.to must list at least one address") }
            var value = Email(to: to, from: nil, sendmail: nil)
            if case .string(let from)? = fields["from"] { value.from = from }
            if case .string(let path)? = fields["sendmail"] { value.sendmail = path }
            settings.email = value
        }
        // The environment has the last word.
        if let url = variables[Self.webhookVariable], !url.isEmpty {
            guard url.hasPrefix("http://") || url.hasPrefix("https://") else {
                throw NotifySettings.Problem("$BATCHKIT_WEBHOOK_URL must start with http:// or https://")
            }
            settings.webhook = Webhook(url: url, format: settings.webhook?.format ?? .slack, source: "$BATCHKIT_WEBHOOK_URL")
            settings.unavailable.removeAll { $0.channel == "webhook" }
        }
        if let list = variables["BATCHKIT_NOTIFY_EMAIL"], !list.isEmpty {
            let to = list.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
            settings.email = Email(to: to, from: settings.email?.from, sendmail: settings.email?.sendmail)
        }
        for address in (settings.email?.to ?? []) + [settings.email?.from].compactMap({ $0 })
        where address.contains(where: { $0 == "\n" || $0 == "\r" || $0 == "," }) || !address.contains("@") {
            throw NotifySettings.Problem("notify.email: \"\(address)\" is not one email address")
        }
        return settings
    }
}
