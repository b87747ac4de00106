import Foundation

/// The scheduler: runs a validated ``JobGraph`` with up to `jobs` steps at a
/// time. A step becomes ready when all its parents have passed; among ready
/// steps the lowest id launches first. When a step fails, every step that
/// depends on it, directly or not, is SKIPPED and independent branches go on.
///
/// Every attempt and every skip is appended to the CSV history the moment it
/// happens, so a crash of the runner loses nothing already done.
public struct Engine: Sendable {
    public let job: Job
    public let graph: JobGraph
    public let layout: RunLayout
    public let executor: any StepExecutor
    /// How many steps may run at once.
    public let jobs: Int

    public init(job: Job, graph: JobGraph, layout: RunLayout, executor: any StepExecutor, jobs: Int) {
        self.job = job
        self.graph = graph
        self.layout = layout
        self.executor = executor
        self.jobs = max(1, jobs)
    }

    /// Runs every step of the graph once.
    ///
    /// - Parameters:
    ///   - runID: The run's id, used in the history and the log folder.
    ///   - observer: Told of each start and end, for progress display.
    /// - Returns: What happened to each step, by id order.
    public func run(runID: String, observer: @escaping @Sendable (RunEvent) -> Void = { _ in }) async -> [StepRun] {
        let history = ExecutionLog(url: layout.executionLog)
        let stateDirectory = layout.stateDirectory(runID)
        do {
            try FileManager.default.createDirectory(at: stateDirectory, withIntermediateDirectories: true)
        } catch {
            observer(.warning("cannot create \(layout.relative(stateDirectory)): \(ErrorDescription.of(error))"))
        }

        var records: [Int: [ExecutionRecord]] = [:]
        var waiting: [Int: Int] = [:]
        for step in graph.steps { waiting[step.id] = graph.parents[step.id]?.count ?? 0 }
        var ready = graph.steps.map(\.id).filter { waiting[$0] == 0 }  // ascending
        var running = 0

        func record(_ entry: ExecutionRecord) {
            records[entry.stepID, default: []].append(entry)
            do {
                try history.append([entry])
            } catch {
                observer(.warning(ErrorDescription.of(error)))
            }
            observer(.finished(entry))
        }

        await withTaskGroup(of: ExecutionRecord.self) { group in
            func launchReady() {
                while running < jobs, !ready.isEmpty {
                    let id = ready.removeFirst()
                    guard let step = graph.step(id) else { continue }
                    running += 1
                    let attempt = StepAttempt(
                        job: job.name, runID: runID, step: step, attempt: 1,
                        logFile: layout.stepLog(runID: runID, step: step, attempt: 1),
                        resultFile: stateDirectory.appendingPathComponent("\(step.id).attempt-1.json"),
                        layout: layout)
                    observer(.started(step: step, attempt: 1))
                    group.addTask { [executor, layout] in
                        let outcome = await executor.execute(attempt)
                        return ExecutionRecord(
                            runID: runID, job: attempt.job, stepID: step.id, stepName: step.name,
                            attempt: attempt.attempt, status: outcome.status,
                            startedAt: outcome.startedAt, endedAt: outcome.endedAt,
                            cpuSeconds: outcome.cpuSeconds, maxRSSKilobytes: outcome.maxRSSKilobytes,
                            exitStatus: outcome.exitStatus, reason: outcome.reason, message: outcome.message,
                            logFile: layout.relative(attempt.logFile))
                    }
                }
            }

            launchReady()
            while let finished = await group.next() {
                running -= 1
                record(finished)
                if finished.status == .pass {
                    for child in graph.children[finished.stepID] ?? [] where records[child] == nil {
                        waiting[child, default: 1] -= 1
                        if waiting[child] == 0 {
                            ready.insert(child, at: ready.firstIndex(partitionedBy: { $0 > child }))
                        }
                    }
                } else {
                    let failedStep = graph.step(finished.stepID)
                    let now = Date()
                    for id in graph.descendants(of: finished.stepID) where records[id] == nil {
                        guard let step = graph.step(id) else { continue }
                        ready.removeAll { $0 == id }
                        record(ExecutionRecord(
                            runID: runID, job: job.name, stepID: id, stepName: step.name, attempt: 0,
                            status: .skipped, startedAt: now, endedAt: now, reason: "upstream failed",
                            message: "step \(failedStep?.displayID ?? String(finished.stepID)) \"\(finished.stepName)\" failed"))
                    }
                }
                launchReady()
            }
        }
        return graph.steps.map { step in
            StepRun(stepID: step.id, name: step.name, records: records[step.id] ?? [])
        }
    }
}
