import BatchKit
import BatchKitRunner
/// The systemd service and timer of a scheduled run: `batchkit-<name>.service`
/// (a oneshot running the job from its folder, output appended to
/// `logs/schedule.log`) and `batchkit-<name>.timer` (its `OnCalendar=` from the
/// cron expression, `Persistent=true` so a run missed while the machine was
/// off happens at the next boot).
///
/// Unit files expand `%` specifiers everywhere and `$` variables in
/// `ExecStart=`, and split `ExecStart=` on whitespace, so values are escaped
/// and quoted for systemd, not for a shell.
public struct SystemdUnits: Sendable, Equatable {
    public let expression: CronExpression
    public let run: ScheduledRun
    /// The timer's `OnCalendar=` value.
    public let onCalendar: String

    /// - Throws: ``ScheduleError`` (`unsupported`) when systemd cannot express
    ///   the schedule (see ``SystemdCalendar``).
    public init(expression: CronExpression, run: ScheduledRun) throws(ScheduleError) {
        self.expression = expression
        self.run = run
        self.onCalendar = try SystemdCalendar.onCalendar(expression)
    }

    /// `batchkit-<name>.service`.
    public var serviceName: String { "batchkit-\(run.name).service" }
    /// `batchkit-<name>.timer`.
    public var timerName: String { "batchkit-\(run.name).timer" }

    /// The first line of both files: which schedule of which job folder they
    /// are, so an install elsewhere under the same name is caught.
    public var marker: String { Self.marker(name: run.name, directory: run.directory) }

    /// The marker of the schedule `name` of the job in `directory` (a whole
    /// comment line, so nothing in it is expanded).
    public static func marker(name: String, directory: String) -> String {
        "# batchkit-schedule \(name) \(directory)"
    }

    /// The service file's text.
    public var service: String {
        """
        \(marker)
        [Unit]
        Description=\(Self.specifiers("batchkit job \(VisibleText.line(run.job)) in \(run.directory)"))

        [Service]
        Type=oneshot
        WorkingDirectory=\(Self.specifiers(run.directory))
        Environment=\(Self.quoted("PATH=" + run.path))
        ExecStart=\(run.command.map(Self.execArgument).joined(separator: " "))
        StandardOutput=append:\(Self.specifiers(run.logFile))
        StandardError=append:\(Self.specifiers(run.logFile))

        """
    }

    /// The timer file's text.
    public var timer: String {
        """
        \(marker)
        [Unit]
        Description=\(Self.specifiers("Run batchkit job \(VisibleText.line(run.job)) on cron schedule \(expression.text)"))

        [Timer]
        OnCalendar=\(onCalendar)
        Persistent=true
        Unit=\(serviceName)

        [Install]
        WantedBy=timers.target

        """
    }

    /// `%` written `%%`, so systemd does not read it as a specifier.
    static func specifiers(_ text: String) -> String {
        escaping(text) { $0 == "%" ? "%%" : nil }
    }

    /// One `ExecStart=` word: `%` and `$` doubled; in double quotes (with `\`
    /// and `"` escaped) when it is empty or holds whitespace, quotes, a
    /// backslash, or is a lone `;` (which would separate commands).
    static func execArgument(_ word: String) -> String {
        let escaped = escaping(word) { $0 == "%" ? "%%" : $0 == "$" ? "$$" : nil }
        let needsQuotes = escaped.isEmpty || escaped == ";"
            || escaped.unicodeScalars.contains(where: { $0 == " " || $0 == "\t" || $0 == "\"" || $0 == "'" || $0 == "\\" })
        return needsQuotes ? quoted(escaped, specifiersDone: true) : escaped
    }

    /// `"text"` with `\` and `"` escaped (C-style, as systemd unquotes).
    static func quoted(_ text: String, specifiersDone: Bool = false) -> String {
        let body = escaping(specifiersDone ? text : specifiers(text)) { $0 == "\\" ? "\\\\" : $0 == "\"" ? "\\\"" : nil }
        return "\"" + body + "\""
    }

    /// `text` with each Unicode scalar `replacement` gives a text for
    /// replaced: systemd reads bytes, so a `"` or `%` that a combining mark
    /// follows (one `Character` with it) must be escaped all the same.
    private static func escaping(_ text: String, _ replacement: (Unicode.Scalar) -> String?) -> String {
        var out = String.UnicodeScalarView()
        for scalar in text.unicodeScalars {
            if let replaced = replacement(scalar) {
                out.append(contentsOf: replaced.unicodeScalars)
            } else {
                out.append(scalar)
            }
        }
        return String(out)
    }
}
