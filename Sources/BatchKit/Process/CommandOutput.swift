#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation

/// A short command run to completion with its standard output and standard
/// error kept apart (`crontab -l` prints the crontab on one and "no crontab
/// for root" on the other), through ``ChildProcess``.
public struct CommandOutput: Sendable {
    public let exit: ProcessExit
    public let standardOutput: String
    public let standardError: String

    /// Runs `executable` with `arguments` and waits for it.
    ///
    /// A command still running after `timeout` seconds is killed, and that
    /// is said in ``standardError``.
    ///
    /// - Throws: ``ChildProcess/SpawnError`` when it cannot be started.
    public static func run(_ executable: String, _ arguments: [String], timeout: Double = 60) async throws -> CommandOutput {
        let base = FileManager.default.temporaryDirectory
            .appendingPathComponent("batchkit-command-\(getpid())-\(UInt64.random(in: 0...UInt64.max))")
        let outputFile = base.appendingPathExtension("out")
        let errorFile = base.appendingPathExtension("err")
        defer {
            try? FileManager.default.removeItem(at: outputFile)
            try? FileManager.default.removeItem(at: errorFile)
        }
        // ChildProcess sends both streams to one file; sh splits off stderr.
        let child = try await ChildProcess.spawn(ChildProcess.Request(
            executable: "/bin/sh", arguments: ["-c", "exec 2>\"$0\"; exec \"$@\"", errorFile.path, executable] + arguments,
            logFile: outputFile.path))
        let timer = DispatchWorkItem { child.signalGroup(SIGKILL) }
        DispatchQueue.global().asyncAfter(deadline: .now() + timeout, execute: timer)
        let exit = await child.wait()
        timer.cancel()
        var error = (try? String(contentsOf: errorFile, encoding: .utf8)) ?? ""
        if exit.termination == .signaled(SIGKILL) {
            error += "\n(\(URL(fileURLWithPath: executable).lastPathComponent) did not finish within \(Int(timeout)) s and was stopped)"
        }
        return CommandOutput(
            exit: exit, standardOutput: (try? String(contentsOf: outputFile, encoding: .utf8)) ?? "", standardError: error)
    }

    /// Standard error, else standard output, trimmed: what to quote when the
    /// command failed.
    public var failureText: String {
        let error = standardError.trimmingCharacters(in: .whitespacesAndNewlines)
        return error.isEmpty ? standardOutput.trimmingCharacters(in: .whitespacesAndNewlines) : error
    }
}
