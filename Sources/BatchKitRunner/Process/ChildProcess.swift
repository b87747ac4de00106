import BatchKit
import CBatchKitSpawn
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation

/// A child process started with `posix_spawn` in its own process group, with
/// a clean signal mask and default signal dispositions, standard input from
/// `/dev/null` (or a given file), and standard output and error appended to a log file.
///
/// Waiting happens on a dedicated thread blocked in `wait4`, so there is no
/// polling and the exit is seen the moment it happens.
public struct ChildProcess: Sendable {
    /// The child's pid, which is also its process group id.
    public let pid: pid_t

    /// What to start.
    public struct Request: Sendable {
        public var executable: String
        public var arguments: [String]
        /// Variables added to (or replacing) the runner's environment.
        public var environment: [String: String]
        /// Variables of the runner's environment the child does not get (a
        /// notification's secret URL); they win over ``environment``.
        public var withheldVariables: Set<String> = []
        public var workingDirectory: String?
        /// The file that receives standard output and standard error; created
        /// if missing, appended to otherwise.
        public var logFile: String
        /// The file the child reads as standard input.
        public var standardInput: String
        /// A file of its own for standard error (created or appended to);
        /// `nil` sends it to ``logFile`` with standard output.
        public var errorFile: String?
        /// The signal the child gets when the runner dies (Linux's
        /// `PR_SET_PDEATHSIG`, set before it execs); `nil` for none.
        public var parentDeathSignal: Int32?
        /// The child's `RLIMIT_DATA` in bytes, set before it execs (Linux).
        public var dataLimit: Int64?
        /// What to start instead when ``executable`` cannot be exec'd (a
        /// program and its arguments): `/bin/sh -c COMMAND` for a command
        /// run without its shell.
        public var fallback: [String]?
        /// The child's `argv[0]` when it is not ``executable`` (the name a
        /// program was found by in `PATH`, as a shell passes it).
        public var programName: String?

        public init(
            executable: String, arguments: [String], environment: [String: String] = [:],
            workingDirectory: String? = nil, logFile: String, standardInput: String = "/dev/null", errorFile: String? = nil
        ) {
            self.standardInput = standardInput
            self.errorFile = errorFile
            self.executable = executable
            self.arguments = arguments
            self.environment = environment
            self.workingDirectory = workingDirectory
            self.logFile = logFile
        }
    }

    /// A child that could not be started.
    public struct SpawnError: Error, CustomStringConvertible {
        public let executable: String
        public let code: Int32
        public var description: String {
            "cannot start \(executable): \(String(cString: strerror(code)))"
        }
    }

    /// Starts a child, from the long-lived ``SpawnThread`` (so a child that
    /// asks to die with its parent dies with the process, not with a worker
    /// thread).
    ///
    /// - Throws: ``SpawnError`` when `posix_spawn` fails (missing executable,
    ///   unreadable log folder, …).
    public static func spawn(_ request: Request) async throws -> ChildProcess {
        let result: Result<ChildProcess, SpawnError> = await SpawnThread.shared.run {
            do throws(SpawnError) {
                return .success(try spawnHere(request))
            } catch {
                return .failure(error)
            }
        }
        return try result.get()
    }

    /// Starts a child from the calling thread.
    static func spawnHere(_ request: Request) throws(SpawnError) -> ChildProcess {
        var environment = ProcessInfo.processInfo.environment
        for (key, value) in request.environment { environment[key] = value }
        for name in request.withheldVariables { environment[name] = nil }
        #if os(Linux)
        return try spawnWithC(request, environment: environment)
        #else
        return try posixSpawn(request, environment: environment)
        #endif
    }

    /// Whether ``spawnHere(_:)`` sets ``Request/parentDeathSignal`` and
    /// ``Request/dataLimit`` itself (Linux); elsewhere neither exists.
    static var setsLimitsBeforeExec: Bool {
        #if os(Linux)
        true
        #else
        false
        #endif
    }

    #if os(Linux)
    /// `vfork`, the child's settings, `exec`: ``CBatchKitSpawn``.
    private static func spawnWithC(_ request: Request, environment: [String: String]) throws(SpawnError) -> ChildProcess {
        let argv = CStringArray([request.programName ?? request.executable] + request.arguments)
        let envp = CStringArray(environment.map { "\($0.key)=\($0.value)" })
        let fallback = request.fallback.map { CStringArray($0) }
        defer { argv.release(); envp.release(); fallback?.release() }
        var pid: pid_t = 0
        let result = request.executable.withCString { path in
            request.standardInput.withCString { input in
                request.logFile.withCString { output in
                    withOptionalCString(request.errorFile) { error in
                        withOptionalCString(request.workingDirectory) { directory in
                            withOptionalCString(request.fallback?.first) { fallbackPath in
                                var spawn = batchkit_spawn_request(
                                    path: path, argv: argv.pointers, envp: envp.pointers,
                                    fallback_path: fallbackPath, fallback_argv: fallback?.pointers,
                                    standard_input: input, output: output, error: error, directory: directory,
                                    parent_death_signal: request.parentDeathSignal ?? 0, expected_parent: getpid(),
                                    data_limit: request.dataLimit ?? -1)
                                return batchkit_spawn(&spawn, &pid)
                            }
                        }
                    }
                }
            }
        }
        guard result == 0 else { throw SpawnError(executable: request.executable, code: result) }
        LiveChildren.shared.insert(pid)
        return ChildProcess(pid: pid)
    }
    #endif

    /// `posix_spawn`, where the C spawn is not available.
    private static func posixSpawn(_ request: Request, environment: [String: String]) throws(SpawnError) -> ChildProcess {
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }

        // Own process group, so the whole tree can be signalled at once; an
        // empty mask and default handlers, whatever the runner has installed.
        var flags = Int32(POSIX_SPAWN_SETPGROUP) | Int32(POSIX_SPAWN_SETSIGMASK) | Int32(POSIX_SPAWN_SETSIGDEF)
        #if canImport(Darwin)
        flags |= Int32(POSIX_SPAWN_CLOEXEC_DEFAULT)
        #endif
        posix_spawnattr_setflags(&attributes, Int16(truncatingIfNeeded: flags))
        posix_spawnattr_setpgroup(&attributes, 0)
        var noSignals = sigset_t()
        sigemptyset(&noSignals)
        posix_spawnattr_setsigmask(&attributes, &noSignals)
        var defaults = sigset_t()
        sigfillset(&defaults)
        sigdelset(&defaults, SIGKILL)
        sigdelset(&defaults, SIGSTOP)
        posix_spawnattr_setsigdefault(&attributes, &defaults)

        #if !canImport(Darwin)
        // Descriptors the runner inherited without close-on-exec must not leak
        // into steps (a step's background process would hold them open).
        if let closeFrom = Self.addCloseFrom { _ = closeFrom(&actions, 3) }
        #endif
        posix_spawn_file_actions_addopen(&actions, 0, request.standardInput, O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, request.logFile, O_WRONLY | O_CREAT | O_APPEND, 0o644)
        if let errorFile = request.errorFile {
            posix_spawn_file_actions_addopen(&actions, 2, errorFile, O_WRONLY | O_CREAT | O_APPEND, 0o644)
        } else {
            posix_spawn_file_actions_adddup2(&actions, 1, 2)
        }
        if let directory = request.workingDirectory {
            #if canImport(Darwin)
            if #available(macOS 10.15, *) { posix_spawn_file_actions_addchdir_np(&actions, directory) }
            #else
            guard let addChdir = Self.addChdir else {
                throw SpawnError(executable: request.executable, code: ENOSYS)
            }
            _ = addChdir(&actions, directory)
            #endif
        }

        let argv = CStringArray([request.programName ?? request.executable] + request.arguments)
        let envp = CStringArray(environment.map { "\($0.key)=\($0.value)" })
        defer { argv.release(); envp.release() }

        var pid: pid_t = 0
        let result = posix_spawn(&pid, request.executable, &actions, &attributes, argv.pointers, envp.pointers)
        guard result == 0 else { throw SpawnError(executable: request.executable, code: result) }
        LiveChildren.shared.insert(pid)
        return ChildProcess(pid: pid)
    }

    /// Waits for the child to end without blocking the caller's thread, then
    /// kills whatever the child left running in its process group.
    public func wait() async -> ProcessExit {
        let pid = self.pid
        let memory = PeakMemory(pid: pid)
        let exit = await waitForExit(pid)
        return ProcessExit(termination: exit.termination, cpuSeconds: exit.cpuSeconds, maxRSSKilobytes: memory.resolve(exit.maxRSSKilobytes ?? 0))
    }

    private func waitForExit(_ pid: pid_t) async -> ProcessExit {
        await withCheckedContinuation { continuation in
            let thread = Thread {
                var status: Int32 = 0
                var usage = rusage()
                while wait4(pid, &status, 0, &usage) < 0 {
                    if errno != EINTR {
                        LiveChildren.shared.remove(pid)
                        continuation.resume(returning: ProcessExit(termination: .exited(255)))
                        return
                    }
                }
                LiveChildren.shared.remove(pid)
                // Nothing a step started may outlive it.
                kill(-pid, SIGKILL)
                continuation.resume(returning: ProcessExit(status: status, usage: usage))
            }
            thread.stackSize = 256 * 1024
            thread.start()
        }
    }

    #if !canImport(Darwin)
    /// glibc has `posix_spawn_file_actions_addchdir_np` since 2.29, but its
    /// header hides it from Swift's Glibc module; look it up at run time.
    private typealias AddChdir = @convention(c) (
        UnsafeMutablePointer<posix_spawn_file_actions_t>, UnsafePointer<CChar>
    ) -> Int32
    private typealias AddCloseFrom = @convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, Int32) -> Int32
    /// `posix_spawn_file_actions_addclosefrom_np`, glibc 2.34 and later.
    private static let addCloseFrom: AddCloseFrom? = {
        guard let symbol = dlsym(nil, "posix_spawn_file_actions_addclosefrom_np") else { return nil }
        return unsafeBitCast(symbol, to: AddCloseFrom.self)
    }()
    private static let addChdir: AddChdir? = {
        guard let symbol = dlsym(nil, "posix_spawn_file_actions_addchdir_np") else { return nil }
        return unsafeBitCast(symbol, to: AddChdir.self)
    }()
    #endif

    /// Sends `signal` to the child's whole process group.
    public func signalGroup(_ signal: Int32) {
        kill(-pid, signal)
    }
}

/// `body` with `string` as a C string, or with `NULL`.
private func withOptionalCString<Result>(_ string: String?, _ body: (UnsafePointer<CChar>?) -> Result) -> Result {
    guard let string else { return body(nil) }
    return string.withCString { body($0) }
}

/// A NULL-terminated `char *[]` for `posix_spawn`, owned until `free()`.
private struct CStringArray {
    let pointers: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>

    init(_ strings: [String]) {
        pointers = .allocate(capacity: strings.count + 1)
        for (index, string) in strings.enumerated() { pointers[index] = strdup(string) }
        pointers[strings.count] = nil
    }

    func release() {
        var index = 0
        while let pointer = pointers[index] {
            free(pointer)
            index += 1
        }
        pointers.deallocate()
    }
}
