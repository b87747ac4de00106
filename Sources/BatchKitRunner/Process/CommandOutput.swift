import BatchKit
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
    /// - Parameters:
    ///   - input: Its standard input, written to a private temporary file
    ///     (mode 0600, removed afterwards), so a secret given this way is never
    ///     on a command line; `nil` for `/dev/null`.
    ///   - environment: Variables added to the runner's.
    ///   - withholding: Variables of the runner's environment the command does not get.
    ///   - mergingErrors: Both streams in ``standardOutput``, in order.
    /// - Throws: ``ChildProcess/SpawnError`` when it cannot be started.
    public static func run(
        _ executable: String, _ arguments: [String], input: String? = nil, environment: [String: String] = [:],
        withholding: Set<String> = [], mergingErrors: Bool = false, timeout: Double = 60
    ) async throws -> CommandOutput {
        let base = FileManager.default.temporaryDirectory
            .appendingPathComponent("batchkit-command-\(getpid())-\(UInt64.random(in: 0...UInt64.max))")
        let outputFile = base.appendingPathExtension("out")
        let errorFile = base.appendingPathExtension("err")
        let inputFile = base.appendingPathExtension("in")
        defer {
            for file in [outputFile, errorFile, inputFile] { try? FileManager.default.removeItem(at: file) }
        }
        if let input {
            let descriptor = open(inputFile.path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
            guard descriptor >= 0 else {
                throw CSVHistoryFile.WriteError(path: inputFile.path, message: String(cString: strerror(errno)))
            }
            let code = FileDescriptorWriter.writeAll(descriptor, input)
            close(descriptor)
            guard code == 0 else { throw CSVHistoryFile.WriteError(path: inputFile.path, message: String(cString: strerror(code))) }
        }
        var request = ChildProcess.Request(
            executable: executable, arguments: arguments, environment: environment, logFile: outputFile.path,
            standardInput: input == nil ? "/dev/null" : inputFile.path, errorFile: mergingErrors ? nil : errorFile.path)
        request.withheldVariables = withholding
        let child = try await ChildProcess.spawn(request)
        let timer = DispatchWorkItem { child.signalGroup(SIGKILL) }
        DispatchQueue.global().asyncAfter(deadline: .now() + timeout, execute: timer)
        let exit = await child.wait()
        timer.cancel()
        var output = (try? String(contentsOf: outputFile, encoding: .utf8)) ?? ""
        var error = (try? String(contentsOf: errorFile, encoding: .utf8)) ?? ""
        if exit.termination == .signaled(SIGKILL) {
            let note = "\n(\(URL(fileURLWithPath: executable).lastPathComponent) did not finish within \(Int(timeout)) s and was stopped)"
            if mergingErrors { output += note } else { error += note }
        }
        return CommandOutput(exit: exit, standardOutput: output, standardError: error)
    }

    /// Standard error, else standard output, trimmed: what to quote when the
    /// command failed.
    public var failureText: String {
        let error = standardError.trimmingCharacters(in: .whitespacesAndNewlines)
        return error.isEmpty ? standardOutput.trimmingCharacters(in: .whitespacesAndNewlines) : error
    }
}
