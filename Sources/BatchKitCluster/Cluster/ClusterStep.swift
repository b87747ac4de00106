import BatchKit
import BatchKitRunner
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation

/// A step as submitted to a cluster: what a node needs to run its attempts,
/// written as JSON beside the run's state when the run is submitted
/// (`.state/cluster/<id>.spec.json`), so the node runs exactly what was
/// submitted even if the task list changes meanwhile.
package struct ClusterStepSpec: Codable, Sendable {
    var job: String
    package var runID: String
    package var stepID: StepID
    package var name: String
    package var source: String
    /// A shell step's command; `nil` for a Swift step, which the job binary
    /// (`executable`) runs.
    package var shellCommand: String?
    /// A Python task's worker; `nil` for other steps.
    package var pythonTask: PythonTask?
    package var mirrorLog: String?
    package var policy: StepPolicy
    /// The attempt number of this session's first attempt.
    package var firstAttempt: Int
    /// The step's ancestors, in topological order, for the context.
    var ancestors: [StepID]
    /// The binary that runs Swift steps (`__step`) and wraps shell steps (`__exec`).
    var executable: String
    var wrapsShellSteps: Bool
    var projectDirectory: String
    var workingDirectory: String
    /// The run's parameters as recorded: secret ones as `***`.
    var parameters: [String: String]
    /// The secret parameters, whose values are never written here: they
    /// reach the node in the Slurm job's environment (``variables(for:)``).
    var secretParameters: [String]?
    /// Variables the step must not inherit (``RunOptions/withheldVariables``).
    var withheldVariables: [String]?
    /// The run date.
    var runDate: RunDate?

    package var layout: RunLayout {
        RunLayout(projectDirectory: URL(fileURLWithPath: projectDirectory), workingDirectory: URL(fileURLWithPath: workingDirectory))
    }

    static func file(layout: RunLayout, runID: String, stepID: StepID) -> URL {
        layout.clusterSpec(runID: runID, stepID: stepID)
    }

    /// The variables that carry `secrets` (parameter → value) to the node:
    /// `BATCHKIT_PARAM_<KEY>`, in the environment of `sbatch`, which Slurm
    /// exports to the job.
    static func variables(for secrets: [String: String]) -> [String: String] {
        Dictionary(uniqueKeysWithValues: secrets.map { (Parameters.variableName($0.key), $0.value) })
    }

    /// The parameters the step gets: the submitted ones, each secret one with
    /// its value from the job's `environment` (see ``variables(for:)``).
    ///
    /// - Throws: ``SlurmError`` naming the secret parameters whose variables
    ///   did not reach the node.
    package func stepParameters(environment: [String: String]) throws(SlurmError) -> [String: String] {
        var values = parameters
        var missing: [String] = []
        for name in secretParameters ?? [] {
            if let value = environment[Parameters.variableName(name)] { values[name] = value } else { missing.append(name) }
        }
        guard missing.isEmpty else {
            let variables = missing.map { "$" + Parameters.variableName($0) }.joined(separator: ", ")
            throw SlurmError(message: "the secret parameter\(missing.count == 1 ? "" : "s") \(missing.joined(separator: ", ")) did not reach the node: \(variables) is not in the Slurm job's environment. sbatch exports the runner's environment unless told otherwise; do not pass --sbatch-arg=--export=NONE (or name \(variables) in --export)")
        }
        return values
    }
}

/// What `<job> __cluster-step SPEC` (``ClusterStepCommand``) does: the program a cluster job runs. It runs the
/// step's attempts one after another per its policy (waits and backoff
/// included), each through ``RemoteAttempt`` — the job binary's `__step`
/// for a Swift step, `/bin/sh -c` for a shell step — and exits 0 when one
/// passes, 1 when none did, so `afterok` dependencies hold.
///
/// If the cluster restarts the job (a node failed and Slurm requeued it),
/// attempts that already ended are not rerun, and one that started without
/// ending is recorded as lost before the next begins.
package enum ClusterStep {
    /// Where a run's cluster files go: `.state/cluster/`.
    static func directory(layout: RunLayout, runID: String) -> URL {
        layout.clusterDirectory(runID)
    }

    /// The context the run's session started with.
    package static func contextFile(layout: RunLayout, runID: String) -> URL {
        layout.clusterContext(runID)
    }

    /// Runs the step's attempts per its policy, as `__cluster-step` does.
    ///
    /// - Parameter say: Where progress lines go (the Slurm job's output).
    /// - Returns: Whether an attempt passed.
    package static func runAttempts(
        spec: ClusterStepSpec, step: Step, context: [String: String], origin: String, say: @Sendable (String) -> Void
    ) async -> Bool {
        let executor = LocalExecutor(executable: spec.executable, wrapsShellSteps: spec.wrapsShellSteps, registersProcessGroups: false)
        let parameters: [String: String]
        do {
            parameters = try spec.stepParameters(environment: ProcessInfo.processInfo.environment)
        } catch {
            let now = Date()
            try? RemoteAttemptFiles(layout: spec.layout, runID: spec.runID, stepID: spec.stepID, attempt: spec.firstAttempt)
                .write(AttemptOutcome(status: .fail, startedAt: now, endedAt: now, reason: .spawn, message: error.message, retryable: false))
            say("[batchkit] \(error.message)\n")
            return false
        }
        let layout = spec.layout
        let last = spec.firstAttempt + max(1, spec.policy.maxAttempts) - 1
        var waitFirst = false
        for number in spec.firstAttempt...last {
            let files = RemoteAttemptFiles(layout: layout, runID: spec.runID, stepID: spec.stepID, attempt: number)
            if var done = files.readOutcome() {
                // Restarted by the cluster: this attempt already ended.
                if done.status == .pass { return true }
                // A fresh job never finds its own attempts ended (a resumed run numbers
                // attempts anew), so an interrupted one is from an earlier run of this
                // job, stopped by the requeue that restarted it.
                if done.reason == .interrupted {
                    // Stopped by the requeue that restarted this job: lost, not interrupted.
                    done.reason = .lost
                    done.retryable = true
                    done.message = "the cluster requeued the step's job while this attempt ran; \(done.message)"
                    try? files.write(done)
                    say("[batchkit] attempt \(number) was stopped by the requeue that restarted this job: recorded as lost\n")
                }
                if !done.retryable || done.reason == .interrupted { return false }
                waitFirst = true
                continue
            }
            if files.hasStarted {
                let note = (try? String(contentsOf: files.started, encoding: .utf8))?.trimmingCharacters(in: .whitespacesAndNewlines) ?? ""
                let now = Date()
                try? files.write(AttemptOutcome(
                    status: .fail, startedAt: now, endedAt: now, reason: .lost,
                    message: "the cluster restarted the step's job (a node failure?) while this attempt ran (\(note))"))
                continue
            }
            if waitFirst {
                let wait = spec.policy.wait(beforeAttempt: number - spec.firstAttempt + 1)
                if wait > 0 { try? await Task.sleep(for: .seconds(wait)) }
            }
            if Task.isCancelled {
                let now = Date()
                try? files.write(AttemptOutcome(status: .fail, startedAt: now, endedAt: now, reason: .interrupted, message: "interrupted before the attempt started"))
                return false
            }
            var attempt = RemoteAttempt(
                job: spec.job, runID: spec.runID, step: step, attempt: number, layout: layout,
                parameters: parameters, baseContext: context, ancestors: spec.ancestors, origin: origin)
            attempt.withheldVariables = Set(spec.withheldVariables ?? [])
            attempt.runDate = spec.runDate
            let outcome = await attempt.run(with: executor)
            say("[batchkit] attempt \(number): \(outcome.status.rawValue)\(outcome.reason == .empty ? "" : " (\(outcome.reason)) \(VisibleText.line(outcome.message))")\n")
            if outcome.status == .pass { return true }
            if outcome.reason == .signal, ["SIGTERM", "SIGINT", "SIGHUP", "SIGKILL"].contains(outcome.exitStatus) {
                // The stop that killed the step (scancel, a requeue) reaches this
                // program too, usually within moments: wait for it rather than
                // start an attempt it would cut short.
                for _ in 0..<20 where !Task.isCancelled { try? await Task.sleep(for: .milliseconds(100)) }
            }
            if outcome.reason == .interrupted || Task.isCancelled { return false }
            waitFirst = true
        }
        return false
    }
}
