import BatchKit
import Foundation

/// Runs a job's post-job tests in a child process of their own (the job's
/// binary with `__checks`), so a check that crashes cannot take the runner
/// and its report down with it.
public struct PostJobTests: Sendable {
    public let job: Job
    public let layout: RunLayout
    /// The job binary.
    public let executable: String
    /// Variables of the runner's environment the checks' process does not
    /// get (``RunOptions/withheldVariables``).
    public let withheldVariables: Set<String>
    /// Where Swift's backtracer is, for a crash to say what and where.
    public let toolchain: SwiftBacktrace.Toolchain?

    public init(
        job: Job, layout: RunLayout, executable: String = ExecutablePath.current, withheldVariables: Set<String> = [],
        toolchain: SwiftBacktrace.Toolchain? = .current
    ) {
        self.job = job
        self.layout = layout
        self.executable = executable
        self.withheldVariables = withheldVariables
        self.toolchain = toolchain
    }

    /// Runs every check and returns one result per check, in order. A child
    /// that dies or reports nothing yields a failed result saying so.
    public func run(runID: String) async -> [CheckResult] {
        guard !job.tests.isEmpty else { return [] }
        let resultFile = layout.testsResultFile(runID)
        let logFile = layout.testsLog(runID)
        let started = Date()
        func failure(_ message: String) -> [CheckResult] {
            [CheckResult(name: "post-job tests", status: .fail, message: message, startedAt: started, endedAt: Date())]
        }
        do {
            try FileManager.default.createDirectory(at: resultFile.deletingLastPathComponent(), withIntermediateDirectories: true)
            try? FileManager.default.removeItem(at: resultFile)
            let crashFile = layout.testsCrashFile(runID)
            try? FileManager.default.removeItem(at: crashFile)
            var environment = [ChildContract.resultFile: resultFile.path, ChildContract.runID: runID,
                               ChildContract.projectDirectory: layout.projectDirectory.path]
            environment.merge(ChildCrash.environment(crashFile: crashFile, toolchain: toolchain)) { $1 }
            var request = ChildProcess.Request(
                executable: executable, arguments: ["__checks", "--run-id", runID],
                environment: environment, workingDirectory: layout.projectDirectory.path, logFile: logFile.path)
            request.withheldVariables = withheldVariables
            let child = try await ChildProcess.spawn(request)
            // A signal to the runner stops the tests too (SIGTERM, then SIGKILL after 5 s).
            let exit = await withTaskCancellationHandler {
                await child.wait()
            } onCancel: {
                child.signalGroup(SIGTERM)
                Task.detached {
                    try? await Task.sleep(for: .seconds(5))
                    child.signalGroup(SIGKILL)
                }
            }
            guard let data = try? Data(contentsOf: resultFile),
                  let results = try? JSONDecoder().decode([CheckResult].self, from: data)
            else {
                let crash = await ChildCrash.record(exit, crashFile: crashFile, logFile: logFile, layout: layout, toolchain: toolchain)
                let ended: String
                if let crash, case .signaled(let signal) = exit.termination {
                    ended = crash.summary(signal: signal)
                } else {
                    ended = exit.summary
                }
                return failure("the post-job tests \(ended) without reporting results; see \(layout.relative(logFile))")
            }
            return results
        } catch {
            return failure("cannot run the post-job tests: \(ErrorDescription.of(error))")
        }
    }

    /// The child's side: runs the checks in this process and writes their
    /// results where the runner expects them.
    public static func runInChild(job: Job, projectDirectory: URL, resultFile: URL) async throws {
        let context = CheckContext(projectDirectory: projectDirectory)
        let logger = StepLogger()
        var results: [CheckResult] = []
        for check in job.tests {
            let result = await check.run(in: context)
            logger.log(result.status == .pass ? .info : .error,
                       "\(result.status.rawValue) \(result.name)\(result.message.isEmpty ? "" : ": \(result.message)")")
            results.append(result)
        }
        let encoder = JSONEncoder()
        try encoder.encode(results).write(to: resultFile, options: .atomic)
    }
}
