import BatchKit
import Foundation

/// Everything a step's result depends on, as one run compares it with the
/// step's last pass: its code, the effective parameters, `--env` and the
/// run date, the context values its ancestors gave it, and the content of
/// every file it reads. Equal inputs have equal ``fingerprint``s.
public struct StepInputs: Codable, Sendable, Equatable {
    /// Code → content hash: for a Swift step its numbered file and every
    /// other source file of the job's module (paths relative to the module's
    /// folder); for a shell step `command`; for a Python task `task` (module,
    /// worker, arguments, interpreter) and its module's file.
    public var code: [String: ContentHash]
    /// The vendored runtime's version (Swift steps).
    public var runtime: String?
    /// The effective parameters. A secret one is `***`: its value is written
    /// nowhere, so changing it alone does not rerun a step.
    public var parameters: [String: String]
    /// The `--env` of the run.
    public var environment: String?
    /// The run date (`--date`), which steps see as `context.runDate`.
    public var runDate: String?
    /// Context values from the step's ancestors: key → hash of the JSON text.
    public var context: [String: ContentHash]
    /// Each file read (relative to the job) → its content hash; `nil` for a
    /// declared file that did not exist.
    public var reads: [String: ContentHash?]

    public init(
        code: [String: ContentHash], runtime: String?, parameters: [String: String], environment: String?, runDate: String?,
        context: [String: ContentHash], reads: [String: ContentHash?]
    ) {
        self.code = code
        self.runtime = runtime
        self.parameters = parameters
        self.environment = environment
        self.runDate = runDate
        self.context = context
        self.reads = reads
    }

    /// One hash over all of it, in a fixed order.
    public var fingerprint: ContentHash {
        var parts: [String] = []
        for (path, hash) in code.sorted(by: { $0.key < $1.key }) { parts += ["code", path, hash.description] }
        parts += ["runtime", runtime ?? ""]
        for (key, value) in parameters.sorted(by: { $0.key < $1.key }) { parts += ["param", key, value] }
        parts += ["env", environment ?? "", "date", runDate ?? ""]
        for (key, hash) in context.sorted(by: { $0.key < $1.key }) { parts += ["context", key, hash.description] }
        for (path, hash) in reads.sorted(by: { $0.key < $1.key }) { parts += ["read", path, hash?.description ?? "missing"] }
        return ContentHash.of(parts: parts)
    }
}

/// What a step's last pass depended on and what it left: the record that
/// lets a later run find the step up to date (status `CACHED`). Written by
/// ``RunRecorder`` only after the pass itself is durable.
public struct CacheEntry: Codable, Sendable, Equatable {
    public var step: StepID
    /// The run whose pass this is.
    public var runID: String
    public var passedAt: Date
    /// ``StepInputs/fingerprint`` of ``inputs``.
    public var fingerprint: ContentHash
    public var inputs: StepInputs
    /// Each file written (relative to the job) → its content hash after the pass.
    public var writes: [String: ContentHash]
    /// The context values the pass set, given to the descendants of a run
    /// that finds the step up to date.
    public var contextSet: [String: String]?

    public init(
        step: StepID, runID: String, passedAt: Date, inputs: StepInputs, writes: [String: ContentHash], contextSet: [String: String]?
    ) {
        self.step = step
        self.runID = runID
        self.passedAt = passedAt
        self.fingerprint = inputs.fingerprint
        self.inputs = inputs
        self.writes = writes
        self.contextSet = contextSet
    }
}

/// Why a step runs rather than being `CACHED`: the first reason found.
public enum RunReason: Error, Sendable, Equatable, CustomStringConvertible {
    /// `--no-cache`.
    case cachingOff
    /// `--force`.
    case forced
    /// The step declares neither reads nor writes.
    case undeclared
    /// No pass of it is recorded (with these declarations).
    case neverPassed
    case codeChanged(String)
    case codeAdded(String)
    case codeRemoved(String)
    case runtimeChanged(from: String?, to: String?)
    case parameterChanged(String, from: String?, to: String?)
    case environmentChanged(from: String?, to: String?)
    case runDateChanged(from: String?, to: String?)
    case contextChanged(String)
    case inputChanged(String)
    case inputMissing(String)
    case inputAdded(String)
    case inputUnreadable(String, problem: String)
    case outputMissing(String)
    case outputModified(String)
    case outputUnreadable(String, problem: String)
    /// A parent in the plan will run, so what it writes may change.
    case parentWillRun(StepID)

    /// A short word for the kind of reason, for `--explain --json`.
    public var kind: String {
        switch self {
        case .cachingOff: "no-cache"
        case .forced: "forced"
        case .undeclared: "undeclared"
        case .neverPassed: "never-passed"
        case .codeChanged, .codeAdded, .codeRemoved, .runtimeChanged: "code"
        case .parameterChanged: "parameter"
        case .environmentChanged: "environment"
        case .runDateChanged: "run-date"
        case .contextChanged: "context"
        case .inputChanged, .inputMissing, .inputAdded, .inputUnreadable: "input"
        case .outputMissing, .outputModified, .outputUnreadable: "output"
        case .parentWillRun: "parent"
        }
    }

    public var description: String {
        switch self {
        case .cachingOff: "caching is off for this run (--no-cache)"
        case .forced: "forced (--force)"
        case .undeclared: "no reads or writes declared, so it always runs"
        case .neverPassed: "never passed"
        case .codeChanged("command"): "its command changed"
        case .codeChanged("task"): "its task changed (module, worker, arguments or interpreter)"
        case .codeChanged(let file): "code of \(file) changed"
        case .codeAdded(let file): "code of \(file) is new"
        case .codeRemoved(let file): "code of \(file) was removed"
        case .runtimeChanged(let from, let to): "the batchkit runtime changed from \(from ?? "none") to \(to ?? "none")"
        case .parameterChanged(let name, let from?, let to?): "parameter \(name) changed from \(from) to \(to)"
        case .parameterChanged(let name, nil, let to?): "parameter \(name) is new (\(to))"
        case .parameterChanged(let name, _, _): "parameter \(name) was removed"
        case .environmentChanged(let from, let to): "--env changed from \(from ?? "none") to \(to ?? "none")"
        case .runDateChanged(let from, let to): "run date changed from \(from ?? "none") to \(to ?? "none")"
        case .contextChanged(let key): "context value \(key) from its ancestors changed"
        case .inputChanged(let path): "input \(path) changed"
        case .inputMissing(let path): "input \(path) is missing"
        case .inputAdded(let path): "input \(path) is new"
        case .inputUnreadable(let path, let problem): "input \(path) cannot be read (\(problem))"
        case .outputMissing(let path): "output \(path) is missing"
        case .outputModified(let path): "output \(path) was modified since it was written"
        case .outputUnreadable(let path, let problem): "output \(path) cannot be read (\(problem))"
        case .parentWillRun(let id): "parent \(id.display) will run and its outputs may change"
        }
    }
}

/// Whether a step runs, and why.
public enum CacheVerdict: Sendable, Equatable {
    /// Up to date: the run takes the pass recorded in the entry.
    case upToDate(CacheEntry)
    case run(RunReason)

    /// The entry, when up to date.
    public var entry: CacheEntry? {
        if case .upToDate(let entry) = self { return entry }
        return nil
    }
}
