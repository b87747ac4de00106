import BatchKit
import BatchKitRunner
import BatchKitNotify
import BatchKitCluster
import BatchKitSchedule
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation

/// `<job> __cluster-step SPEC`: the entry point a cluster job runs (see
/// ``ClusterStep``). It reads the submitted spec, runs the step's attempts
/// and exits 0 when one passed, 1 when none did (so `afterok` holds), 64 for
/// a bad call.
enum ClusterStepCommand {
    static func run(_ job: Job, arguments: [String]) async -> Int32 {
        guard arguments.count == 1, let path = arguments.first else {
            Console.error("error: __cluster-step takes one spec file; it is internal to the runner (./run.sh --backend slurm)\n")
            return ExitCode.usage.rawValue
        }
        let spec: ClusterStepSpec
        do {
            spec = try JSONCoding.decoder().decode(ClusterStepSpec.self, from: Data(contentsOf: URL(fileURLWithPath: path)))
        } catch {
            Console.reportError("cannot read the step spec \(path): \(ErrorDescription.of(error))")
            return ExitCode.usage.rawValue
        }
        let step: Step
        if let command = spec.shellCommand {
            step = Step(
                id: spec.stepID, name: spec.name, parents: nil, source: spec.source, action: .shell(command),
                policy: spec.policy, mirrorLog: spec.mirrorLog.map { URL(fileURLWithPath: $0) })
        } else if let task = spec.pythonTask {
            step = Step(
                id: spec.stepID, name: spec.name, parents: nil, source: spec.source, action: .python(task),
                policy: spec.policy, mirrorLog: spec.mirrorLog.map { URL(fileURLWithPath: $0) })
        } else if let compiled = job.step(id: spec.stepID), case .swift = compiled.action {
            // The submitted policy, so retries match what the runner expects.
            step = Step(
                id: compiled.id, name: compiled.name, parents: compiled.parents, source: compiled.source,
                action: compiled.action, policy: spec.policy)
        } else {
            let message = "step \(spec.stepID) \"\(spec.name)\" is not a Swift step of this binary (\(ExecutablePath.current)); was the job rebuilt after the run was submitted?"
            Console.reportError(message)
            let now = Date()
            try? RemoteAttemptFiles(layout: spec.layout, runID: spec.runID, stepID: spec.stepID, attempt: spec.firstAttempt)
                .write(AttemptOutcome(status: .fail, startedAt: now, endedAt: now, reason: .spawn, message: message, retryable: false))
            return ExitCode.failure.rawValue
        }
        let context = (try? Data(contentsOf: ClusterStep.contextFile(layout: spec.layout, runID: spec.runID)))
            .flatMap { try? JSONDecoder().decode([String: String].self, from: $0) } ?? [:]
        let origin = ProcessInfo.processInfo.environment["SLURM_JOB_ID"].map { "Slurm job \($0)" } ?? "cluster job"
        // scancel sends SIGTERM: stop the running attempt and record it as interrupted.
        let passed = await stoppable {
            await ClusterStep.runAttempts(spec: spec, step: step, context: context, origin: origin) { Console.out($0) }
        }
        return passed ? ExitCode.success.rawValue : ExitCode.failure.rawValue
    }

    /// Runs `body` (attempts away from the runner) as the program's main
    /// work: processes its steps leave behind come back to this process, and
    /// SIGINT or SIGTERM (scancel, Airflow's timeout) cancels it, so the
    /// running attempt is stopped and recorded as interrupted.
    static func stoppable<Result: Sendable>(_ body: @escaping @Sendable () async -> Result) async -> Result {
        OrphanSweeper.becomeSubreaper()
        let task = Task { await body() }
        let signals = SignalWatcher([SIGINT, SIGTERM]) { number in
            Console.out("[batchkit] received \(SignalName.name(number)): stopping the attempt\n")
            task.cancel()
        }
        let result = await task.value
        withExtendedLifetime(signals) {}
        return result
    }
}
