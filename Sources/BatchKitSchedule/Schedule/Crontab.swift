import BatchKit
import BatchKitRunner
import Foundation

/// The text of a user's crontab, edited line by line: removing a schedule's
/// entries (by their marker) and appending one leave every other byte where
/// it was.
public struct Crontab: Sendable, Equatable {
    public private(set) var text: String

    public init(_ text: String) {
        self.text = text
    }

    /// The lines that end with `marker` (a ``CrontabEntry/marker``).
    public func entries(marked marker: String) -> [String] {
        text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init).filter { Self.line($0, isMarked: marker) }
    }

    /// Removes the lines that end with `marker`.
    ///
    /// - Returns: The lines removed.
    @discardableResult
    public mutating func remove(marked marker: String) -> [String] {
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        let removed = lines.filter { Self.line($0, isMarked: marker) }
        if !removed.isEmpty {
            text = lines.filter { !Self.line($0, isMarked: marker) }.joined(separator: "\n")
        }
        return removed
    }

    /// Appends `line`; cron ignores a last line without a newline, so both
    /// the text before it and the line end with one.
    public mutating func append(_ line: String) {
        if !text.isEmpty, !text.hasSuffix("\n") { text += "\n" }
        text += line + "\n"
    }

    /// An entry ending with the marker; a line the user commented out is theirs.
    private static func line(_ line: String, isMarked marker: String) -> Bool {
        line.hasSuffix(" " + marker) && !line.hasPrefix("#")
    }
}

/// The crontab of the user running batchkit, through the `crontab` command:
/// `crontab -l` to read it, `crontab FILE` to replace it — which installs the
/// new file whole or not at all, so a failure never leaves half a crontab.
public struct UserCrontab: Sendable {
    /// The `crontab` executable.
    public let executable: String

    /// Finds `crontab` on `PATH`.
    ///
    /// - Throws: ``ScheduleError`` (`toolMissing`) when cron is not installed.
    public init(environment: [String: String] = ProcessInfo.processInfo.environment) throws(ScheduleError) {
        guard let found = ExecutablePath.find("crontab", environment: environment) else {
            throw ScheduleError(.toolMissing, "the crontab command is not installed: install cron (apt-get install cron), or use --systemd")
        }
        executable = found
    }

    /// The current crontab; empty when the user has none.
    ///
    /// - Throws: ``ScheduleError`` (`toolFailed`) when `crontab -l` fails for
    ///   another reason (then nothing must be written over it).
    public func read() async throws(ScheduleError) -> Crontab {
        let output = try await run(["-l"])
        if output.exit.succeeded { return Crontab(output.standardOutput) }
        if output.exit.termination == .exited(1), output.standardError.lowercased().contains("no crontab for") { return Crontab("") }
        throw ScheduleError(.toolFailed, "`crontab -l` failed (\(output.exit.summary)): \(output.failureText); the crontab was left as it was")
    }

    /// Replaces the crontab with `crontab`, then reads it back to check.
    ///
    /// - Throws: ``ScheduleError`` (`toolFailed`) with `crontab`'s message;
    ///   ``ScheduleError`` (`io`) when the new text cannot be staged.
    public func write(_ crontab: Crontab) async throws(ScheduleError) {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("batchkit-crontab-\(UUID().uuidString)")
        let file = folder.appendingPathComponent("crontab")
        defer { try? FileManager.default.removeItem(at: folder) }
        do {
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: false, attributes: [.posixPermissions: 0o700])
            try Data(crontab.text.utf8).write(to: file)
        } catch {
            throw ScheduleError(.io, "cannot stage the new crontab in \(folder.path): \(ErrorDescription.of(error)); the crontab was left as it was")
        }
        let output = try await run([file.path])
        guard output.exit.succeeded else {
            throw ScheduleError(.toolFailed, "`crontab` refused the new crontab (\(output.exit.summary)): \(output.failureText); the crontab was left as it was")
        }
        // Some crons list a header of their own above the file; nothing else may differ.
        let installed = try await read()
        guard installed.text.hasSuffix(crontab.text) else {
            throw ScheduleError(.toolFailed, "the crontab changed while it was written (another `crontab -e`?); check it with crontab -l")
        }
    }

    private func run(_ arguments: [String]) async throws(ScheduleError) -> CommandOutput {
        do {
            return try await CommandOutput.run(executable, arguments)
        } catch {
            throw ScheduleError(.toolFailed, "cannot run \(executable): \(ErrorDescription.of(error))")
        }
    }
}
