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

/// Saves and loads ``RunState`` durably: the JSON is written to a temporary
/// file, `fsync`ed, renamed over `state.json`, and the folder is `fsync`ed, so
/// a crash at any moment leaves either the old state or the new one.
public struct RunStateStore: Sendable {
    public let layout: RunLayout

    public init(layout: RunLayout) {
        self.layout = layout
    }

    /// The state file of a run.
    public func url(_ runID: String) -> URL {
        layout.runDirectory(runID).appendingPathComponent("state.json")
    }

    /// Saves `state`.
    ///
    /// - Throws: ``CSVHistoryFile/WriteError`` naming the file when it cannot be written.
    public func save(_ state: RunState) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        encoder.dateEncodingStrategy = .iso8601
        let data = try encoder.encode(state)
        try DurableFile.replace(url(state.runID), with: data)
    }

    /// Loads a run's state, or `nil` when it has none.
    public func load(_ runID: String) -> RunState? {
        guard let data = try? Data(contentsOf: url(runID)) else { return nil }
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        return try? decoder.decode(RunState.self, from: data)
    }

    /// The most recent run with a state file (run ids sort by time).
    public func latest() -> RunState? {
        let runs = (try? FileManager.default.contentsOfDirectory(atPath: layout.runsDirectory.path)) ?? []
        for runID in runs.sorted(by: >) where !runID.hasPrefix(".") {
            if let state = load(runID) { return state }
        }
        return nil
    }
}
