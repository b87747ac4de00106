#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation

/// Runs a short command (a tool such as `sendmail` or `curl`) to its end
/// and returns its exit and its output, with a time limit.
enum CommandCapture {
    /// Runs `executable` with `input` as its standard input (written to a
    /// private temporary file, removed afterwards, so a secret in it is never
    /// on a command line). After `timeout` seconds its process group is killed
    /// and the output so far comes back with a note.
    static func run(
        _ executable: String, _ arguments: [String], input: String? = nil, environment: [String: String] = [:],
        timeout: Double
    ) async throws -> (exit: ProcessExit, output: String) {
        let base = FileManager.default.temporaryDirectory.appendingPathComponent("batchkit-\(getpid())-\(UInt64.random(in: 0...UInt64.max))")
        let log = base.appendingPathExtension("out")
        let stdin = base.appendingPathExtension("in")
        defer {
            try? FileManager.default.removeItem(at: log)
            try? FileManager.default.removeItem(at: stdin)
        }
        if let input {
            let descriptor = open(stdin.path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
            guard descriptor >= 0 else {
                throw CSVHistoryFile.WriteError(path: stdin.path, message: String(cString: strerror(errno)))
            }
            let code = FileDescriptorWriter.writeAll(descriptor, input)
            close(descriptor)
            guard code == 0 else { throw CSVHistoryFile.WriteError(path: stdin.path, message: String(cString: strerror(code))) }
        }
        let child = try await ChildProcess.spawn(ChildProcess.Request(
            executable: executable, arguments: arguments, environment: environment, logFile: log.path,
            standardInput: input == nil ? "/dev/null" : stdin.path))
        let timer = DispatchWorkItem { child.signalGroup(SIGKILL) }
        DispatchQueue.global().asyncAfter(deadline: .now() + timeout, execute: timer)
        let exit = await child.wait()
        timer.cancel()
        var output = (try? String(contentsOf: log, encoding: .utf8)) ?? ""
        if exit.termination == .signaled(SIGKILL) {
            output += "\n(\(URL(fileURLWithPath: executable).lastPathComponent) did not finish within \(Int(timeout)) s and was stopped)"
        }
        return (exit, output)
    }
}
