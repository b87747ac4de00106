import BatchKit
import Foundation

/// The path of the running executable, so a job can start itself for a step.
public enum ExecutablePath {
    /// The absolute path of this process's executable.
    public static var current: String {
        #if os(Linux)
        if let path = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe") {
            return path
        }
        #endif
        if let path = Bundle.main.executablePath { return path }
        let first = CommandLine.arguments.first ?? ""
        return URL(fileURLWithPath: first).standardizedFileURL.path
    }

    /// The first executable called `name` in the folders of `PATH`, if any.
    public static func find(_ name: String, environment: [String: String] = ProcessInfo.processInfo.environment) -> String? {
        let path = environment["PATH"] ?? "/usr/local/bin:/usr/bin:/bin"
        for directory in path.split(separator: ":") {
            let candidate = "\(directory)/\(name)"
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        return nil
    }
}
