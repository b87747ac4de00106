import BatchKit
import Foundation

/// A run's state on disk, in time independent of the job's size: each change
/// is one JSON line appended to `state.journal` (with the history rows it
/// carries) and `fsync`ed; every so often (and at the end of a run) the whole
/// state is written to `state.json` (temporary file, `fsync`, rename, `fsync`
/// of the folder) and the journal starts over.
///
/// Only ``RunRecorder`` writes through it; everyone else loads. Loading reads
/// the snapshot and replays the journal; a line torn by a crash (the last
/// one, without its newline) is ignored.
public final class RunStateStore: @unchecked Sendable {
    public let layout: RunLayout
    private let lock = NSLock()
    private var saved: [String: RunState] = [:]
    private var journalLines: [String: Int] = [:]
    private var generations: [String: Int] = [:]
    /// Runs whose journal has lines not yet `fsync`ed.
    private var unsynced: Set<String> = []
    /// Journal lines after which ``shouldCompact(_:)`` says yes.
    private let compactEvery = 256

    public init(layout: RunLayout) {
        self.layout = layout
    }

    /// The snapshot of a run.
    public func url(_ runID: String) -> URL { layout.stateFile(runID) }

    /// The journal of changes since the snapshot.
    public func journalURL(_ runID: String) -> URL { layout.stateJournal(runID) }

    /// What changed, as one journal line: the new values, and the history
    /// rows that go with them, in the order they go into the CSV.
    struct Change: Codable, Equatable {
        /// The snapshot this line follows.
        var generation: Int?
        var phase: RunState.Phase?
        var resumes: Int?
        var sessionStarts: [Date]?
        var steps: [StepID: RunState.StepState]?
        var context: [String: String]?
        var removedSteps: [StepID]?
        var removedContext: [String]?
        var rows: [ExecutionRecord]?
    }

    /// A run's state with the rows its journal holds.
    struct Loaded {
        var state: RunState
        /// History rows written to the journal since the snapshot, in order.
        var journalRows: [ExecutionRecord]
        /// Lines in the journal.
        var journalLines: Int
    }

    /// What a change can have touched: saving it compares only these steps
    /// and context keys with the last save, in time independent of the
    /// run's size (the whole state is compared when there is none).
    struct Touched: Sendable {
        var steps: [StepID] = []
        var context: [String] = []

        mutating func formUnion(_ other: Touched) {
            steps += other.steps
            context += other.context
        }
    }

    /// Saves `state`: appends what changed since the last save (and `rows`)
    /// as one journal line, or writes a snapshot.
    ///
    /// - Parameters:
    ///   - rows: History rows that belong with this change (written to the
    ///     journal before they go into the CSV).
    ///   - snapshot: Write the whole state instead (start and end of a run,
    ///     compaction). Only when `rows` is empty.
    ///   - touched: What alone can differ from the last save; `nil` to
    ///     compare everything. (Debug builds check it against the whole state.)
    ///   - sync: `fsync` the journal (and so every line before); `false`
    ///     leaves it to ``syncJournal(_:)``, before anything acts on the line.
    /// - Returns: Whether anything was written.
    /// - Throws: ``CSVHistoryFile/WriteError`` naming the file.
    @discardableResult
    func save(
        _ state: RunState, rows: [ExecutionRecord] = [], snapshot: Bool = false, touched: Touched? = nil, sync: Bool = true
    ) throws -> Bool {
        try lock.withLock {
            let runID = state.runID
            var state = state
            state.generation = generations[runID]
            // What a run starts with never changes in its journal.
            guard let previous = saved[runID], !snapshot,
                  previous.runID == state.runID, previous.job == state.job, previous.startedAt == state.startedAt,
                  previous.parameters == state.parameters, previous.scope == state.scope,
                  previous.parameterSources == state.parameterSources, previous.environment == state.environment,
                  previous.recordedRows == state.recordedRows
            else {
                precondition(rows.isEmpty, "history rows go through the journal, never a snapshot")
                try writeSnapshot(state)
                return true
            }
            var change = touched.map { Self.change(from: previous, to: state, touched: $0) } ?? Self.change(from: previous, to: state)
            assert(touched == nil || change == Self.change(from: previous, to: state), "a change touched more than it said: \(change)")
            change.generation = generations[runID]
            if !rows.isEmpty { change.rows = rows }
            guard change.phase != nil || change.resumes != nil || change.sessionStarts != nil || change.steps != nil || change.context != nil
                || change.removedSteps != nil || change.removedContext != nil || change.rows != nil
            else { return false }
            let line = String(decoding: try JSONCoding.encoder(pretty: false).encode(change), as: UTF8.self) + "\n"
            try JournalFile(url: journalURL(runID)).append(line, sync: sync)
            if sync { unsynced.remove(runID) } else { unsynced.insert(runID) }
            saved[runID] = state
            journalLines[runID, default: 0] += 1
            return true
        }
    }

    /// Everything that differs between two states of a run.
    private static func change(from previous: RunState, to state: RunState) -> Change {
        var change = Change()
        if previous.phase != state.phase { change.phase = state.phase }
        if previous.resumes != state.resumes { change.resumes = state.resumes }
        if previous.sessionStarts != state.sessionStarts { change.sessionStarts = state.sessionStarts }
        let steps = state.steps.filter { previous.steps[$0.key] != $0.value }
        if !steps.isEmpty { change.steps = steps }
        let context = state.context.filter { previous.context[$0.key] != $0.value }
        if !context.isEmpty { change.context = context }
        let removedSteps = previous.steps.keys.filter { state.steps[$0] == nil }.sorted()
        if !removedSteps.isEmpty { change.removedSteps = removedSteps }
        let removedContext = previous.context.keys.filter { state.context[$0] == nil }.sorted()
        if !removedContext.isEmpty { change.removedContext = removedContext }
        return change
    }

    /// What differs between two states of a run among what `touched` names.
    private static func change(from previous: RunState, to state: RunState, touched: Touched) -> Change {
        var change = Change()
        if previous.phase != state.phase { change.phase = state.phase }
        if previous.resumes != state.resumes { change.resumes = state.resumes }
        if previous.sessionStarts != state.sessionStarts { change.sessionStarts = state.sessionStarts }
        var steps: [StepID: RunState.StepState] = [:]
        var removedSteps: Set<StepID> = []
        for id in touched.steps {
            if let value = state.steps[id] {
                if previous.steps[id] != value { steps[id] = value }
            } else if previous.steps[id] != nil {
                removedSteps.insert(id)
            }
        }
        var context: [String: String] = [:]
        var removedContext: Set<String> = []
        for key in touched.context {
            if let value = state.context[key] {
                if previous.context[key] != value { context[key] = value }
            } else if previous.context[key] != nil {
                removedContext.insert(key)
            }
        }
        if !steps.isEmpty { change.steps = steps }
        if !context.isEmpty { change.context = context }
        if !removedSteps.isEmpty { change.removedSteps = removedSteps.sorted() }
        if !removedContext.isEmpty { change.removedContext = removedContext.sorted() }
        return change
    }

    /// `fsync`s the journal of `runID` if it has lines written without it.
    ///
    /// - Throws: ``CSVHistoryFile/WriteError`` naming the file.
    func syncJournal(_ runID: String) throws {
        try lock.withLock {
            guard unsynced.contains(runID) else { return }
            try JournalFile(url: journalURL(runID)).sync()
            unsynced.remove(runID)
        }
    }

    /// Takes `state` as what is on disk now (loaded by ``loadWithJournal(_:)``),
    /// so the next save appends only what changes from it.
    /// A torn last line is cut off, so the next line starts on its own.
    func adopt(_ state: RunState, journalLines lines: Int) throws {
        try lock.withLock {
            try JournalFile(url: journalURL(state.runID)).cutTornTail()
            saved[state.runID] = state
            journalLines[state.runID] = lines
            generations[state.runID] = state.generation
        }
    }

    /// Whether the journal of `runID` is long enough to be folded into a snapshot.
    func shouldCompact(_ runID: String) -> Bool {
        lock.withLock { journalLines[runID, default: 0] >= compactEvery }
    }

    private func writeSnapshot(_ state: RunState) throws {
        var state = state
        state.generation = (generations[state.runID] ?? 0) + 1
        try DurableFile.replace(url(state.runID), with: try JSONCoding.encoder(pretty: true).encode(state))
        // A journal that survives this (a crash, a failed removal) names the
        // previous generation, so loading skips it.
        try? FileManager.default.removeItem(at: journalURL(state.runID))
        unsynced.remove(state.runID)
        generations[state.runID] = state.generation
        saved[state.runID] = state
        journalLines[state.runID] = 0
    }

    /// Loads a run's state, or `nil` when it has none or it cannot be read.
    public func load(_ runID: String) -> RunState? {
        (try? loadWithJournal(runID))??.state
    }

    /// Loads a run's state and the history rows its journal holds.
    ///
    /// - Returns: `nil` when the run has no state file.
    /// - Throws: ``UnreadableState`` when the snapshot is empty, cut short
    ///   or not a state, or a complete journal line is not a change. (A last
    ///   line without its newline was cut short by a crash: it is ignored.)
    func loadWithJournal(_ runID: String) throws(UnreadableState) -> Loaded? {
        let file = url(runID)
        let data: Data
        do {
            data = try Data(contentsOf: file)
        } catch {
            guard FileManager.default.fileExists(atPath: file.path) else { return nil }
            throw UnreadableState(runID: runID, file: layout.relative(file), problem: "it cannot be read (\(ErrorDescription.of(error)))")
        }
        let decoder = JSONCoding.decoder()
        guard !data.isEmpty else {
            throw UnreadableState(runID: runID, file: layout.relative(file), problem: "it is empty")
        }
        var state: RunState
        do {
            state = try decoder.decode(RunState.self, from: data)
        } catch {
            throw UnreadableState(
                runID: runID, file: layout.relative(file),
                problem: data.last == UInt8(ascii: "}") || data.last == 0x0A ? "it is not a run state (garbled)" : "it is cut short")
        }
        var rows: [ExecutionRecord] = []
        var lines = 0
        let journal = (try? Data(contentsOf: journalURL(runID))) ?? Data()
        let complete = journal.last == 0x0A ? journal : journal.prefix(through: journal.lastIndex(of: 0x0A) ?? -1)
        for (number, line) in complete.split(separator: 0x0A, omittingEmptySubsequences: false).dropLast().enumerated() {
            let change: Change
            do {
                change = try decoder.decode(Change.self, from: Data(line))
            } catch {
                throw UnreadableState(
                    runID: runID, file: layout.relative(journalURL(runID)), problem: "line \(number + 1) is not a state change (garbled)",
                    journalLine: number + 1)
            }
            guard change.generation == state.generation else { continue }
            lines += 1
            if let phase = change.phase { state.phase = phase }
            if let resumes = change.resumes { state.resumes = resumes }
            if let starts = change.sessionStarts { state.sessionStarts = starts }
            for (key, value) in change.steps ?? [:] { state.steps[key] = value }
            for (key, value) in change.context ?? [:] { state.context[key] = value }
            for key in change.removedSteps ?? [] { state.steps[key] = nil }
            for key in change.removedContext ?? [] { state.context[key] = nil }
            rows += change.rows ?? []
        }
        return Loaded(state: state, journalRows: rows, journalLines: lines)
    }

    /// The most recent run of `job` with a state file (run ids sort by
    /// time), or `nil` when there is none or it cannot be read. Task lists
    /// sharing a folder share `logs/runs/`, hence the job.
    public func latest(job: String? = nil) -> RunState? {
        (try? latestRun(job: job)) ?? nil
    }

    /// The most recent run of `job` with a state file.
    ///
    /// - Throws: ``UnreadableState`` when that run's state cannot be read:
    ///   an older run is never taken in its place. A run whose state cannot
    ///   be read and whose job cannot be told counts as `job`'s.
    public func latestRun(job: String? = nil) throws(UnreadableState) -> RunState? {
        let runs = (try? FileManager.default.contentsOfDirectory(atPath: layout.runsDirectory.path)) ?? []
        for runID in runs.sorted(by: >) where !runID.hasPrefix(".") {
            do {
                if let state = try loadWithJournal(runID)?.state, job == nil || state.job == job { return state }
            } catch {
                if let job, let other = jobOfUnreadable(runID), other != job { continue }
                throw error
            }
        }
        return nil
    }

    /// The readable states of `job`'s runs, newest first, read one at a
    /// time as the sequence is walked.
    public func runs(job: String) -> some Sequence<RunState> {
        let names = ((try? FileManager.default.contentsOfDirectory(atPath: layout.runsDirectory.path)) ?? [])
            .filter { !$0.hasPrefix(".") }.sorted(by: >)
        return names.lazy.compactMap { self.load($0) }.filter { $0.job == job }
    }

    /// The job of a run whose state cannot be read: from what is left of
    /// the state file, else from the run's rows in the history.
    private func jobOfUnreadable(_ runID: String) -> String? {
        if let text = try? String(contentsOf: url(runID), encoding: .utf8),
           let match = text.firstMatch(of: /"job"\s*:\s*"((?:[^"\\]|\\.)*)"/),
           let job = try? JSONDecoder().decode(String.self, from: Data("\"\(match.1)\"".utf8)) {
            return job
        }
        return (try? ExecutionLog(url: layout.executionLog).readAll())?.first { $0.runID == runID }?.job
    }
}
