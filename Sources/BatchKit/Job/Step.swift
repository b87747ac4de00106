import Foundation

/// One unit of work in a job: what it is called, where it sits in the DAG and
/// what it does.
///
/// A Swift step lives in its own numbered file (`03_transform.swift`) and
/// takes its id from that number, so the files and the run order cannot
/// disagree:
///
/// ```swift
/// extension Step {
///     static let transform = Step("Transform") { context in
///         context.log.info("aggregating orders")
///     }
/// }
/// ```
public struct Step: Sendable {
    /// The body of a Swift step. It runs in its own child process; throwing
    /// fails the attempt with the error's description as the message.
    public typealias Body = @Sendable (StepContext) async throws -> Void

    /// What a step executes.
    public enum Action: Sendable {
        /// Swift code, run through the job's own binary.
        case swift(Body)
        /// A shell command, run by `/bin/sh -c`.
        case shell(String)
        /// A PyRunner Worker class, run in a Python 3 process of its own.
        case python(PythonTask)
    }

    /// The step's id: the number of its file, or the ID column of a task list.
    /// It is 0 for a Swift step declared outside a numbered file, which
    /// validation reports.
    public let id: StepID
    /// A human name, shown in the report, the CSV history and the DAG.
    public let name: String
    /// Explicit parents, or `nil` for the default: the step with the next
    /// lower id (none for the first step).
    public let parents: [StepID]?
    /// Where the step was declared, as `#fileID` (`MyJob/03_transform.swift`),
    /// or the task list's `file:line`.
    public let source: String
    /// What the step executes.
    public let action: Action
    /// Attempts, waits, timeout, slots and memory cap.
    public let policy: StepPolicy
    /// A file that also receives each attempt's output once it ends (a task
    /// list's LOGFILE column); `nil` for none.
    public let mirrorLog: URL?
    /// What the step reads: paths, folders or globs (`*`, `?`, `[…]`),
    /// relative to the job. With ``writes``, it lets a run skip the step
    /// while nothing it depends on changed (status `CACHED`).
    public let reads: [String]
    /// What the step writes: paths, folders or globs, relative to the job.
    /// A step that declares neither reads nor writes always runs.
    public let writes: [String]

    /// Whether the step declares what it reads or writes, so a run may find
    /// it up to date.
    public var declaresFiles: Bool { !reads.isEmpty || !writes.isEmpty }

    /// Declares a Swift step. Its id is the number its file name starts with.
    ///
    /// - Parameters:
    ///   - name: The name shown in the report, the history and the DAG.
    ///   - parents: The ids of the steps that must pass first. The default,
    ///     `nil`, means the previous numbered step.
    ///   - reads: The files it reads (paths, folders or globs, relative to
    ///     the job), such as `["data/staging/orders_valid.csv"]`.
    ///   - writes: The files it writes. A step that declares reads or writes
    ///     is not rerun while its code, parameters, inputs and outputs are
    ///     as they were at its last pass; one that declares neither always runs.
    ///   - attempts: How many times to try before failing (default 1).
    ///   - retryWait: The wait before the second attempt.
    ///   - backoff: Each further wait is the previous times this (2 doubles it).
    ///   - timeout: How long one attempt may run; then its process group gets
    ///     SIGTERM, and SIGKILL 5 s later.
    ///   - cpus: How many of the run's `--jobs` slots the step occupies.
    ///   - memory: A cap on the resident memory of the step's processes
    ///     together, such as `.megabytes(512)` or `.gibibytes(2)`; `nil` (the
    ///     default) for none. An attempt above it is killed and fails with
    ///     reason `memory`, and is retried like any failure.
    ///   - fileID: Filled in by the compiler; it names the numbered file.
    ///   - body: The work. It runs in a child process of its own.
    public init(
        _ name: String,
        after parents: [StepID]? = nil,
        reads: [String] = [],
        writes: [String] = [],
        attempts: Int = 1,
        retryWait: Duration = .zero,
        backoff: Double = 1,
        timeout: Duration? = nil,
        cpus: Int = 1,
        memory: ByteCount? = nil,
        fileID: String = #fileID,
        _ body: @escaping Body
    ) {
        self.id = StepID(StepFileName(fileID: fileID)?.number ?? 0)
        self.name = name
        self.parents = parents
        self.source = fileID
        self.action = .swift(body)
        self.policy = StepPolicy(
            maxAttempts: attempts, retryWait: retryWait.seconds, backoff: backoff, timeout: timeout?.seconds, cpus: cpus,
            memory: memory)
        self.mirrorLog = nil
        self.reads = reads
        self.writes = writes
    }

    /// Declares a step with an explicit id, as a task list does.
    ///
    /// - Parameters:
    ///   - id: The step's id, unique within the job and at least 1.
    ///   - name: The name shown in the report, the history and the DAG.
    ///   - parents: The ids of the steps that must pass first; `[]` for none,
    ///     `nil` for the previous id.
    ///   - source: Where the step was defined, for error messages.
    ///   - action: What the step executes.
    ///   - policy: Attempts, waits, timeout, slots and memory cap.
    ///   - mirrorLog: A file that also receives each attempt's output.
    ///   - reads: The files it reads (paths, folders or globs).
    ///   - writes: The files it writes.
    public init(
        id: StepID, name: String, parents: [StepID]?, source: String, action: Action, policy: StepPolicy = StepPolicy(),
        mirrorLog: URL? = nil, reads: [String] = [], writes: [String] = []
    ) {
        self.id = id
        self.name = name
        self.parents = parents
        self.source = source
        self.action = action
        self.policy = policy
        self.mirrorLog = mirrorLog
        self.reads = reads
        self.writes = writes
    }

    /// The step id as shown to people: two digits at least, like its file.
    public var displayID: String { id.display }

    /// A file-name friendly form of the name: `Validate input` → `validate_input`.
    public var slug: String {
        StepFileName.slug(name)
    }
}
