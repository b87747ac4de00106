import Foundation

/// Runs each attempt in its own child process on this machine: a Swift step
/// through the job's own binary (`<job> __step ID …`), a shell step through
/// `/bin/sh -c`.
public struct LocalExecutor: StepExecutor {
    /// The job binary that runs Swift steps.
    public let executable: String

    public init(executable: String = ExecutablePath.current) {
        self.executable = executable
    }

    public func execute(_ attempt: StepAttempt) async -> AttemptOutcome {
        let request: ChildProcess.Request
        var environment = [
            "BATCHKIT_RUN_ID": attempt.runID,
            "BATCHKIT_STEP_ID": String(attempt.step.id),
            "BATCHKIT_ATTEMPT": String(attempt.attempt),
            "BATCHKIT_PROJECT_DIR": attempt.layout.projectDirectory.path,
            "BATCHKIT_RUN_DIR": attempt.layout.runDirectory(attempt.runID).path,
        ]
        switch attempt.step.action {
        case .swift:
            try? FileManager.default.removeItem(at: attempt.resultFile)
            environment["BATCHKIT_RESULT_FILE"] = attempt.resultFile.path
            request = ChildProcess.Request(
                executable: executable,
                arguments: ["__step", String(attempt.step.id), "--run-id", attempt.runID, "--attempt", String(attempt.attempt)],
                environment: environment,
                workingDirectory: attempt.layout.projectDirectory.path,
                logFile: attempt.logFile.path)
        case .shell(let command):
            request = ChildProcess.Request(
                executable: "/bin/sh", arguments: ["-c", command], environment: environment,
                workingDirectory: attempt.layout.projectDirectory.path, logFile: attempt.logFile.path)
        }

        let started = Date()
        let child: ChildProcess
        do {
            child = try ChildProcess.spawn(request)
        } catch {
            return AttemptOutcome(
                status: .fail, startedAt: started, endedAt: Date(), reason: "spawn",
                message: ErrorDescription.of(error))
        }
        let exit = await child.wait()
        var outcome = AttemptOutcome(
            status: .fail, startedAt: started, endedAt: Date(),
            cpuSeconds: exit.cpuSeconds, maxRSSKilobytes: exit.maxRSSKilobytes)

        switch exit.termination {
        case .signaled(let signal):
            outcome.exitStatus = SignalName.name(signal)
            outcome.reason = "signal"
            outcome.message = exit.summary
            // A Swift trap prints its cause and source location before dying.
            if let fatal = LogTail.fatalError(in: attempt.logFile) { outcome.message += ": " + fatal }
        case .exited(let code):
            outcome.exitStatus = String(code)
            if case .swift = attempt.step.action {
                let result = StepResultFile.read(attempt.resultFile)
                if code == 0, result?.ok == true {
                    outcome.status = .pass
                } else if let error = result?.error {
                    outcome.reason = "error"
                    outcome.message = error
                } else if code == 0 {
                    outcome.reason = "exit"
                    outcome.message = "exited with code 0 before the step's body returned (did something call exit()?)"
                } else {
                    outcome.reason = "exit"
                    outcome.message = exit.summary
                }
            } else if code == 0 {
                outcome.status = .pass
            } else {
                outcome.reason = "exit"
                outcome.message = exit.summary
            }
        }
        return outcome
    }
}
