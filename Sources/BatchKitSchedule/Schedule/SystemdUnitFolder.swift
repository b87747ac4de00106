import BatchKit
import BatchKitRunner
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation

/// Where systemd units are installed, and the `systemctl` that loads them:
/// a user's own units (`${XDG_CONFIG_HOME:-~/.config}/systemd/user`,
/// `systemctl --user`) or, for root, the system's (`/etc/systemd/system`,
/// `systemctl`), which run without anyone logged in.
public struct SystemdUnitFolder: Sendable {
    public let directory: URL
    /// Units of the user's own manager (`systemctl --user`).
    public let user: Bool

    public init(directory: URL, user: Bool) {
        self.directory = directory.standardizedFileURL
        self.user = user
    }

    /// The system folder for root, the user's folder for anyone else.
    public static func standard(
        isRoot: Bool = geteuid() == 0, environment: [String: String] = ProcessInfo.processInfo.environment
    ) -> SystemdUnitFolder {
        if isRoot { return SystemdUnitFolder(directory: URL(fileURLWithPath: "/etc/systemd/system"), user: false) }
        let config = environment["XDG_CONFIG_HOME"].flatMap { $0.hasPrefix("/") ? $0 : nil }
            ?? (environment["HOME"] ?? NSHomeDirectory()) + "/.config"
        return SystemdUnitFolder(directory: URL(fileURLWithPath: config + "/systemd/user"), user: true)
    }

    /// `systemctl` or `systemctl --user`, for messages.
    public var systemctl: String { user ? "systemctl --user" : "systemctl" }

    /// The file of unit `name` in this folder.
    public func file(_ name: String) -> URL { directory.appendingPathComponent(name) }

    /// Writes the service and the timer, reloads systemd and enables the
    /// timer now. Files of another job folder under the same names are not
    /// overwritten.
    ///
    /// - Returns: The files written.
    /// - Throws: ``ScheduleError``: `conflict`; `io`; `toolMissing` or
    ///   `toolFailed` when `systemctl` is missing or fails — the files are
    ///   then kept, and the message has the commands to run once systemd does.
    public func install(_ units: SystemdUnits) async throws(ScheduleError) -> [URL] {
        let files = [(file(units.serviceName), units.service), (file(units.timerName), units.timer)]
        for (url, _) in files { try checkOwnership(url, marker: units.marker) }
        do {
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            for (url, text) in files { try DurableFile.replace(url, with: text) }
        } catch {
            throw ScheduleError(.io, "cannot write the units to \(directory.path): \(ErrorDescription.of(error))")
        }
        let commands = ["daemon-reload", "enable --now \(units.timerName)"]
        if let failure = await systemctl(commands) {
            throw ScheduleError(failure.code, """
                wrote \(files.map(\.0.path).joined(separator: " and ")), but systemd did not load them: \(failure.message)
                Once systemd runs for this \(user ? "user" : "machine"), enable the timer with:
                  \(commands.map { "\(systemctl) \($0)" }.joined(separator: "\n  "))
                """)
        }
        return files.map(\.0)
    }

    /// Stops and disables the timer, removes both units and reloads systemd.
    ///
    /// - Returns: The files removed (none when nothing was installed).
    /// - Throws: ``ScheduleError``: `conflict` when the files belong to
    ///   another job folder; `toolMissing` or `toolFailed` after removing
    ///   the files when `systemctl` fails, with the command still to run.
    public func uninstall(name: String, marker: String) async throws(ScheduleError) -> [URL] {
        let timer = "batchkit-\(name).timer"
        let files = [file("batchkit-\(name).service"), file(timer)].filter { FileManager.default.fileExists(atPath: $0.path) }
        guard !files.isEmpty else { return [] }
        for url in files { try checkOwnership(url, marker: marker) }
        let stopFailure = FileManager.default.fileExists(atPath: file(timer).path) ? await systemctl(["disable --now \(timer)"]) : nil
        do {
            for url in files { try FileManager.default.removeItem(at: url) }
            // `enable` links the timer here; `disable` removes the link, unless systemctl failed.
            let link = directory.appendingPathComponent("timers.target.wants/\(timer)")
            if (try? FileManager.default.destinationOfSymbolicLink(atPath: link.path)) != nil {
                try FileManager.default.removeItem(at: link)
            }
        } catch {
            throw ScheduleError(.io, "cannot remove the units from \(directory.path): \(ErrorDescription.of(error))")
        }
        if let failure = await systemctl(["daemon-reload"]) ?? stopFailure {
            throw ScheduleError(failure.code, """
                removed \(files.map(\.path).joined(separator: " and ")), but \(failure.message)
                Once systemd runs, make it forget the timer with:
                  \(systemctl) stop \(timer)
                  \(systemctl) daemon-reload
                """)
        }
        return files
    }

    /// Refuses to touch a unit file that another job folder's schedule (or
    /// someone else) wrote under this name.
    private func checkOwnership(_ url: URL, marker: String) throws(ScheduleError) {
        guard let data = FileManager.default.contents(atPath: url.path) else { return }
        let firstLine = String(decoding: data, as: UTF8.self).split(separator: "\n", maxSplits: 1).first.map(String.init) ?? ""
        guard firstLine == marker else {
            let owner = firstLine.hasPrefix("# batchkit-schedule ") ? "another job folder's schedule (\(firstLine.dropFirst(2)))" : "something other than batchkit"
            throw ScheduleError(.conflict, "\(url.path) was written by \(owner); choose another name with --name, or remove it from where it was made")
        }
    }

    /// Runs each `systemctl` command in turn; the first failure, if any.
    private func systemctl(_ commands: [String]) async -> ScheduleError? {
        guard let executable = ExecutablePath.find("systemctl") else {
            return ScheduleError(.toolMissing, "systemctl is not installed (is this a systemd machine?)")
        }
        for command in commands {
            let arguments = (user ? ["--user"] : []) + command.split(separator: " ").map(String.init)
            do {
                let output = try await CommandOutput.run(executable, arguments)
                if !output.exit.succeeded {
                    return ScheduleError(.toolFailed, "`\(systemctl) \(command)` failed (\(output.exit.summary)): \(output.failureText)")
                }
            } catch {
                return ScheduleError(.toolFailed, "cannot run \(executable): \(ErrorDescription.of(error))")
            }
        }
        return nil
    }
}
