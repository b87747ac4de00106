import BatchKit
import BatchKitRunner
import Foundation

/// Runs a job's steps as Slurm batch jobs (`./run.sh --backend slurm`).
///
/// ``prepare(_:)`` submits every planned step at once, in topological order:
/// each is an `sbatch` job that depends on its parents' jobs
/// (`--dependency=afterok:…`, `--kill-on-invalid-dep=yes`), asks for its
/// `cpus` (`--cpus-per-task`) and, with a memory cap, the cap plus room for
/// the node program (`--mem`), gets a time limit that covers all its attempts
/// (timeouts, kill graces and retry waits, plus a minute), and runs
/// `<job binary> __cluster-step SPEC` in the job folder, which must be on a
/// filesystem the nodes share. That program runs the attempts per the
/// step's policy through the same ``LocalExecutor`` as a local run (a Swift
/// step through the job's own binary and its `__step` entry point), writes
/// each attempt's log where a local run would, and an outcome file beside
/// the run's state.
///
/// ``execute(_:)`` then only waits: for the attempt's outcome file, or for
/// Slurm to say the job ended without one (time limit, node failure,
/// `scancel`), which becomes a failed attempt with Slurm's state as the
/// reason. The engine records everything as it does for a local run, so the
/// CSV history, the report, the DAG, the context and `--resume` are the
/// same. Cancelling the run (Ctrl-C) cancels the run's Slurm jobs.
///
/// Secret values never go in a spec file or on a command line: `sbatch`
/// runs with each secret parameter as `BATCHKIT_PARAM_<KEY>` in its
/// environment and without the withheld variables (notification secrets),
/// and Slurm exports that environment to the job.
public final class SlurmExecutor: StepExecutor, @unchecked Sendable {
    public let options: SlurmOptions
    /// The job binary (or `batchkit`, for a task list), on the shared filesystem.
    public let executable: String
    public let wrapsShellSteps: Bool

    public var limitsSlots: Bool { false }
    /// Every planned step is submitted in `prepare`, so only steps found up
    /// to date before the run starts are left out (they submit no job).
    public var submitsAhead: Bool { true }

    private let lock = NSLock()
    private var client: SlurmClient?
    private var layout: RunLayout?
    private var runID = ""
    /// Step id → Slurm job id.
    private var jobs: [StepID: String] = [:]
    /// Slurm job id → its last known state.
    private var states: [String: String] = [:]
    private var cancelledByUs: Set<String> = []
    private var monitor: Task<Void, Never>?

    public init(options: SlurmOptions = SlurmOptions(), executable: String = ExecutablePath.current, wrapsShellSteps: Bool = false) {
        self.options = options
        self.executable = executable
        self.wrapsShellSteps = wrapsShellSteps
    }

    // MARK: Submission

    public func prepare(_ run: PlannedRun) async throws {
        let client = try SlurmClient.locate()
        try await client.ping()
        if run.resumed { await cancelEarlierJobs(of: run, client: client) }

        let directory = ClusterStep.directory(layout: run.layout, runID: run.runID)
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        try FileManager.default.createDirectory(at: Self.outputDirectory(run), withIntermediateDirectories: true)
        try JSONCoding.encoder().encode(run.context).write(to: ClusterStep.contextFile(layout: run.layout, runID: run.runID), options: .atomic)

        let selected = Set(run.plan.selected)
        let parents = run.plan.parents(in: run.graph)
        var submitted: [StepID: String] = [:]
        for id in run.graph.order where selected.contains(id) {
            guard let step = run.graph.step(id) else { continue }
            let spec = spec(for: step, in: run)
            let specFile = ClusterStepSpec.file(layout: run.layout, runID: run.runID, stepID: id)
            let arguments = Self.sbatchArguments(
                step: step, run: run, options: options, executable: executable, specFile: specFile,
                dependencies: (parents[id] ?? []).compactMap { submitted[$0] })
            do {
                try JSONCoding.encoder().encode(spec).write(to: specFile, options: .atomic)
                submitted[id] = try await client.submit(
                    arguments, environment: ClusterStepSpec.variables(for: run.secrets), withholding: run.withheldVariables)
            } catch {
                await client.cancel(Array(submitted.values))
                throw SlurmError(message: "cannot submit step \(step.displayID) \"\(step.name)\" to Slurm: \(ErrorDescription.of(error))\(submitted.isEmpty ? "" : "; the \(submitted.count) job(s) already submitted were cancelled"). Nothing of the run was recorded")
            }
        }
        let ledger = run.layout.clusterJobs(run.runID)
        let lines = submitted.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)\n" }.joined()
        RemoteAttempt.appendLine(String(lines.dropLast()), to: ledger)

        lock.withLock {
            self.client = client
            self.layout = run.layout
            self.runID = run.runID
            self.jobs = submitted
            for job in submitted.values { states[job] = "PENDING" }
        }
        startMonitor(client)
    }

    /// What a node needs to run one step: no secret parameter's value (those
    /// go in `sbatch`'s environment, which Slurm exports to the job).
    func spec(for step: Step, in run: PlannedRun) -> ClusterStepSpec {
        var command: String?
        var python: PythonTask?
        if case .shell(let text) = step.action { command = text }
        if case .python(let task) = step.action { python = task }
        return ClusterStepSpec(
            job: run.job, runID: run.runID, stepID: step.id, name: step.name, source: step.source,
            shellCommand: command, pythonTask: python, mirrorLog: step.mirrorLog?.path, policy: step.policy,
            firstAttempt: (run.attemptsBefore[step.id] ?? 0) + 1,
            ancestors: run.graph.order.filter(Set(run.graph.ancestors(of: step.id)).contains),
            executable: executable, wrapsShellSteps: wrapsShellSteps,
            projectDirectory: run.layout.projectDirectory.path, workingDirectory: run.layout.workingDirectory.path,
            parameters: run.parameters, secretParameters: run.secrets.isEmpty ? nil : run.secrets.keys.sorted(),
            withheldVariables: run.withheldVariables.isEmpty ? nil : run.withheldVariables.sorted(), runDate: run.runDate)
    }

    /// Where Slurm writes each job's own output (the wrapper's lines and
    /// Slurm's messages); the step's output goes to its usual log.
    static func outputDirectory(_ run: PlannedRun) -> URL {
        run.layout.slurmOutputDirectory(run.runID)
    }

    static func outputFile(_ run: PlannedRun, step: Step) -> URL {
        run.layout.slurmOutput(runID: run.runID, step: step, job: "%j")
    }

    /// The `sbatch` arguments for one step (without `--parsable`).
    static func sbatchArguments(
        step: Step, run: PlannedRun, options: SlurmOptions, executable: String, specFile: URL, dependencies: [String]
    ) -> [String] {
        var arguments = [
            "--job-name=\(run.job).\(step.displayID)_\(step.slug)",
            "--chdir=\(run.layout.workingDirectory.path)",
            "--output=\(outputFile(run, step: step).path)",
            "--open-mode=append",
            "--kill-on-invalid-dep=yes",
            "--requeue",
            "--cpus-per-task=\(step.policy.cpus)",
        ]
        if let megabytes = memoryMegabytes(step.policy) { arguments.append("--mem=\(megabytes)") }
        if !dependencies.isEmpty { arguments.append("--dependency=afterok:\(dependencies.joined(separator: ":"))") }
        if let minutes = timeLimitMinutes(step.policy) { arguments.append("--time=\(minutes)") }
        if let partition = options.partition { arguments.append("--partition=\(partition)") }
        if let account = options.account { arguments.append("--account=\(account)") }
        arguments += options.extraArguments
        arguments.append("--wrap=exec \(ShellWord.singleQuoted(executable)) __cluster-step \(ShellWord.singleQuoted(specFile.path))")
        return arguments
    }

    /// A time limit that covers every attempt: each attempt's timeout and
    /// kill grace, the waits between them, and a minute for starting up;
    /// `nil` (the partition's limit) for a step without a timeout.
    static func timeLimitMinutes(_ policy: StepPolicy) -> Int? {
        guard let timeout = policy.timeout else { return nil }
        let attempts = max(1, policy.maxAttempts)
        var seconds = Double(attempts) * (timeout + policy.killGrace) + 60
        for attempt in stride(from: 2, through: attempts, by: 1) { seconds += policy.wait(beforeAttempt: attempt) }
        return max(1, Int((seconds / 60).rounded(.up)))
    }

    /// The node program (`<job> __cluster-step`, a Swift process of a few
    /// tens of MB) that runs beside the step, within the job's memory.
    static let nodeProgramMemory: Int64 = 128

    /// `--mem` for a step with a memory cap: the cap in Slurm's megabytes
    /// (MiB), rounded up, plus ``nodeProgramMemory``. batchkit's own cap,
    /// enforced on the node, fires first and is recorded as `memory`; Slurm's
    /// limit is the safety net (its `OUT_OF_MEMORY` is recorded as `memory`
    /// too). `nil` (the partition's default) for a step without a cap.
    static func memoryMegabytes(_ policy: StepPolicy) -> Int64? {
        guard let cap = policy.memory else { return nil }
        let mebibyte: Int64 = 1 << 20
        return cap.bytes / mebibyte + (cap.bytes % mebibyte > 0 ? 1 : 0) + nodeProgramMemory
    }


    /// The `sbatch` command lines a run would submit, for `--dry-run`.
    public func describeSubmissions(_ run: PlannedRun) -> [String] {
        let selected = Set(run.plan.selected)
        let parents = run.plan.parents(in: run.graph)
        return run.graph.order.filter(selected.contains).compactMap { id in
            guard let step = run.graph.step(id) else { return nil }
            let arguments = Self.sbatchArguments(
                step: step, run: run, options: options, executable: executable,
                specFile: ClusterStepSpec.file(layout: run.layout, runID: run.runID, stepID: id),
                dependencies: (parents[id] ?? []).map { "$JOB_\($0.display)" })
            // `--dependency=afterok:$JOB_01` stays bare, for the shell to fill in.
            return "JOB_\(step.displayID)=$(sbatch --parsable " + arguments.map { argument in
                argument.hasPrefix("--dependency=") ? argument : ShellWord.quotedArgument(argument)
            }.joined(separator: " ") + ")"
        }
    }

    /// A resumed run first cancels what its earlier session left in Slurm,
    /// so no step runs twice at once.
    private func cancelEarlierJobs(of run: PlannedRun, client: SlurmClient) async {
        let ledger = run.layout.clusterJobs(run.runID)
        guard let text = try? String(contentsOf: ledger, encoding: .utf8) else { return }
        let earlier = text.split(whereSeparator: \.isNewline).compactMap { $0.split(separator: " ").last.map(String.init) }
        for _ in 0..<120 {
            guard let states = await client.states(of: earlier) else { return }
            let active = states.filter { !SlurmClient.isFinished($0.value) }.map(\.key)
            if active.isEmpty { return }
            await client.cancel(active)
            await Self.pause(0.5)
        }
    }

    // MARK: Waiting

    private func startMonitor(_ client: SlurmClient) {
        let interval = options.pollInterval
        let task = Task.detached { [weak self] in
            while !Task.isCancelled {
                guard let self else { return }
                let active = self.lock.withLock { self.states.filter { !SlurmClient.isFinished($0.value) }.map(\.key) }
                if !active.isEmpty, let seen = await client.states(of: active) {
                    self.lock.withLock {
                        for job in active { self.states[job] = seen[job] ?? "FORGOTTEN" }
                    }
                }
                try? await Task.sleep(for: .seconds(interval))
            }
        }
        lock.withLock { monitor = task }
    }

    public func execute(_ attempt: StepAttempt) async -> AttemptOutcome {
        let started = Date()
        let (job, client) = lock.withLock { (jobs[attempt.step.id], self.client) }
        guard let job, let client else {
            return AttemptOutcome(status: .fail, startedAt: started, endedAt: Date(), reason: .spawn, message: "step \(attempt.step.displayID) was not submitted to Slurm", retryable: false)
        }
        let files = RemoteAttemptFiles(layout: attempt.layout, runID: attempt.runID, stepID: attempt.step.id, attempt: attempt.attempt)
        var cancelledAt: Date?
        var endedAt: Date?
        while true {
            if var outcome = files.readOutcome() {
                // Slurm signals every process of a cancelled job at once: the
                // step may have died of it before the node saw the cancel.
                let cancelled = cancelledAt != nil || Task.isCancelled || lock.withLock { cancelledByUs.contains(job) }
                if cancelled, outcome.status == .fail, outcome.reason != .interrupted {
                    outcome.message = "interrupted: the run was stopped and Slurm job \(job) cancelled while it ran; \(outcome.message)"
                    outcome.reason = .interrupted
                } else if !cancelled, outcome.status == .fail, outcome.reason != .lost,
                          await Self.wasRequeued(job, since: outcome.clusterRestarts ?? 0, client: client) {
                    // Slurm stopped the job to start it again (a node failure, preemption,
                    // `scontrol requeue`): the attempt is lost, and the restarted job goes on.
                    // Slurm signals every process of the job at once, so the step may have
                    // died of the SIGTERM (reason `signal`) before the node program saw it.
                    outcome.reason = .lost
                    outcome.message = "Slurm requeued job \(job) while the attempt ran (node failure, preemption or scontrol requeue); \(outcome.message)"
                    outcome.retryable = true
                }
                return outcome
            }
            let now = Date()
            if Task.isCancelled, cancelledAt == nil {
                cancelledAt = now
                lock.withLock { _ = cancelledByUs.insert(job) }
                await client.cancel([job])
            }
            if let cancelledAt, now.timeIntervalSince(cancelledAt) > attempt.step.policy.killGrace + 40 {
                return AttemptOutcome(
                    status: .fail, startedAt: started, endedAt: now, reason: .interrupted,
                    message: "interrupted: Slurm job \(job) was cancelled and did not report how the attempt ended", retryable: false)
            }
            let state = lock.withLock { states[job] }
            if let state, SlurmClient.isFinished(state) {
                // The node writes its outcome before the job ends; give a shared filesystem a moment.
                if endedAt == nil { endedAt = now }
                if let endedAt, now.timeIntervalSince(endedAt) > 3 {
                    return await ended(job: job, lastState: state, attempt: attempt, started: started, client: client)
                }
            }
            await Self.pause(0.1)
        }
    }

    /// A failed attempt for a job that ended without reporting one.
    private func ended(job: String, lastState: String, attempt: StepAttempt, started: Date, client: SlurmClient) async -> AttemptOutcome {
        let details = await client.details(of: job)
        let state = details?.state ?? lastState
        let output = attempt.layout.slurmOutput(runID: attempt.runID, step: attempt.step, job: job)
        let lastLine = LogTail.lines(of: output, count: 5).last { !$0.trimmingCharacters(in: .whitespaces).isEmpty }
        var outcome = AttemptOutcome(status: .fail, startedAt: started, endedAt: Date(), retryable: false)
        let parts = (details?.exitCode ?? "").split(separator: ":").compactMap { Int32($0) }
        var killedBy: Int32?
        if parts.count == 2, parts[1] != 0 {
            killedBy = parts[1]
            outcome.exitStatus = SignalName.name(parts[1])
        } else if let code = parts.first {
            outcome.exitStatus = String(code)
        }
        let cancelled = lock.withLock { cancelledByUs.contains(job) }
        switch state {
        case "TIMEOUT": outcome.reason = .timeout
        case "NODE_FAIL", "BOOT_FAIL": outcome.reason = .nodeFailed
        case "OUT_OF_MEMORY": outcome.reason = .memory
        case "PREEMPTED": outcome.reason = .preempted
        case "CANCELLED": outcome.reason = cancelled ? .interrupted : .cancelled
        case "FAILED" where killedBy != nil: outcome.reason = .signal
        default: outcome.reason = .slurm
        }
        var message = "Slurm job \(job) ended \(state)"
        if let details, !details.reason.isEmpty, details.reason != "None" { message += " (\(details.reason))" }
        if state == "TIMEOUT", let limit = details?.timeLimit { message += " at its time limit of \(limit)" }
        if state == "OUT_OF_MEMORY", let cap = attempt.step.policy.memory, let megabytes = Self.memoryMegabytes(attempt.step.policy) {
            message += " above its --mem=\(megabytes) (its memory cap of \(cap) plus \(Self.nodeProgramMemory) MiB for batchkit's node program)"
        }
        if state == "CANCELLED", !cancelled { message += ", cancelled outside this run (scancel?)" }
        if state == "FAILED", let killedBy {
            message += ": batchkit's node program was killed by \(SignalName.name(killedBy)) from outside the run (scancel --signal, the OOM killer, an administrator?)"
        }
        message += " before attempt \(attempt.attempt) reported how it ended; Slurm's output: \(attempt.layout.relative(output))"
        if let lastLine { message += " (last line: \(lastLine.trimmingCharacters(in: .whitespaces)))" }
        outcome.message = message
        return outcome
    }

    /// Whether Slurm stopped `job` in order to run it again, rather than for
    /// good, after the run of it that had been restarted `since` times: the
    /// controller counts the restart before it signals the job's processes.
    static func wasRequeued(_ job: String, since: Int, client: SlurmClient) async -> Bool {
        for _ in 0..<40 {
            // A controller busy with the requeue may not answer at once.
            guard let details = await client.details(of: job) else { await pause(0.25); continue }
            if details.restarts > since || details.state.hasPrefix("REQUEUE") { return true }
            // A job ending for good passes through COMPLETING; anything else is settled.
            guard details.state.hasPrefix("COMPLETING") else { return false }
            await pause(0.25)
        }
        return false
    }

    public func abandon(_ stepIDs: [StepID]) {
        let (targets, client) = lock.withLock { () -> ([String], SlurmClient?) in
            let targets = stepIDs.compactMap { jobs[$0] }.filter { !SlurmClient.isFinished(states[$0] ?? "") }
            cancelledByUs.formUnion(targets)
            return (targets, self.client)
        }
        guard let client, !targets.isEmpty else { return }
        Task.detached { await client.cancel(targets) }
    }

    public func finish() async {
        let (client, all, monitor) = lock.withLock { (self.client, Array(jobs.values), self.monitor) }
        monitor?.cancel()
        guard let client else { return }
        // Whatever is still queued or running (children of failed steps,
        // the rest of an interrupted run) is cancelled.
        let seen = await client.states(of: all) ?? [:]
        let active = all.filter { seen[$0].map { !SlurmClient.isFinished($0) } ?? false }
        lock.withLock { cancelledByUs.formUnion(active) }
        await client.cancel(active)
    }

    /// Sleeps even in a cancelled task (``Task/sleep(for:)`` returns at once there).
    static func pause(_ seconds: Double) async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            DispatchQueue.global().asyncAfter(deadline: .now() + seconds) { continuation.resume() }
        }
    }
}
