import BatchKit
import BatchKitRunner
import Foundation

/// What a crontab entry or a systemd timer runs: the job's command line, from
/// its folder, with a `PATH` that finds the toolchain, its output appended to
/// `logs/schedule.log`. Everything is absolute, since neither cron nor
/// systemd starts in the job's folder or with the user's `PATH`.
public struct ScheduledRun: Sendable, Equatable {
    /// The schedule's name: `batchkit-<name>.service`, and the crontab marker.
    public let name: String
    /// The job's name, for descriptions.
    public let job: String
    /// The job's folder (where `logs/` is); the run starts here.
    public let directory: String
    /// The command line: `<dir>/run.sh run …` or `batchkit run <file> --workdir <dir> run …`.
    public let command: [String]
    /// `PATH` for the run.
    public let path: String
    /// Where standard output and standard error are appended.
    public var logFile: String { directory + "/logs/schedule.log" }

    /// - Parameters:
    ///   - name: Letters, digits, `_`, `.` and `-` (it names systemd units).
    ///   - directory: An absolute path.
    ///   - command: Absolute program path first, then its arguments.
    /// - Throws: ``ScheduleError`` (`invalidSetting`) for a name that cannot
    ///   name a unit, or a word with a line break or control character (it
    ///   would end a crontab line).
    public init(name: String, job: String, directory: String, command: [String], path: String) throws(ScheduleError) {
        guard !name.isEmpty, name.count <= 200, name.unicodeScalars.allSatisfy({ $0.isASCII && (CharacterSet.alphanumerics.contains($0) || "_.-".unicodeScalars.contains($0)) }),
              !name.hasPrefix("-"), !name.hasPrefix(".")
        else {
            throw ScheduleError(.invalidSetting, "--name \"\(name)\" cannot name a schedule: use letters, digits, _, . and - (it becomes batchkit-NAME.service)")
        }
        for word in [directory, path] + command where word.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7f }) {
            throw ScheduleError(.invalidSetting, "\(word.debugDescription) contains a line break or control character, which a crontab line or unit file cannot hold; rename it")
        }
        guard directory.hasPrefix("/"), command.first?.hasPrefix("/") == true else {
            throw ScheduleError(.invalidSetting, "a scheduled run needs absolute paths; got \(directory) and \(command.first ?? "no command")")
        }
        self.name = name
        self.job = job
        self.directory = directory
        self.command = command
        self.path = path
    }

    /// `PATH` for a scheduled run: the folder of the `swift` in use (so
    /// `run.sh` can rebuild a job whose sources changed), then the system's.
    ///
    /// - Parameter swift: The `swift` executable found on the current `PATH`, if any.
    public static func searchPath(swift: String?) -> String {
        var folders: [String] = []
        if let swift { folders.append(URL(fileURLWithPath: swift).deletingLastPathComponent().path) }
        for folder in ["/usr/local/sbin", "/usr/local/bin", "/usr/sbin", "/usr/bin", "/sbin", "/bin"] where !folders.contains(folder) {
            folders.append(folder)
        }
        return folders.joined(separator: ":")
    }
}
