import BatchKit
import BatchKitRunner
import BatchKitNotify
import BatchKitCluster
import BatchKitSchedule
#if canImport(Glibc)
@preconcurrency import Glibc
#elseif canImport(Darwin)
@preconcurrency import Darwin
#endif
import Foundation

/// The child-process side of a run: the job binary started with `__step` or
/// `__checks` by the runner. Its standard output and error are the log file.
enum StepChild {
    /// Runs one Swift step's body and writes how it ended to
    /// `BATCHKIT_RESULT_FILE`.
    static func run(_ job: Job, layout: RunLayout, arguments: [String]) async -> Int32 {
        let environment = ProcessInfo.processInfo.environment
        guard let parsed = try? Arguments(arguments, flags: [], options: ["--run-id", "--attempt"], command: "__step"),
              let id = parsed.positionals.first.flatMap({ StepID($0) }),
              let step = job.step(id: id), case .swift(let body) = step.action,
              let resultPath = environment[ChildContract.resultFile]
        else {
            Console.error("error: __step is internal to the runner; use ./run.sh\n")
            return ExitCode.usage.rawValue
        }
        guard ParentDeath.followRunner() else { return 128 + SIGKILL }
        // The hard half of a memory cap, before the step's code runs (the runner watches the rest).
        if let cap = step.policy.memory { MemoryLimit.apply(MemoryLimit.dataLimit(forCap: cap)) }
        let runID = parsed.value("--run-id") ?? "adhoc"
        let attempt = parsed.value("--attempt").flatMap { Int($0) } ?? 1
        var shared: [String: String] = [:]
        if let path = environment[ChildContract.contextFile], let data = FileManager.default.contents(atPath: path) {
            shared = (try? JSONDecoder().decode([String: String].self, from: data)) ?? [:]
        }
        let context = StepContext(
            job: job.name, runID: runID, stepID: step.id, stepName: step.name, attempt: attempt,
            projectDirectory: layout.projectDirectory, runDirectory: layout.runDirectory(runID),
            values: SharedContext(shared), progress: StepProgress.fromEnvironment(),
            parameters: Parameters.fromEnvironment(),
            runDate: environment[ChildContract.runDate].flatMap { RunDate($0) } ?? .today(in: RunDate.jobTimeZone))
        let resultFile = URL(fileURLWithPath: resultPath)
        // The log is a file, so stdout would be fully buffered: print() output
        // would come after the logger's lines, or be lost in a crash.
        setvbuf(stdout, nil, _IOLBF, 0)
        context.log.info("step \(step.displayID) \"\(VisibleText.line(step.name))\" attempt \(attempt) of run \(runID) started")
        do {
            try await body(context)
            try StepResultFile(ok: true, context: context.values.changes, peakKilobytes: PeakMemory.highWater(of: getpid()))
                .write(to: resultFile)
            context.log.info("step \(step.displayID) \"\(VisibleText.line(step.name))\" passed")
            return ExitCode.success.rawValue
        } catch {
            let message = ErrorDescription.of(error)
            context.log.error("step \(step.displayID) \"\(VisibleText.line(step.name))\" failed: \(message)")
            try? StepResultFile(ok: false, error: message, peakKilobytes: PeakMemory.highWater(of: getpid())).write(to: resultFile)
            return ExitCode.failure.rawValue
        }
    }

    /// Runs the post-job tests and writes their results to `BATCHKIT_RESULT_FILE`.
    static func runChecks(_ job: Job, layout: RunLayout) async -> Int32 {
        guard let resultPath = ProcessInfo.processInfo.environment[ChildContract.resultFile] else {
            Console.error("error: __checks is internal to the runner; use ./run.sh --tests-only\n")
            return ExitCode.usage.rawValue
        }
        do {
            try await PostJobTests.runInChild(
                job: job, projectDirectory: layout.projectDirectory, resultFile: URL(fileURLWithPath: resultPath))
            return ExitCode.success.rawValue
        } catch {
            Console.reportError("cannot record the post-job test results: \(ErrorDescription.of(error))")
            return ExitCode.failure.rawValue
        }
    }
}
