import BatchKit
import BatchKitRunner
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation

/// The files through which an attempt that runs away from the runner (on a
/// Slurm node, or as an Airflow task) reports over the shared filesystem:
///
/// ```
/// logs/runs/<run_id>/.state/<id>.attempt-N.started        where and when it started
/// logs/runs/<run_id>/.state/<id>.attempt-N.outcome.json   how it ended (an AttemptOutcome)
/// ```
///
/// Both are written whole (temporary file, then rename), so a reader never
/// sees half of one.
package struct RemoteAttemptFiles {
    let started: URL
    let outcome: URL

    package init(layout: RunLayout, runID: String, stepID: StepID, attempt: Int) {
        started = layout.remoteStarted(runID: runID, stepID: stepID, attempt: attempt)
        outcome = layout.remoteOutcome(runID: runID, stepID: stepID, attempt: attempt)
    }

    var hasStarted: Bool { FileManager.default.fileExists(atPath: started.path) }

    func markStarted(_ note: String) throws {
        try FileManager.default.createDirectory(at: started.deletingLastPathComponent(), withIntermediateDirectories: true)
        try Data((note + "\n").utf8).write(to: started, options: .atomic)
    }

    func readOutcome() -> AttemptOutcome? {
        guard let data = FileManager.default.contents(atPath: outcome.path) else { return nil }
        return try? JSONCoding.decoder().decode(AttemptOutcome.self, from: data)
    }

    package func write(_ result: AttemptOutcome) throws {
        try FileManager.default.createDirectory(at: outcome.deletingLastPathComponent(), withIntermediateDirectories: true)
        try JSONCoding.encoder().encode(result).write(to: outcome, options: .atomic)
    }
}

/// One attempt of one step, run on the machine it was sent to, through the
/// same ``LocalExecutor`` (and so the same `<job> __step` entry point,
/// timeout and process-group handling) as a local run.
///
/// The runner is not there to hand over the shared context, so the attempt
/// builds it from what the run started with plus what each ancestor step
/// set when it passed (read from the ancestors' outcome files, in
/// topological order).
package struct RemoteAttempt {
    var job: String
    var runID: String
    var step: Step
    var attempt: Int
    var layout: RunLayout
    var parameters: [String: String]
    /// The context the run started with.
    var baseContext: [String: String]
    /// The step's ancestors, in topological order.
    var ancestors: [StepID]
    /// Where this runs, for the log: `Slurm job 17`, `Airflow task`.
    var origin: String
    /// Variables the step must not inherit (``RunOptions/withheldVariables``).
    package var withheldVariables: Set<String> = []
    /// The run date the step gets.
    package var runDate: RunDate?

    package init(
        job: String, runID: String, step: Step, attempt: Int, layout: RunLayout, parameters: [String: String],
        baseContext: [String: String], ancestors: [StepID], origin: String
    ) {
        self.job = job
        self.runID = runID
        self.step = step
        self.attempt = attempt
        self.layout = layout
        self.parameters = parameters
        self.baseContext = baseContext
        self.ancestors = ancestors
        self.origin = origin
    }

    var files: RemoteAttemptFiles {
        RemoteAttemptFiles(layout: layout, runID: runID, stepID: step.id, attempt: attempt)
    }

    /// Runs the attempt, and writes its outcome file.
    package func run(with executor: LocalExecutor) async -> AttemptOutcome {
        let host = ExecutionRecord.hostName
        let logFile = layout.stepLog(runID: runID, step: step, attempt: attempt)
        let resultFile = layout.resultFile(runID: runID, stepID: step.id, attempt: attempt)
        do {
            try files.markStarted("\(host) \(origin) \(Timestamp.iso8601(Date()))")
            try FileManager.default.createDirectory(at: logFile.deletingLastPathComponent(), withIntermediateDirectories: true)
            Self.appendLine("[batchkit] step \(step.displayID) \"\(VisibleText.line(step.name))\" attempt \(attempt) of run \(runID) on \(host) (\(origin))", to: logFile)
        } catch {
            let now = Date()
            let failed = AttemptOutcome(status: .fail, startedAt: now, endedAt: now, reason: .spawn, message: "cannot write to the run's folder on \(host): \(ErrorDescription.of(error))")
            try? files.write(failed)
            return failed
        }
        let context = Self.context(base: baseContext, ancestors: ancestors, layout: layout, runID: runID)
        var request = StepAttempt(
            job: job, runID: runID, step: step, attempt: attempt, logFile: logFile, resultFile: resultFile,
            context: context, layout: layout, parameters: parameters)
        request.withheldVariables = withheldVariables
        request.runDate = runDate
        var outcome = await executor.execute(request)
        outcome.host = host
        let environment = ProcessInfo.processInfo.environment
        if environment["SLURM_JOB_ID"] != nil { outcome.clusterRestarts = environment["SLURM_RESTART_COUNT"].flatMap { Int($0) } ?? 0 }
        if Task.isCancelled, outcome.status == .fail, outcome.reason != .interrupted {
            // The signal that cancelled us may have reached the step first.
            outcome.reason = .interrupted
            outcome.message = "interrupted: \(origin) was stopped while the attempt ran; \(outcome.message)"
        }
        do {
            try files.write(outcome)
        } catch {
            Self.appendLine("[batchkit] cannot write the outcome file \(files.outcome.path): \(ErrorDescription.of(error))", to: logFile)
        }
        return outcome
    }

    /// The context an attempt sees: `base`, then each ancestor's changes
    /// from its passing attempt, in order.
    static func context(base: [String: String], ancestors: [StepID], layout: RunLayout, runID: String) -> [String: String] {
        var context = base
        let state = layout.stateDirectory(runID)
        let names = (try? FileManager.default.contentsOfDirectory(atPath: state.path)) ?? []
        for id in ancestors {
            let prefix = "\(id).attempt-"
            let attempts = names.compactMap { name -> Int? in
                guard name.hasPrefix(prefix), name.hasSuffix(".outcome.json") else { return nil }
                return Int(name.dropFirst(prefix.count).dropLast(".outcome.json".count))
            }
            for number in attempts.sorted(by: >) {
                let files = RemoteAttemptFiles(layout: layout, runID: runID, stepID: id, attempt: number)
                if let outcome = files.readOutcome(), outcome.status == .pass {
                    for (key, value) in outcome.contextChanges { context[key] = value }
                    break
                }
            }
        }
        return context
    }

    static func appendLine(_ line: String, to file: URL) {
        _ = FileDescriptorWriter.append(line + "\n", to: file.path)
    }
}
