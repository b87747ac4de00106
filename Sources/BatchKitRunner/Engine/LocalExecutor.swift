import BatchKit
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation

/// Runs each attempt in its own child process on this machine: a Swift step
/// through the job's own binary (`<job> __step ID …`), a shell step through
/// `/bin/sh -c`, or exec'd directly when its command has no shell syntax
/// (``ShellCommand``). Each asks Linux to SIGKILL it if the runner dies: set
/// by ``ChildProcess`` between `vfork` and `exec` (and again by the job
/// binary itself). Elsewhere, shell steps go through `<binary> __exec`.
///
/// An attempt past its timeout, or one running when the run is cancelled
/// (Ctrl-C), gets SIGTERM on its whole process group, then SIGKILL after the
/// step's grace period.
///
/// A step with a memory cap is held to it twice over: a ``MemoryWatchdog``
/// in the runner SIGKILLs the group once its processes' resident memory,
/// added up, is above the cap, and a hard limit (``MemoryLimit``, set in the
/// step's process before its code runs) refuses any allocation far past it.
/// ``MemoryCapBreach`` says when the attempt failed with reason `memory`.
public struct LocalExecutor: StepExecutor {
    /// The job binary that runs Swift steps (and wraps shell steps).
    public let executable: String
    /// Whether `executable` understands `__exec`, to wrap shell steps where
    /// ``ChildProcess`` cannot set the parent-death signal itself (not Linux).
    public let wrapsShellSteps: Bool
    /// Whether each attempt's process group is noted in the job's
    /// ``ProcessGroupLedger``, for the next run to clean up after a dead
    /// runner. Off on a cluster node: process ids mean nothing on the
    /// machine that reads the ledger, and the cluster cleans up its own.
    public let registersProcessGroups: Bool
    /// Where Swift's backtracer is, for a crashed Swift step to say what
    /// failed and where (``SwiftBacktrace``); `nil` for none.
    public let toolchain: SwiftBacktrace.Toolchain?

    public init(
        executable: String = ExecutablePath.current, wrapsShellSteps: Bool = false, registersProcessGroups: Bool = true,
        toolchain: SwiftBacktrace.Toolchain? = .current
    ) {
        self.executable = executable
        self.wrapsShellSteps = wrapsShellSteps
        self.registersProcessGroups = registersProcessGroups
        self.toolchain = toolchain
    }

    public func execute(_ attempt: StepAttempt) async -> AttemptOutcome {
        let started = Date()
        let request: ChildProcess.Request
        do {
            request = try makeRequest(attempt)
        } catch {
            return AttemptOutcome(status: .fail, startedAt: started, endedAt: Date(), reason: .spawn, message: ErrorDescription.of(error))
        }
        let child: ChildProcess
        do {
            child = try await ChildProcess.spawn(request)
        } catch {
            return AttemptOutcome(status: .fail, startedAt: started, endedAt: Date(), reason: .spawn, message: ErrorDescription.of(error))
        }
        let ledger = registersProcessGroups ? attempt.ledger : nil
        ledger?.register(child.pid, runID: attempt.runID)
        defer { ledger?.unregister(child.pid) }

        let stop = StopSignal(child: child, grace: attempt.step.policy.killGrace)
        let watchdog = attempt.step.policy.memory.map { cap in
            MemoryWatchdog(pid: child.pid, cap: cap) { _ in stop.stop(because: .memory) }
        }
        let exit = await withTaskCancellationHandler {
            await withTaskGroup(of: ProcessExit?.self) { group in
                group.addTask { await child.wait() }
                if let timeout = attempt.step.policy.timeout {
                    group.addTask {
                        try? await Task.sleep(for: .seconds(timeout))
                        if !Task.isCancelled { stop.stop(because: .timeout) }
                        return nil
                    }
                }
                var exit = ProcessExit(termination: .exited(255))
                while let next = await group.next() {
                    if let next {
                        exit = next
                        group.cancelAll()
                    }
                }
                return exit
            }
        } onCancel: {
            stop.stop(because: .interrupted)
        }
        let watched = watchdog?.stop()
        stop.markExited()
        OrphanSweeper.sweep(token: Self.token(attempt))
        let crash = await explainCrash(exit, attempt: attempt, stopped: stop.reason)
        if let mirror = attempt.step.mirrorLog { Self.append(attempt.logFile, to: mirror) }
        return outcome(of: exit, attempt: attempt, started: started, stopped: stop.reason, watched: watched, crash: crash)
    }

    /// A Swift step's child that crashed on its own, explained in its log
    /// (what failed, on which line of the job's code, the backtrace).
    private func explainCrash(_ exit: ProcessExit, attempt: StepAttempt, stopped: StopSignal.Reason?) async -> ChildCrash? {
        guard case .swift = attempt.step.action, stopped == nil else { return nil }
        return await ChildCrash.record(
            exit, crashFile: attempt.layout.crashFile(runID: attempt.runID, stepID: attempt.step.id, attempt: attempt.attempt),
            logFile: attempt.logFile, layout: attempt.layout, toolchain: toolchain)
    }

    /// The variable that tells a capped step its cap, in bytes (to size a
    /// JVM's heap, a sort's buffer, …).
    public static let memoryCapVariable = ChildContract.memoryCap

    /// Marks every process of one attempt, wherever it moves.
    static func token(_ attempt: StepAttempt) -> String {
        "\(attempt.runID)/\(attempt.step.id)/\(attempt.attempt)"
    }

    /// Appends an attempt's log to a task list's LOGFILE.
    private static func append(_ log: URL, to mirror: URL) {
        guard let data = FileManager.default.contents(atPath: log.path) else { return }
        try? FileManager.default.createDirectory(at: mirror.deletingLastPathComponent(), withIntermediateDirectories: true)
        if !FileManager.default.fileExists(atPath: mirror.path) {
            _ = FileManager.default.createFile(atPath: mirror.path, contents: nil)
        }
        guard let handle = try? FileHandle(forWritingTo: mirror) else { return }
        defer { try? handle.close() }
        _ = try? handle.seekToEnd()
        try? handle.write(contentsOf: data)
    }

    func makeRequest(_ attempt: StepAttempt) throws -> ChildProcess.Request {
        var request = try spawnRequest(attempt)
        request.withheldVariables = attempt.withheldVariables
        return request
    }

    private func spawnRequest(_ attempt: StepAttempt) throws -> ChildProcess.Request {
        let state = attempt.resultFile.deletingLastPathComponent()
        // `mkdir` first: the folder exists after the run's first attempt.
        if mkdir(state.path, 0o755) != 0, errno != EEXIST {
            try FileManager.default.createDirectory(at: state, withIntermediateDirectories: true)
        }
        unlink(attempt.resultFile.path)
        var environment = [
            ChildContract.runID: attempt.runID,
            ChildContract.stepID: attempt.step.id.description,
            ChildContract.attempt: String(attempt.attempt),
            ChildContract.projectDirectory: attempt.layout.projectDirectory.path,
            ChildContract.runDirectory: attempt.layout.runDirectory(attempt.runID).path,
            ChildContract.runnerPID: String(getpid()),
            StepProgress.variable: attempt.progressFile.path,
            OrphanSweeper.variable: Self.token(attempt),
        ]
        if let cap = attempt.step.policy.memory { environment[Self.memoryCapVariable] = String(cap.bytes) }
        if let runDate = attempt.runDate { environment[ChildContract.runDate] = runDate.description }
        for (key, value) in Parameters(attempt.parameters).environment { environment[key] = value }
        let directory = attempt.layout.workingDirectory.path
        switch attempt.step.action {
        case .swift:
            try Self.exchangeContext(attempt, into: &environment)
            let crashFile = attempt.layout.crashFile(runID: attempt.runID, stepID: attempt.step.id, attempt: attempt.attempt)
            environment.merge(ChildCrash.environment(crashFile: crashFile, toolchain: toolchain)) { $1 }
            var request = ChildProcess.Request(
                executable: executable,
                arguments: ["__step", attempt.step.id.description, "--run-id", attempt.runID, "--attempt", String(attempt.attempt)],
                environment: environment, workingDirectory: directory, logFile: attempt.logFile.path)
            // The step asks again itself (``ParentDeath``), and sets its own memory limit.
            request.parentDeathSignal = SIGKILL
            return request
        case .shell(let command):
            var request = ChildProcess.Request(
                executable: "/bin/sh", arguments: ["-c", command],
                environment: environment, workingDirectory: directory, logFile: attempt.logFile.path)
            guard ChildProcess.setsLimitsBeforeExec else {
                // A capped step's shell sets the hard limit, then runs the command as usual.
                let capped = attempt.step.policy.memory.map { MemoryLimit.shellArguments(command: command, cap: $0) }
                (request.executable, request.arguments) = dyingWithRunner(["/bin/sh"] + (capped ?? ["-c", command]))
                return request
            }
            dieWithRunner(&request, memory: attempt.step.policy.memory)
            // No shell syntax: the shell would only split words and search PATH.
            if let words = ShellCommand.words(command), let program = Self.find(words[0], for: request) {
                request.fallback = ["/bin/sh", "-c", command]
                request.executable = program
                request.programName = words[0]
                request.arguments = Array(words.dropFirst())
                request.environment["PWD"] = ShellCommand.workingDirectoryVariable(inherited: Self.inherited("PWD", for: request), directory: directory)
            }
            return request
        case .python(let task):
            try Self.exchangeContext(attempt, into: &environment)
            environment[ChildContract.logFile] = attempt.logFile.path
            let driver = try PythonSupport.install(in: attempt.layout.pythonSupportDirectory(attempt.runID))
            let command = PythonSupport.arguments(driver: driver, task: task)
            var request = ChildProcess.Request(
                executable: command[0], arguments: Array(command.dropFirst()),
                environment: environment, workingDirectory: directory, logFile: attempt.logFile.path)
            guard ChildProcess.setsLimitsBeforeExec else {
                // A capped task's shell sets the hard limit, then becomes the interpreter.
                let capped = attempt.step.policy.memory.map { cap in
                    ["/bin/sh"] + MemoryLimit.execArguments(command, cap: cap)
                }
                (request.executable, request.arguments) = dyingWithRunner(capped ?? command)
                return request
            }
            dieWithRunner(&request, memory: attempt.step.policy.memory)
            if let program = Self.find(command[0], for: request) {
                request.executable = program
                request.programName = command[0]
            } else {
                // Not found: the shell says so, with its exit code 127.
                (request.executable, request.arguments) = ("/bin/sh", ["-c", "exec \"$@\"", "/bin/sh"] + command)
            }
            return request
        }
    }

    /// Asks for SIGKILL when the runner dies and sets a capped step's hard
    /// memory limit, both in the child before it execs (``ChildProcess``).
    private func dieWithRunner(_ request: inout ChildProcess.Request, memory: ByteCount?) {
        request.parentDeathSignal = SIGKILL
        request.dataLimit = memory.map(MemoryLimit.dataLimit(forCap:))
    }

    /// The program `name` runs in the child's `PATH`, as `sh` finds it.
    private static func find(_ name: String, for request: ChildProcess.Request) -> String? {
        ShellCommand.program(name, path: inherited("PATH", for: request), directory: request.workingDirectory ?? ".")
    }

    /// The child's value of `variable`: the request's, else the runner's.
    private static func inherited(_ variable: String, for request: ChildProcess.Request) -> String? {
        if request.withheldVariables.contains(variable) { return nil }
        return request.environment[variable] ?? getenv(variable).map { String(cString: $0) }
    }

    /// A child that reads the shared context and reports how it ended (a
    /// Swift step, a Python task): the attempt's context file, written here,
    /// and both files' paths in its environment.
    private static func exchangeContext(_ attempt: StepAttempt, into environment: inout [String: String]) throws {
        let contextFile = attempt.layout.contextFile(runID: attempt.runID, stepID: attempt.step.id, attempt: attempt.attempt)
        try JSONEncoder().encode(attempt.context).write(to: contextFile, options: .atomic)
        environment[ChildContract.resultFile] = attempt.resultFile.path
        environment[ChildContract.contextFile] = contextFile.path
    }

    /// `command` run so that it dies with the runner where the C spawn is
    /// not available: the job binary's `__exec`, else as it is.
    private func dyingWithRunner(_ command: [String]) -> (String, [String]) {
        if wrapsShellSteps {
            return (executable, ["__exec"] + command)
        } else {
            return (command[0], Array(command.dropFirst()))
        }
    }

    private func outcome(
        of exit: ProcessExit, attempt: StepAttempt, started: Date, stopped: StopSignal.Reason?, watched: MemoryWatchdog.Usage?,
        crash: ChildCrash?
    ) -> AttemptOutcome {
        var outcome = AttemptOutcome(
            status: .fail, startedAt: started, endedAt: Date(),
            cpuSeconds: exit.cpuSeconds, maxRSSKilobytes: exit.maxRSSKilobytes)
        switch exit.termination {
        case .signaled(let signal):
            outcome.exitStatus = SignalName.name(signal)
            outcome.reason = .signal
            if let crash {
                outcome.message = crash.summary(signal: signal)
            } else {
                outcome.message = exit.summary
                // A Swift trap prints its cause and source location before dying.
                if let fatal = LogTail.fatalError(in: attempt.logFile) { outcome.message += ": " + fatal }
            }
        case .exited(let code):
            outcome.exitStatus = String(code)
            if case .python = attempt.step.action {
                let result = StepResultFile.read(attempt.resultFile)
                outcome.exitStatus = result?.returnCode.map(String.init) ?? outcome.exitStatus
                if code == 0, result?.ok == true {
                    outcome.status = .pass
                    outcome.contextChanges = result?.context ?? [:]
                } else if let error = result?.error {
                    outcome.reason = result?.returnCode == nil ? .exit : .error
                    outcome.message = error
                } else {
                    outcome.reason = .exit
                    outcome.message = code == 0
                        ? "the Python process exited with code 0 before the worker finished (did it call os._exit()?)"
                        : "the Python process \(exit.summary) before the worker finished; see the step's log"
                }
            } else if case .swift = attempt.step.action {
                let result = StepResultFile.read(attempt.resultFile)
                // The step's own report of its peak is exact; sampling may have missed a short one.
                if let peak = result?.peakKilobytes { outcome.maxRSSKilobytes = max(outcome.maxRSSKilobytes ?? 0, peak) }
                if code == 0, result?.ok == true {
                    outcome.status = .pass
                    outcome.contextChanges = result?.context ?? [:]
                } else if let error = result?.error {
                    outcome.reason = .error
                    outcome.message = error
                } else if code == 0 {
                    outcome.reason = .exit
                    outcome.message = "exited with code 0 before the step's body returned (did something call exit()?)"
                } else {
                    outcome.reason = .exit
                    outcome.message = exit.summary
                }
            } else if code == 0 {
                outcome.status = .pass
            } else {
                outcome.reason = .exit
                outcome.message = exit.summary
            }
        }
        let policy = attempt.step.policy
        // When batchkit itself stopped the attempt, a SIGKILL is ours, not the OOM killer's.
        let ended: String
        switch exit.termination {
        case .signaled(let signal): ended = "ended by \(SignalName.name(signal))"
        case .exited(let code): ended = "exited with code \(code)"
        }
        if let cap = policy.memory, stopped == nil || stopped == .memory, let breach = MemoryCapBreach.find(
            cap: cap, watched: watched ?? MemoryWatchdog.Usage(highest: 0), processPeak: outcome.maxRSSKilobytes,
            failedOnItsOwn: outcome.status == .fail, log: attempt.logFile) {
            outcome.status = .fail
            outcome.reason = .memory
            outcome.message = breach.message
            return outcome
        }
        switch stopped {
        case .timeout?:
            outcome.status = .fail
            outcome.reason = .timeout
            outcome.message = "timed out after \(DurationFormat.seconds(policy.timeout ?? 0)) (SIGTERM to its process group, SIGKILL \(DurationFormat.seconds(policy.killGrace)) later); \(ended)"
        case .interrupted? where outcome.status != .pass:
            outcome.reason = .interrupted
            outcome.message = "interrupted: the run was stopped while it ran; \(ended)"
        case .memory?, .interrupted?, nil:
            break
        }
        return outcome
    }
}

/// Stops a child's process group once: SIGTERM now, SIGKILL after the grace
/// period unless the child has exited by then — or, for memory, SIGKILL at
/// once. Remembers the first reason.
final class StopSignal: @unchecked Sendable {
    enum Reason { case timeout, interrupted, memory }

    private let lock = NSLock()
    private let child: ChildProcess
    private let grace: Double
    private var stopReason: Reason?
    private var exited = false

    init(child: ChildProcess, grace: Double) {
        self.child = child
        self.grace = grace
    }

    var reason: Reason? { lock.withLock { stopReason } }

    func stop(because reason: Reason) {
        let (first, running): (Bool, Bool) = lock.withLock {
            guard stopReason == nil, !exited else { return (false, !exited) }
            stopReason = reason
            return (true, true)
        }
        // A step over its memory cap may be allocating as fast as it can: no
        // grace, even when a timeout's grace period has already begun.
        if reason == .memory, running {
            child.signalGroup(SIGKILL)
            return
        }
        guard first else { return }
        child.signalGroup(SIGTERM)
        DispatchQueue.global().asyncAfter(deadline: .now() + grace) { [self] in
            lock.withLock { if !exited { child.signalGroup(SIGKILL) } }
        }
    }

    func markExited() {
        lock.withLock { exited = true }
    }
}
