import BatchKit
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation

/// Runs each attempt in its own child process on this machine: a Swift step
/// through the job's own binary (`<job> __step ID …`), a shell step through
/// `/bin/sh -c`. Both ask Linux to SIGKILL them if the runner dies: the job
/// binary itself, a shell step through util-linux's `setpriv --pdeathsig`
/// (or `<binary> __exec` where there is no setpriv).
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
    /// Whether `executable` understands `__exec`, to wrap shell steps.
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

    /// util-linux's `setpriv`, when installed (Linux only).
    private static let setpriv: String? = {
        #if os(Linux)
        for path in ["/usr/bin/setpriv", "/bin/setpriv"] where FileManager.default.isExecutableFile(atPath: path) {
            return path
        }
        #endif
        return nil
    }()

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

    private func makeRequest(_ attempt: StepAttempt) throws -> ChildProcess.Request {
        var request = try spawnRequest(attempt)
        request.withheldVariables = attempt.withheldVariables
        return request
    }

    private func spawnRequest(_ attempt: StepAttempt) throws -> ChildProcess.Request {
        let state = attempt.resultFile.deletingLastPathComponent()
        try FileManager.default.createDirectory(at: state, withIntermediateDirectories: true)
        try? FileManager.default.removeItem(at: attempt.resultFile)
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
            return ChildProcess.Request(
                executable: executable,
                arguments: ["__step", attempt.step.id.description, "--run-id", attempt.runID, "--attempt", String(attempt.attempt)],
                environment: environment, workingDirectory: directory, logFile: attempt.logFile.path)
        case .shell(let command):
            // A capped step's shell sets the hard limit, then runs the command as usual.
            let capped = attempt.step.policy.memory.map { MemoryLimit.shellArguments(command: command, cap: $0) }
            let (program, arguments) = dyingWithRunner(["/bin/sh"] + (capped ?? ["-c", command]))
            return ChildProcess.Request(
                executable: program, arguments: arguments,
                environment: environment, workingDirectory: directory, logFile: attempt.logFile.path)
        case .python(let task):
            try Self.exchangeContext(attempt, into: &environment)
            environment[ChildContract.logFile] = attempt.logFile.path
            let driver = try PythonSupport.install(in: attempt.layout.pythonSupportDirectory(attempt.runID))
            let command = PythonSupport.arguments(driver: driver, task: task)
            // A capped task's shell sets the hard limit, then becomes the interpreter.
            let capped = attempt.step.policy.memory.map { cap in
                ["/bin/sh"] + MemoryLimit.execArguments(command, cap: cap)
            }
            let (program, arguments) = dyingWithRunner(capped ?? command)
            return ChildProcess.Request(
                executable: program, arguments: arguments,
                environment: environment, workingDirectory: directory, logFile: attempt.logFile.path)
        }
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

    /// `command` run so that Linux kills it when the runner dies: through
    /// util-linux's `setpriv` (which sets the parent-death signal, then
    /// execs: ~1 ms), else the job binary's `__exec`, else as it is.
    private func dyingWithRunner(_ command: [String]) -> (String, [String]) {
        if let setpriv = Self.setpriv {
            return (setpriv, ["--pdeathsig", "KILL", "--"] + command)
        } else if wrapsShellSteps {
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
