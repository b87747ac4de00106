import Foundation

/// One whole run of a job, from validation to report: check the definition,
/// run the steps through the ``Engine``, run the post-job tests, append
/// everything to the history, publish the DAG and build the ``RunReport``.
public struct JobRunner: Sendable {
    public let job: Job
    public let layout: RunLayout
    public let executor: any StepExecutor
    /// The job binary, which runs Swift steps and the post-job tests.
    public let executable: String
    /// How many steps may run at once.
    public let jobs: Int

    public init(
        job: Job, layout: RunLayout, jobs: Int = ProcessInfo.processInfo.activeProcessorCount,
        executable: String = ExecutablePath.current, executor: (any StepExecutor)? = nil
    ) {
        self.job = job
        self.layout = layout
        self.jobs = jobs
        self.executable = executable
        self.executor = executor ?? LocalExecutor(executable: executable)
    }

    /// Validates the definition: the DAG, and the numbered files against the
    /// step list.
    ///
    /// - Throws: ``DefinitionError`` with every problem found.
    public func validate() throws(DefinitionError) -> JobGraph {
        let problems = StepSourceCheck.problems(job: job, projectDirectory: layout.projectDirectory)
        let graph: JobGraph
        do {
            graph = try JobGraph(job: job)
        } catch {
            throw DefinitionError(error.problems + problems)
        }
        if !problems.isEmpty { throw DefinitionError(problems) }
        return graph
    }

    /// Runs the job.
    ///
    /// - Parameters:
    ///   - testsOnly: Skip the steps; only re-check the current outputs.
    ///   - observer: Told of every step start and end.
    /// - Returns: The report, already saved in the run's log folder.
    /// - Throws: ``DefinitionError`` before anything runs when the job is invalid.
    public func run(testsOnly: Bool = false, observer: @escaping @Sendable (RunEvent) -> Void = { _ in }) async throws -> RunReport {
        let graph = try validate()
        let started = Date()
        let runID = RunLayout.newRunID(at: started)
        let runDirectory = layout.runDirectory(runID)
        try FileManager.default.createDirectory(at: runDirectory, withIntermediateDirectories: true)

        let steps: [StepRun]
        if testsOnly {
            steps = []
        } else {
            let engine = Engine(job: job, graph: graph, layout: layout, executor: executor, jobs: jobs)
            steps = await engine.run(runID: runID, observer: observer)
        }
        var notes: [String] = []

        let failedSteps = steps.filter { $0.status != .pass }
        var tests: [CheckResult] = []
        var testsNotRun: String?
        if failedSteps.isEmpty {
            tests = await PostJobTests(job: job, layout: layout, executable: executable).run(runID: runID)
        } else {
            testsNotRun = "a step did not pass, so the outputs are not this run's"
            let now = Date()
            tests = job.tests.map {
                CheckResult(name: $0.name, status: .skipped, message: "not run: a step did not pass", startedAt: now, endedAt: now)
            }
        }
        do {
            try TestResultsLog(url: layout.testResults).append(tests, runID: runID, job: job.name)
        } catch {
            notes.append(ErrorDescription.of(error))
        }
        if testsNotRun != nil { tests = [] }

        let passed = failedSteps.isEmpty && tests.allSatisfy { $0.status == .pass }
        let status: Status = passed ? .pass : .fail
        let ended = Date()

        if !testsOnly {
            var states: [Int: DagDocument.StepState] = [:]
            for step in steps {
                states[step.stepID] = DagDocument.StepState(
                    status: step.status, durationSeconds: step.attempts > 0 ? step.durationSeconds : nil)
            }
            notes += await DagPublisher(layout: layout).publish(DagDocument(jobName: job.name, graph: graph, states: states))
        }

        var tails: [String: [String]] = [:]
        for step in steps where step.status == .fail {
            if let log = step.records.last?.logFile {
                tails[String(step.stepID)] = LogTail.lines(of: layout.projectDirectory.appendingPathComponent(log), count: 10)
            }
        }
        let report = RunReport(
            job: job.name, runID: runID, status: status, startedAt: started, endedAt: ended, steps: steps,
            tests: tests, testsNotRun: testsNotRun, failureLogTails: tails,
            logDirectory: layout.relative(runDirectory),
            historyFiles: [layout.relative(layout.executionLog), layout.relative(layout.testResults)],
            notes: notes)
        do {
            try Data(report.render().utf8).write(to: layout.report(runID), options: .atomic)
        } catch {
            observer(.warning("cannot save the report: \(ErrorDescription.of(error))"))
        }
        return report
    }
}
