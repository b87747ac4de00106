import BatchKit
import BatchKitRunner
import Foundation
import Testing

// Helpers shared by the test targets: temporary folders, tool lookup with
// loud skips (failures in CI), real programs run to completion.

/// A fresh temporary folder, removed when the test ends.
public final class TemporaryDirectory {
    public let url: URL

    public init() throws {
        url = FileManager.default.temporaryDirectory
            .appendingPathComponent("batchkit-tests-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }

    deinit {
        try? FileManager.default.removeItem(at: url)
    }

    public func path(_ relative: String) -> URL { url.appendingPathComponent(relative) }

    public func write(_ relative: String, _ text: String) throws {
        let target = path(relative)
        try FileManager.default.createDirectory(at: target.deletingLastPathComponent(), withIntermediateDirectories: true)
        try Data(text.utf8).write(to: target)
    }

    public func read(_ relative: String) throws -> String {
        try String(contentsOf: path(relative), encoding: .utf8)
    }
}

/// True when running in CI (`BATCHKIT_CI=1` or `CI=true`), where nothing may skip.
public let isCI: Bool = {
    let environment = ProcessInfo.processInfo.environment
    return environment["BATCHKIT_CI"] == "1" || environment["CI"] == "true"
}()

/// The path of `tool` on PATH; when missing, a loud skip message outside CI
/// and a test failure in CI.
public func requireTool(_ tool: String, for purpose: String) -> String? {
    for directory in (ProcessInfo.processInfo.environment["PATH"] ?? "").split(separator: ":") {
        let candidate = "\(directory)/\(tool)"
        if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
    }
    if isCI {
        Issue.record("\(tool) is required in CI for \(purpose) but is not on PATH")
    } else {
        FileHandle.standardError.write(Data("\n*** SKIPPED: \(purpose): `\(tool)` is not installed (install it; CI never skips this) ***\n\n".utf8))
    }
    return nil
}

/// A shell step, for engine tests that need no job binary.
public func shellStep(_ id: StepID, _ name: String, after parents: [StepID]? = nil, _ command: String) -> Step {
    Step(id: id, name: name, parents: parents, source: "test:\(id)", action: .shell(command))
}

/// What a program run by ``runProgram(_:_:in:environment:)`` left.
public struct CommandResult {
    public let status: Int32
    public let stdout: String
    public let stderr: String
}

/// Runs a program to completion, capturing its output.
///
/// It suspends instead of blocking: a test that blocked a thread of Swift's
/// cooperative pool (two threads on a two-core machine) while a job builds
/// for a minute would stall every other test of the process, including the
/// ones that must react within seconds. It uses BatchKit's own spawner
/// (`posix_spawn`, `wait4` on a thread of its own): in the full suite,
/// Foundation's `Process` was seen never reporting the end of a child that
/// had exited, hanging the run (this machine's pid_max is 32768, so pids are
/// reused within a run). A program killed by a signal gives 128 + signal.
public func runProgram(_ executable: String, _ arguments: [String], in directory: URL, environment: [String: String] = [:]) async throws -> CommandResult {
    let out = FileManager.default.temporaryDirectory.appendingPathComponent("bk-out-\(UUID().uuidString)")
    let err = FileManager.default.temporaryDirectory.appendingPathComponent("bk-err-\(UUID().uuidString)")
    defer {
        try? FileManager.default.removeItem(at: out)
        try? FileManager.default.removeItem(at: err)
    }
    let child = try await ChildProcess.spawn(ChildProcess.Request(
        executable: executable, arguments: arguments, environment: environment, workingDirectory: directory.path,
        logFile: out.path, errorFile: err.path))
    let status: Int32 = switch await child.wait().termination {
    case .exited(let code): code
    case .signaled(let signal): 128 + signal
    }
    return CommandResult(
        status: status,
        stdout: (try? String(contentsOf: out, encoding: .utf8)) ?? "",
        stderr: (try? String(contentsOf: err, encoding: .utf8)) ?? "")
}

/// The checkout this test target was built from.
public let checkoutRoot = URL(fileURLWithPath: #filePath)
    .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

/// The `batchkit` binary built beside this test bundle.
public func batchkitBinary() throws -> String {
    let directory = URL(fileURLWithPath: ExecutablePath.current).deletingLastPathComponent()
    let candidate = directory.appendingPathComponent("batchkit").path
    guard FileManager.default.isExecutableFile(atPath: candidate) else {
        throw CheckFailure("no batchkit binary at \(candidate); run the tests with `swift test`, which builds it")
    }
    return candidate
}

/// True while `pid` exists and is not a zombie; waits up to 2 s for it to go
/// (an orphan may wait a moment for init to reap it).
public func isRunning(_ pid: pid_t) -> Bool {
    for _ in 0..<100 {
        let stat = (try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8)) ?? ""
        if stat.isEmpty || stat.contains(") Z ") { return false }
        usleep(20_000)
    }
    return true
}

/// A `batchkit` started in the background, with its output in a file.
/// (Started with BatchKit's own spawner: under load, Foundation's
/// `Process.processIdentifier` was seen naming no live process.)
public struct Background {
    public let child: ChildProcess
    public let output: URL
    public var processIdentifier: pid_t { child.pid }

    /// Waits for the exit and returns its code (128 + signal when killed).
    public func exitCode() async -> Int32 {
        switch await child.wait().termination {
        case .exited(let code): return code
        case .signaled(let signal): return 128 + signal
        }
    }
}

/// Starts the `batchkit` binary in the background in `directory`.
public func startBatchkit(_ arguments: [String], in directory: TemporaryDirectory, environment: [String: String] = [:]) async throws -> (Background, URL) {
    let output = directory.path("out-\(UUID().uuidString).txt")
    let child = try await ChildProcess.spawn(ChildProcess.Request(
        executable: try batchkitBinary(), arguments: arguments, environment: environment,
        workingDirectory: directory.url.path, logFile: output.path))
    return (Background(child: child, output: output), output)
}

/// Waits (suspending) until `path` exists; records an issue after `timeout` seconds.
public func waitFor(_ path: URL, timeout: Double = 20) async throws {
    let deadline = Date().addingTimeInterval(timeout)
    while !FileManager.default.fileExists(atPath: path.path), Date() < deadline {
        try await Task.sleep(for: .milliseconds(20))
    }
    #expect(FileManager.default.fileExists(atPath: path.path), "\(path.lastPathComponent) never appeared")
}

/// Whether a single-node (or any) Slurm cluster answers: `sbatch` on PATH and
/// `scontrol ping` UP. Otherwise a loud skip outside CI, a failure in CI.
public func requireSlurm(for purpose: String) async -> Bool {
    guard let scontrol = requireTool("scontrol", for: purpose), requireTool("sbatch", for: purpose) != nil else { return false }
    let ping = try? await runProgram(scontrol, ["ping"], in: URL(fileURLWithPath: "/"))
    if let ping, ping.status == 0, ping.stdout.contains("is UP") { return true }
    let why = "the Slurm controller does not answer (`scontrol ping`: \((ping?.stdout ?? "").trimmingCharacters(in: .whitespacesAndNewlines))); start it with scripts/slurm/start.sh and export SLURM_CONF"
    if isCI {
        Issue.record("\(purpose) needs Slurm in CI, but \(why)")
    } else {
        FileHandle.standardError.write(Data("\n*** SKIPPED: \(purpose): \(why) (CI never skips this) ***\n\n".utf8))
    }
    return false
}

/// The `airflow` command: `$BATCHKIT_AIRFLOW_VENV/bin/airflow` (see
/// scripts/airflow/install.sh), else on PATH. Otherwise a loud skip outside
/// CI, a failure in CI.
public func requireAirflow(for purpose: String) -> String? {
    let environment = ProcessInfo.processInfo.environment
    let venv = environment["BATCHKIT_AIRFLOW_VENV"] ?? (NSHomeDirectory() + "/.local/share/batchkit/airflow-venv")
    if FileManager.default.isExecutableFile(atPath: venv + "/bin/airflow") { return venv + "/bin/airflow" }
    return requireTool("airflow", for: purpose + " (install it with scripts/airflow/install.sh)")
}

/// The command cron hands to `/bin/sh -c` for a crontab `line`: the text after
/// the five time fields (or the `@macro`), cut at the first unescaped `%` (cron
/// feeds the rest to the command's standard input), with `\%` turned into `%`
/// — the rule of Debian's cron (`do_command.c`), which reads bytes: a `%`
/// that a combining mark follows still ends the command.
public func cronCommand(of line: String) -> String {
    var rest = Substring(line)
    let fields = line.hasPrefix("@") ? 1 : 5
    for _ in 0..<fields {
        rest = rest.drop { $0 == " " || $0 == "\t" }
        rest = rest.drop { $0 != " " && $0 != "\t" }
    }
    rest = rest.drop { $0 == " " || $0 == "\t" }
    var command = String.UnicodeScalarView()
    var escaped = false
    for scalar in rest.unicodeScalars {
        if escaped {
            // The character after a backslash is taken as is; `\%` loses the backslash.
            escaped = false
            if scalar == "%" { command.removeLast() }
            command.append(scalar)
            continue
        }
        if scalar == "%" { break }
        if scalar == "\\" { escaped = true }
        command.append(scalar)
    }
    return String(command)
}

/// The live (not zombie) children of `parent` whose program is `name`, from `/proc`.
public func childProcesses(of parent: pid_t, named name: String) -> [pid_t] {
    ((try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []).compactMap { entry -> pid_t? in
        guard let pid = pid_t(entry), let stat = try? String(contentsOfFile: "/proc/\(entry)/stat", encoding: .utf8),
              let open = stat.firstIndex(of: "("), let close = stat.lastIndex(of: ")")
        else { return nil }
        let fields = stat[stat.index(close, offsetBy: 2)...].split(separator: " ")
        guard stat[stat.index(after: open)..<close] == name, fields.count > 1, fields[0] != "Z", pid_t(fields[1]) == parent
        else { return nil }
        return pid
    }
}

/// The Python that runs a `#PYTHON` task list's workers in a test: the
/// system's `python3` without PyRunner (batchkit's stand-in is used), or a
/// virtual environment with PyRunner from PyPI that `.ci/run` makes
/// (`scripts/pyrunner/install.sh`), found through `BATCHKIT_PYRUNNER4_VENV`
/// and `BATCHKIT_PYRUNNER5_VENV`.
public enum PythonFlavor: String, CaseIterable, Sendable, CustomStringConvertible {
    /// `python3` on PATH, which must not have PyRunner.
    case batchkit = "batchkit's pyrunner"
    /// PyRunner 4.4.1 from PyPI.
    case pyrunner4 = "PyRunner 4.4.1"
    /// The newest PyRunner 5.x from PyPI.
    case pyrunner5 = "PyRunner 5.x"

    public var description: String { rawValue }

    /// The venv's variable and default folder.
    var venv: (variable: String, folder: String, version: String)? {
        switch self {
        case .batchkit: nil
        case .pyrunner4: ("BATCHKIT_PYRUNNER4_VENV", "/tmp/batchkit-ci-pyrunner-4.4.1", "4.4.1")
        case .pyrunner5: ("BATCHKIT_PYRUNNER5_VENV", "/tmp/batchkit-ci-pyrunner-5", "5.")
        }
    }

    /// The interpreter's path, checked to have (or, for ``batchkit``, not
    /// to have) the right PyRunner. Otherwise a loud skip outside CI, a
    /// failure in CI.
    public func interpreter(for purpose: String) async -> String? {
        guard let venv else {
            guard let python = requireTool("python3", for: purpose) else { return nil }
            let probe = try? await runProgram(python, ["-c", "import pyrunner"], in: URL(fileURLWithPath: "/"))
            if probe?.status == 0 {
                Issue.record("\(python) has PyRunner installed, so batchkit's own pyrunner module cannot be tested with it; uninstall it (pip uninstall python-batch-runner)")
                return nil
            }
            return python
        }
        let folder = ProcessInfo.processInfo.environment[venv.variable] ?? venv.folder
        let python = folder + "/bin/python"
        let probe = try? await runProgram(python, ["-c", "import pyrunner.version as v; print(v.__version__)"], in: URL(fileURLWithPath: "/"))
        if let probe, probe.status == 0, probe.stdout.hasPrefix(venv.version) { return python }
        let why = "no PyRunner \(venv.version) in \(folder) (\(venv.variable)); make it with scripts/pyrunner/install.sh \(folder) \(venv.version == "5." ? "5" : venv.version)"
        if isCI {
            Issue.record("\(purpose) needs \(why)")
        } else {
            FileHandle.standardError.write(Data("\n*** SKIPPED: \(purpose) with \(rawValue): \(why) (CI never skips this) ***\n\n".utf8))
        }
        return nil
    }
}

/// Headless Chromium, to check an HTML page as a browser reads it: the DOM
/// it builds and the requests it makes. Found with ``requireChromium(for:)``.
public struct HeadlessChromium: Sendable {
    /// The browser's path.
    public let executable: String

    /// What loading a page left: the DOM as Chromium serialises it after
    /// parsing, and every URL the page requested besides its own file.
    public struct LoadedPage: Sendable {
        public let dom: String
        public let requestedURLs: [String]
    }

    /// Loads `file` once, with a fresh profile and a net log.
    ///
    /// - Parameters:
    ///   - file: The page, a local file.
    ///   - timeout: Seconds before Chromium (its whole process group) is stopped.
    /// - Returns: The DOM and the URLs the page requested.
    /// - Throws: `CheckFailure` when Chromium fails or runs out of time, or
    ///   leaves no readable net log.
    public func load(_ file: URL, timeout: Int = 90) async throws -> LoadedPage {
        let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("bk-chromium-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: scratch) }
        let netLog = scratch.appendingPathComponent("netlog.json")
        // coreutils' `timeout` signals its whole process group, so Chromium's
        // helper processes go too; a fresh profile keeps runs apart.
        let result = try await runProgram("/usr/bin/env", [
            "timeout", "--kill-after=5", "\(timeout)", executable,
            "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
            "--disable-background-networking", "--disable-component-update", "--disable-sync",
            "--user-data-dir=\(scratch.appendingPathComponent("profile").path)",
            "--log-net-log=\(netLog.path)", "--dump-dom", file.absoluteURL.absoluteString,
        ], in: scratch)
        guard result.status == 0 else {
            let why = result.status == 124 ? "did not finish within \(timeout) s" : "exited with \(result.status)"
            throw CheckFailure("chromium \(why) loading \(file.path): \(result.stderr.suffix(2_000))")
        }
        return LoadedPage(dom: result.stdout, requestedURLs: try Self.pageRequests(in: netLog, besides: file))
    }

    /// The DOM of `file` after Chromium parsed it.
    public func dumpDOM(of file: URL) async throws -> String {
        try await load(file).dom
    }

    /// The URLs `file` requested, other than itself: each one is a request
    /// the page should not have made.
    public func requestedURLs(of file: URL) async throws -> [String] {
        try await load(file).requestedURLs
    }

    /// The URLs of the net log's `URL_REQUEST_START_JOB` events that a page
    /// started. Chromium's own traffic (time, updates, accounts — not all of
    /// it can be switched off by flags) has the initiator "not an origin";
    /// a request of a `file://` page has "null" (an opaque origin).
    static func pageRequests(in netLog: URL, besides file: URL) throws -> [String] {
        guard let log = try JSONSerialization.jsonObject(with: Data(contentsOf: netLog)) as? [String: Any],
              let constants = log["constants"] as? [String: Any],
              let types = constants["logEventTypes"] as? [String: Int],
              let startJob = types["URL_REQUEST_START_JOB"],
              let events = log["events"] as? [[String: Any]]
        else { throw CheckFailure("\(netLog.path) is not a Chromium net log") }
        let own = file.absoluteURL.absoluteString
        var urls: [String] = []
        for event in events where event["type"] as? Int == startJob {
            guard let params = event["params"] as? [String: Any], let url = params["url"] as? String else { continue }
            if params["initiator"] as? String == "not an origin" || url == own || urls.contains(url) { continue }
            urls.append(url)
        }
        return urls
    }
}

/// Chromium (`chromium` or `chromium-browser` on PATH); when missing, a loud
/// skip outside CI and a test failure in CI (`.ci/run` installs it).
public func requireChromium(for purpose: String) -> HeadlessChromium? {
    let path = ProcessInfo.processInfo.environment["PATH"] ?? ""
    for tool in ["chromium", "chromium-browser"] {
        for directory in path.split(separator: ":") where FileManager.default.isExecutableFile(atPath: "\(directory)/\(tool)") {
            return HeadlessChromium(executable: "\(directory)/\(tool)")
        }
    }
    return requireTool("chromium", for: purpose).map(HeadlessChromium.init(executable:))
}
