import BatchKit
import Foundation

/// A PyRunner app profile: a bash script that exports the app's `APP_*`
/// variables (`APP_ROOT_DIR`, `APP_LOG_DIR`, `APP_WORKER_DIR`, …). As in
/// PyRunner, the profile is sourced by `bash` and only the `APP_*`
/// variables exported afterwards are kept (`export APP_X=…`; a plain
/// `APP_X=…` stays in the profile); they go to every task and to
/// `$ENV{…}` in the task list.
public struct AppProfile: Sendable {
    /// The `APP_*` variables the profile exports.
    public let variables: [String: String]

    /// A profile that cannot be used, with what to do about it.
    public struct Problem: Error, CustomStringConvertible, Sendable {
        public let description: String
    }

    /// Sources `file` with bash and keeps the `APP_*` variables.
    ///
    /// - Parameters:
    ///   - file: The profile.
    ///   - environment: Variables the profile starts with (such as `--env`
    ///     ones), added to this process's.
    /// - Throws: ``Problem`` when the file is missing, bash is missing, or
    ///   sourcing it fails.
    public static func load(_ file: URL, environment: [String: String] = [:]) async throws(Problem) -> AppProfile {
        var isFolder: ObjCBool = false
        guard FileManager.default.fileExists(atPath: file.path, isDirectory: &isFolder), !isFolder.boolValue else {
            throw Problem(description: "the profile \(file.path) \(isFolder.boolValue ? "is a folder" : "does not exist"); give the app's profile file (PyRunner's -c), such as config/app_profile")
        }
        guard let bash = ExecutablePath.find("bash") else {
            throw Problem(description: "bash is not on PATH, and a profile is sourced with bash; install bash")
        }
        // The profile's own output goes to standard error, so that only `env -0`'s reaches us.
        let script = ". \"$1\" >&2 || exit $?; env -0"
        let output: CommandOutput
        do {
            output = try await CommandOutput.run(bash, ["-c", script, "bash", file.path], environment: environment, timeout: 60)
        } catch {
            throw Problem(description: "cannot run bash to source the profile \(file.path): \(ErrorDescription.of(error))")
        }
        guard output.exit.termination == .exited(0) else {
            throw Problem(description: "sourcing the profile \(file.path) failed (\(output.exit.summary)): \(output.failureText); fix the profile and run again")
        }
        var variables: [String: String] = [:]
        for entry in output.standardOutput.split(separator: "\0") {
            guard let equals = entry.firstIndex(of: "="), entry.hasPrefix("APP_") else { continue }
            variables[String(entry[..<equals])] = String(entry[entry.index(after: equals)...])
        }
        return AppProfile(variables: variables)
    }
}
