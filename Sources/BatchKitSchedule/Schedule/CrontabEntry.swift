import BatchKit
import BatchKitRunner
/// The crontab line of a scheduled run:
///
/// ```
/// 0 2 * * * cd /srv/demo && PATH=/opt/swift/usr/bin:/usr/bin:/bin /srv/demo/run.sh run >> /srv/demo/logs/schedule.log 2>&1 # batchkit-schedule demo /srv/demo
/// ```
///
/// cron hands everything after the five fields to `/bin/sh -c`, except that
/// an unescaped `%` ends the command (the rest becomes its standard input),
/// so words are quoted for `sh` and every `%` is written `\%` outside the
/// quotes. The trailing comment (a shell comment, so it changes nothing) is
/// the marker by which `--install` and `--uninstall` find the entry again.
public struct CrontabEntry: Sendable, Equatable {
    public let expression: CronExpression
    public let run: ScheduledRun

    public init(expression: CronExpression, run: ScheduledRun) {
        self.expression = expression
        self.run = run
    }

    /// The shell comment that ends the line and identifies the schedule: its
    /// name and the job's folder.
    public var marker: String {
        Self.marker(name: run.name, directory: run.directory)
    }

    /// The marker of the schedule `name` of the job in `directory`.
    public static func marker(name: String, directory: String) -> String {
        "# batchkit-schedule \(name) \(word(directory))"
    }

    /// The whole line, without its newline.
    public var line: String {
        let command = run.command.map(Self.word).joined(separator: " ")
        return "\(expression.text) cd \(Self.word(run.directory)) && PATH=\(Self.word(run.path)) \(command) "
            + ">> \(Self.word(run.logFile)) 2>&1 \(marker)"
    }

    /// `word` as one `sh` word inside a crontab line: as is when it holds
    /// only characters no shell treats specially, else in single quotes, with
    /// each `%` as `\%` between quoted pieces (cron turns `\%` into `%`; next
    /// to a quote, no backslash of the word can swallow the escape). Split on
    /// Unicode scalars, as cron reads bytes: a `%` a combining mark follows
    /// is still a `%`.
    public static func word(_ word: String) -> String {
        if ShellWord.isPlain(word) { return word }
        let pieces = word.unicodeScalars.split(separator: "%", omittingEmptySubsequences: false).map { piece in
            piece.isEmpty ? "" : ShellWord.singleQuoted(String(String.UnicodeScalarView(piece)))
        }
        let quoted = pieces.joined(separator: "\\%")
        return quoted.isEmpty ? "''" : quoted
    }
}
