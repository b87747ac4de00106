import Foundation

/// Everything needed to resume a run: each step's status and attempts, and
/// the shared context. Saved as `logs/runs/<run_id>/state.json` after every
/// change (see ``RunStateStore``).
public struct RunState: Codable, Sendable, Equatable {
    /// Where the run as a whole stands.
    public enum Phase: String, Codable, Sendable {
        /// Running, or the runner died (SIGKILL, power loss) while it was.
        case running
        case passed
        case failed
        case interrupted
    }

    /// Where one step stands in this run.
    public enum StepStatus: String, Codable, Sendable {
        case pending, running, pass, fail, skipped
    }

    /// One step's state.
    public struct StepState: Codable, Sendable, Equatable {
        public var name: String
        public var status: StepStatus
        /// Attempts made in this run, across resumes.
        public var attempts: Int

        public init(name: String, status: StepStatus = .pending, attempts: Int = 0) {
            self.name = name
            self.status = status
            self.attempts = attempts
        }
    }

    public var runID: String
    public var job: String
    public var startedAt: Date
    public var phase: Phase
    /// By step id (as text, for readable JSON).
    public var steps: [String: StepState]
    /// Shared context: key → JSON text of the value.
    public var context: [String: String]
    /// How many times this run was resumed.
    public var resumes: Int
    /// The steps a partial run covered (`--only`, `--from`, …); `nil` for all.
    /// `--resume` without a selection stays within it.
    public var scope: [Int]?
    /// The run's effective parameters; `nil` for none.
    public var parameters: [String: String]?
    /// Where each parameter came from: `config/base.json`, `--param`…
    public var parameterSources: [String: String]?
    /// The `--env` the run started with.
    public var environment: String?

    public init(runID: String, job: String, startedAt: Date, steps: [Step]) {
        self.runID = runID
        self.job = job
        self.startedAt = startedAt
        self.phase = .running
        self.steps = Dictionary(uniqueKeysWithValues: steps.map { (String($0.id), StepState(name: $0.name)) })
        self.context = [:]
        self.resumes = 0
    }

    /// The state of step `id`.
    public subscript(step id: Int) -> StepState? {
        get { steps[String(id)] }
        set { steps[String(id)] = newValue }
    }
}

/// Saves and loads ``RunState`` durably, in time independent of the job's
/// size: each save appends only what changed, as one JSON line, to
/// `state.journal` and `fsync`s it; every so often (and at the end of a run)
/// the whole state is written to `state.json` (temporary file, `fsync`,
/// rename, `fsync` of the folder) and the journal starts over. Loading reads
/// the snapshot and replays the journal; a line torn by a crash is ignored.
public final class RunStateStore: @unchecked Sendable {
    public let layout: RunLayout
    private let lock = NSLock()
    private var saved: [String: RunState] = [:]
    private var journalLines: [String: Int] = [:]
    /// Journal lines after which the snapshot is rewritten.
    private let compactEvery = 256

    public init(layout: RunLayout) {
        self.layout = layout
    }

    /// The snapshot of a run.
    public func url(_ runID: String) -> URL {
        layout.runDirectory(runID).appendingPathComponent("state.json")
    }

    /// The journal of changes since the snapshot.
    public func journalURL(_ runID: String) -> URL {
        layout.runDirectory(runID).appendingPathComponent("state.journal")
    }

    /// What changed, as one journal line.
    private struct Change: Codable {
        var phase: RunState.Phase?
        var resumes: Int?
        var steps: [String: RunState.StepState]?
        var context: [String: String]?
    }

    /// Saves `state`: appends the change since the last save, or writes a
    /// new snapshot.
    ///
    /// - Parameter snapshot: Write the whole state now (end of a run).
    /// - Throws: ``CSVHistoryFile/WriteError`` naming the file.
    public func save(_ state: RunState, snapshot: Bool = false) throws {
        try lock.withLock {
            let runID = state.runID
            guard let previous = saved[runID], !snapshot, journalLines[runID, default: 0] < compactEvery,
                  previous.runID == state.runID, previous.job == state.job, previous.startedAt == state.startedAt,
                  previous.parameters == state.parameters, previous.scope == state.scope,
                  previous.parameterSources == state.parameterSources, previous.environment == state.environment
            else {
                try writeSnapshot(state)
                return
            }
            var change = Change()
            if previous.phase != state.phase { change.phase = state.phase }
            if previous.resumes != state.resumes { change.resumes = state.resumes }
            let steps = state.steps.filter { previous.steps[$0.key] != $0.value }
            if !steps.isEmpty { change.steps = steps }
            let context = state.context.filter { previous.context[$0.key] != $0.value }
            if !context.isEmpty { change.context = context }
            let removedSteps = previous.steps.keys.contains { state.steps[$0] == nil }
            let removedContext = previous.context.keys.contains { state.context[$0] == nil }
            if removedSteps || removedContext {
                try writeSnapshot(state)
                return
            }
            guard change.phase != nil || change.resumes != nil || change.steps != nil || change.context != nil else { return }
            let line = String(decoding: try Self.encoder(pretty: false).encode(change), as: UTF8.self) + "\n"
            let history = CSVHistoryFile(url: journalURL(runID), columns: [])
            try history.appendRaw(line)
            saved[runID] = state
            journalLines[runID, default: 0] += 1
        }
    }

    private func writeSnapshot(_ state: RunState) throws {
        try DurableFile.replace(url(state.runID), with: try Self.encoder(pretty: true).encode(state))
        try? FileManager.default.removeItem(at: journalURL(state.runID))
        saved[state.runID] = state
        journalLines[state.runID] = 0
    }

    /// Loads a run's state, or `nil` when it has none.
    public func load(_ runID: String) -> RunState? {
        guard let data = try? Data(contentsOf: url(runID)) else { return nil }
        let decoder = JSONCoding.decoder()
        guard var state = try? decoder.decode(RunState.self, from: data) else { return nil }
        let journal = (try? String(contentsOf: journalURL(runID), encoding: .utf8)) ?? ""
        for line in journal.split(separator: "\n") {
            guard let change = try? decoder.decode(Change.self, from: Data(line.utf8)) else { continue }
            if let phase = change.phase { state.phase = phase }
            if let resumes = change.resumes { state.resumes = resumes }
            for (key, value) in change.steps ?? [:] { state.steps[key] = value }
            for (key, value) in change.context ?? [:] { state.context[key] = value }
        }
        return state
    }

    /// The most recent run of `job` with a state file (run ids sort by
    /// time). Task lists sharing a folder share `logs/runs/`, hence the job.
    public func latest(job: String? = nil) -> RunState? {
        let runs = (try? FileManager.default.contentsOfDirectory(atPath: layout.runsDirectory.path)) ?? []
        for runID in runs.sorted(by: >) where !runID.hasPrefix(".") {
            if let state = load(runID), job == nil || state.job == job { return state }
        }
        return nil
    }

    private static func encoder(pretty: Bool) -> JSONEncoder {
        JSONCoding.encoder(pretty: pretty)
    }
}
