import BatchKit
import Foundation

/// Where a job keeps its history and logs:
///
/// ```
/// logs/execution_logs.csv          every step attempt of every run
/// logs/test_results.csv            every post-job test of every run
/// logs/runs/<run_id>/01_extract.log          a step's output (attempt 1)
/// logs/runs/<run_id>/01_extract.attempt-2.log  a retry's output
/// logs/runs/<run_id>/post_job_tests.log
/// logs/runs/<run_id>/report.txt         (and report.json, junit.xml, report.html)
/// logs/runs/<run_id>/.state/        files the runner and step children exchange
/// logs/cache/<job>/steps.jsonl      what each step's last pass depended on and wrote
/// logs/cache/<job>/files.index       content hashes of the files steps read and write
/// docs/dag.dot, docs/dag.svg        the DAG, rendered into README.md
/// ```
public struct RunLayout: Sendable {
    /// The job's root folder: `logs/` and `docs/` are here.
    public let projectDirectory: URL
    /// Where steps run (their working directory); the project folder unless
    /// a task list's folder differs from `--workdir`.
    public let workingDirectory: URL

    public init(projectDirectory: URL, workingDirectory: URL? = nil) {
        self.projectDirectory = projectDirectory.standardizedFileURL
        self.workingDirectory = (workingDirectory ?? projectDirectory).standardizedFileURL
    }

    public var logsDirectory: URL { projectDirectory.appendingPathComponent("logs", isDirectory: true) }
    public var executionLog: URL { logsDirectory.appendingPathComponent("execution_logs.csv", isDirectory: false) }
    public var testResults: URL { logsDirectory.appendingPathComponent("test_results.csv", isDirectory: false) }
    public var runsDirectory: URL { logsDirectory.appendingPathComponent("runs", isDirectory: true) }
    /// One line per notification sent (or not), with its outcome.
    public var notificationsLog: URL { logsDirectory.appendingPathComponent("notifications.log", isDirectory: false) }

    /// The folder of one run's logs.
    public func runDirectory(_ runID: String) -> URL {
        runsDirectory.appendingPathComponent(runID, isDirectory: true)
    }

    /// The log file of one attempt of one step. The first attempt's log has
    /// the plain name; retries get their own file, so no attempt's log is lost.
    /// The name carries the step's slug, at most ``StepFileName/longestSlug``
    /// bytes, so it fits in a file name however long the step's name is.
    public func stepLog(runID: String, step: Step, attempt: Int) -> URL {
        let base = "\(step.displayID)_\(step.slug)"
        let name = attempt <= 1 ? "\(base).log" : "\(base).attempt-\(attempt).log"
        return runDirectory(runID).appendingPathComponent(name, isDirectory: false)
    }

    /// Private per-attempt files the runner and the step child exchange.
    public func stateDirectory(_ runID: String) -> URL {
        runDirectory(runID).appendingPathComponent(".state", isDirectory: true)
    }

    /// Where a running step reports its progress (`BATCHKIT_PROGRESS_FILE`).
    public func progressFile(runID: String, stepID: StepID) -> URL {
        stateDirectory(runID).appendingPathComponent("\(stepID).progress", isDirectory: false)
    }

    /// The post-job tests' log.
    public func testsLog(_ runID: String) -> URL {
        runDirectory(runID).appendingPathComponent("post_job_tests.log", isDirectory: false)
    }

    /// Where the post-job tests' child reports their results.
    public func testsResultFile(_ runID: String) -> URL {
        stateDirectory(runID).appendingPathComponent("post_job_tests.json", isDirectory: false)
    }

    /// The saved report of a run.
    public func report(_ runID: String) -> URL {
        runDirectory(runID).appendingPathComponent("report.txt", isDirectory: false)
    }

    /// The report as JSON.
    public func reportJSON(_ runID: String) -> URL {
        runDirectory(runID).appendingPathComponent("report.json", isDirectory: false)
    }

    /// The report as JUnit XML.
    public func junitReport(_ runID: String) -> URL {
        runDirectory(runID).appendingPathComponent("junit.xml", isDirectory: false)
    }

    /// The whole history as one HTML page (`history --html`).
    public var historyHTML: URL { logsDirectory.appendingPathComponent("history.html", isDirectory: false) }

    /// The report as one self-contained HTML page.
    public func reportHTML(_ runID: String) -> URL {
        runDirectory(runID).appendingPathComponent("report.html", isDirectory: false)
    }

    /// The snapshot of a run's state.
    public func stateFile(_ runID: String) -> URL {
        runDirectory(runID).appendingPathComponent("state.json", isDirectory: false)
    }

    /// The journal of changes to a run's state since its snapshot.
    public func stateJournal(_ runID: String) -> URL {
        runDirectory(runID).appendingPathComponent("state.journal", isDirectory: false)
    }

    /// Where the step child of one attempt reports how its body ended.
    public func resultFile(runID: String, stepID: StepID, attempt: Int) -> URL {
        stateDirectory(runID).appendingPathComponent("\(stepID).attempt-\(attempt).json", isDirectory: false)
    }

    /// Where Swift's backtracer writes its JSON report when one attempt's
    /// child crashes (``CrashReport``).
    public func crashFile(runID: String, stepID: StepID, attempt: Int) -> URL {
        stateDirectory(runID).appendingPathComponent("\(stepID).attempt-\(attempt).crash.json", isDirectory: false)
    }

    /// Where Swift's backtracer writes its JSON report when the post-job
    /// tests' child crashes.
    public func testsCrashFile(_ runID: String) -> URL {
        stateDirectory(runID).appendingPathComponent("post_job_tests.crash.json", isDirectory: false)
    }

    /// Where the runner leaves the shared context for one attempt's child.
    public func contextFile(runID: String, stepID: StepID, attempt: Int) -> URL {
        stateDirectory(runID).appendingPathComponent("\(stepID).attempt-\(attempt).context.json", isDirectory: false)
    }

    /// Where a run's Python tasks find batchkit's driver and its `pyrunner`
    /// stand-in (``PythonSupport``).
    public func pythonSupportDirectory(_ runID: String) -> URL {
        stateDirectory(runID).appendingPathComponent("python", isDirectory: true)
    }

    /// The job's lock, named after the job: task lists that share a folder
    /// share `logs/` but not their lock.
    public func lockFile(job: String) -> URL {
        logsDirectory.appendingPathComponent(".\(StepFileName.slug(job)).lock", isDirectory: false)
    }

    /// The job's note of its running step process groups: its own, so one
    /// job's clean-up never touches another's steps.
    public func processGroups(job: String) -> URL {
        logsDirectory.appendingPathComponent(".\(StepFileName.slug(job)).process-groups", isDirectory: true)
    }

    /// The job's cache: the entry of each step's last pass and the file hash
    /// index (``StepCache``), `logs/cache/<job>/`.
    public func cacheDirectory(job: String) -> URL {
        logsDirectory.appendingPathComponent("cache", isDirectory: true).appendingPathComponent(StepFileName.slug(job), isDirectory: true)
    }

    /// One line per step pass, as JSON: what it depended on and wrote.
    public func cacheEntries(job: String) -> URL {
        cacheDirectory(job: job).appendingPathComponent("steps.jsonl", isDirectory: false)
    }

    /// The content hash of each file the job's steps read or wrote, by
    /// device, inode, size and times.
    public func fileHashIndex(job: String) -> URL {
        cacheDirectory(job: job).appendingPathComponent("files.index", isDirectory: false)
    }

    /// Where an incomplete record cut from the end of a history file goes.
    public func tornTail(of history: URL, at date: Date = Date()) -> URL {
        history.deletingLastPathComponent().appendingPathComponent("\(history.lastPathComponent).torn-\(Timestamp.compact(date))", isDirectory: false)
    }

    /// The Graphviz source of the job's DAG, kept in `docs/`.
    public var dagSource: URL { projectDirectory.appendingPathComponent("docs/dag.dot", isDirectory: false) }

    /// The job's README, whose DAG section is rewritten after a run.
    public var readme: URL { projectDirectory.appendingPathComponent("README.md", isDirectory: false) }

    /// The job's parameter files: `config/base.json`, `config/<env>.json`.
    public var configDirectory: URL { projectDirectory.appendingPathComponent("config", isDirectory: true) }

    // MARK: Files a cluster run exchanges (Slurm, Airflow)

    /// A run's cluster files: the steps' specs, the session's context, the
    /// submitted jobs.
    public func clusterDirectory(_ runID: String) -> URL {
        stateDirectory(runID).appendingPathComponent("cluster", isDirectory: true)
    }

    /// What a cluster job needs to run one step (`<job> __cluster-step SPEC`).
    public func clusterSpec(runID: String, stepID: StepID) -> URL {
        clusterDirectory(runID).appendingPathComponent("\(stepID).spec.json", isDirectory: false)
    }

    /// The shared context a cluster session started with.
    public func clusterContext(_ runID: String) -> URL {
        clusterDirectory(runID).appendingPathComponent("context.json", isDirectory: false)
    }

    /// The cluster jobs a run submitted, one per line.
    public func clusterJobs(_ runID: String) -> URL {
        clusterDirectory(runID).appendingPathComponent("jobs.txt", isDirectory: false)
    }

    /// Written by a cluster node when it starts an attempt.
    public func remoteStarted(runID: String, stepID: StepID, attempt: Int) -> URL {
        stateDirectory(runID).appendingPathComponent("\(stepID).attempt-\(attempt).started", isDirectory: false)
    }

    /// Written by a cluster node when an attempt ends: how it ended.
    public func remoteOutcome(runID: String, stepID: StepID, attempt: Int) -> URL {
        stateDirectory(runID).appendingPathComponent("\(stepID).attempt-\(attempt).outcome.json", isDirectory: false)
    }

    /// Where Slurm writes the jobs' own output.
    public func slurmOutputDirectory(_ runID: String) -> URL {
        runDirectory(runID).appendingPathComponent("slurm", isDirectory: true)
    }

    /// The output file Slurm writes for one step's job; `job` is its id, or
    /// `%j` for sbatch to fill in.
    public func slurmOutput(runID: String, step: Step, job: String) -> URL {
        slurmOutputDirectory(runID).appendingPathComponent("\(step.displayID)_\(step.slug).\(job).out", isDirectory: false)
    }

    /// `url` relative to the project when it is inside it, for messages and
    /// the history (so a moved project's history still makes sense).
    public func relative(_ url: URL) -> String {
        let root = projectDirectory.path.hasSuffix("/") ? projectDirectory.path : projectDirectory.path + "/"
        // Only a path with `.` or `..` in it needs standardizing (which looks at the disk).
        let raw = url.path
        let path = raw.split(separator: "/").contains { $0 == "." || $0 == ".." } ? url.standardizedFileURL.path : raw
        return path.hasPrefix(root) ? String(path.dropFirst(root.count)) : path
    }

    /// A new run id, sortable by start time: `20261121T134501.123Z-3fa2`.
    public static func newRunID(at date: Date = Date()) -> String {
        let suffix = String(UInt16.random(in: 0...UInt16.max), radix: 16)
        return Timestamp.compact(date) + "-" + String(repeating: "0", count: 4 - suffix.count) + suffix
    }
}
