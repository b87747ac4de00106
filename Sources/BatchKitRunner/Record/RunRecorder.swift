import BatchKit
import Foundation

/// The one writer of a run's records: the CSV history
/// (`logs/execution_logs.csv`), the post-job test results, the run's state
/// (journal and snapshot), the job's process-group ledger, the step cache
/// (``recordCache(_:)``, ``saveCache(_:)``) and the report files. Every path comes from ``RunLayout``.
///
/// It fixes the order of durable writes so that a crash at any point can be
/// recovered from (see ``RunRecovery`` and `docs/ARCHITECTURE.md`):
/// 1. an attempt's start (number, start time, log file) is journalled
///    before the attempt is launched; if it cannot be, nothing is launched;
/// 2. an outcome is journalled, with its history rows and the context it
///    set, in one line, *then* its rows are appended to the CSV;
/// 3. a snapshot replaces the journal only when the CSV holds every row,
///    and says how many rows of the run that is.
///
/// Changes are applied in batches (``commit(rows:_:)``), so completions
/// that arrive together can share one journal line and one CSV append.
public final class RunRecorder: @unchecked Sendable {
    public let layout: RunLayout
    public let job: String
    /// The job's running step groups, for the next run to clean up after a
    /// dead runner.
    public let ledger: ProcessGroupLedger

    private let store: RunStateStore
    private let history: ExecutionLog
    private let crash: CrashPoint
    private let lock = NSLock()
    private var current: RunState
    /// Rows of this run the CSV holds.
    private var rowsInHistory: Int
    /// Rows journalled but not yet in the CSV (an append failed), in order.
    private var unrecorded: [ExecutionRecord]
    /// Whether the CSV's last append is not yet `fsync`ed.
    private var historyUnsynced = false
    private var problemList: [String] = []
    /// Whether the run keeps a state (a `--tests-only` run runs no step, so
    /// it has nothing to resume and keeps none).
    private let keepsState: Bool

    private init(
        layout: RunLayout, state: RunState, store: RunStateStore, rowsInHistory: Int, unrecorded: [ExecutionRecord],
        keepsState: Bool = true
    ) {
        self.keepsState = keepsState
        self.layout = layout
        self.job = state.job
        self.ledger = ProcessGroupLedger(directory: layout.processGroups(job: state.job))
        self.store = store
        self.history = ExecutionLog(url: layout.executionLog)
        self.crash = CrashPoint.shared
        self.current = state
        self.rowsInHistory = rowsInHistory
        self.unrecorded = unrecorded
    }

    /// The run's state as last recorded.
    public var state: RunState { lock.withLock { current } }

    /// Write failures so far, for the report.
    public var problems: [String] { lock.withLock { problemList } }

    /// Rows of this run the CSV history could not take (it stopped being
    /// writable); the journal keeps them, and the next run adds them.
    public var unrecordedRows: [ExecutionRecord] { lock.withLock { unrecorded } }

    // MARK: Opening

    /// Makes the job's history files safe to append to, before anything of
    /// a run is written: each must be a writable file that starts with its
    /// header (or be creatable), and an incomplete record at its end (a
    /// crash or a full disk cut an append short) is moved to a file beside it.
    ///
    /// - Returns: A note per file repaired, naming where the cut text went.
    /// - Throws: ``HistoryUnavailable`` when a file cannot take rows.
    public static func openHistory(_ layout: RunLayout) throws(HistoryUnavailable) -> [String] {
        var notes: [String] = []
        for (url, columns) in [(layout.executionLog, ExecutionLog.columns), (layout.testResults, TestResultsLog.columns)] {
            let file = CSVHistoryFile(url: url, columns: columns)
            do {
                try file.checkAppendable()
            } catch {
                throw HistoryUnavailable(file: layout.relative(url), problem: error)
            }
            do {
                if let torn = try file.repairTornTail(movingTo: layout.tornTail(of: url)) {
                    notes.append("\(layout.relative(url)) ended with an incomplete record (\(torn.bytes) bytes, cut short by a crash or a full disk); it was moved to \(layout.relative(torn.movedTo)) and the history goes on from the last complete record")
                }
                let missing = file.missingColumns()
                if !missing.isEmpty {
                    try file.addMissingColumns()
                    CrashPoint.shared.passed()
                    notes.append("\(layout.relative(url)) was written by an older batchkit; it now has the column\(missing.count == 1 ? "" : "s") \(missing.joined(separator: ", ")) (empty in earlier rows)")
                }
            } catch {
                notes.append(ErrorDescription.of(error))
            }
        }
        return notes
    }

    /// Kills what a dead runner of `job` left running, from the job's own
    /// ledger: another job's steps are never touched.
    public static func reapStale(_ layout: RunLayout, job: String) {
        ProcessGroupLedger(directory: layout.processGroups(job: job)).reapStale()
    }

    /// Starts the records of a fresh run with a snapshot of `state`.
    ///
    /// - Parameter keepsState: `false` for a run that runs no step
    ///   (`--tests-only`): it keeps no state, only its test results and report.
    /// - Throws: ``CSVHistoryFile/WriteError`` when the state cannot be
    ///   written: then nothing may run.
    public static func start(_ state: RunState, layout: RunLayout, keepsState: Bool = true) throws -> RunRecorder {
        var state = state
        state.recordedRows = 0
        let store = RunStateStore(layout: layout)
        let recorder = RunRecorder(layout: layout, state: state, store: store, rowsInHistory: 0, unrecorded: [], keepsState: keepsState)
        try FileManager.default.createDirectory(at: layout.runDirectory(state.runID), withIntermediateDirectories: true)
        guard keepsState else { return recorder }
        try store.save(state, snapshot: true)
        recorder.crash.passed()
        return recorder
    }

    /// Continues the records of run `runID`: recovers what its last runner
    /// left (``RunRecovery``), adds the missing and lost rows to the CSV, and
    /// counts a new resume.
    ///
    /// - Returns: The recorder, and every row of the run so far.
    /// - Throws: ``NothingToResume`` when the run has no readable state;
    ///   a write error when the recovery cannot be recorded.
    public static func resume(_ runID: String, layout: RunLayout) throws -> (recorder: RunRecorder, rows: [ExecutionRecord]) {
        let (recorder, recovery) = try recover(runID, layout: layout)
        try recorder.commit {
            $0.resumes += 1
            // A run started by batchkit before 0.3 has no starts yet: its first session's is the run's.
            $0.sessionStarts = ($0.sessionStarts ?? [$0.startedAt]) + [Date()]
            $0.phase = .running
        }
        return (recorder, recovery.rows)
    }

    /// Closes the records of the job's latest run if its runner died (its
    /// state still says running), before a fresh run starts: its missing and
    /// lost rows go into the CSV and it is marked interrupted.
    ///
    /// - Returns: A note when a run was closed, or a problem.
    public static func closeAbandoned(_ layout: RunLayout, job: String) -> String? {
        let latest: RunState
        do {
            guard let found = try RunStateStore(layout: layout).latestRun(job: job) else { return nil }
            latest = found
        } catch {
            return "the previous run, \(error.runID), cannot be checked or closed: its state \(error.file) cannot be read (\(error.problem)); it is left as it is"
        }
        // A finished run with a journal left has rows its CSV append could not write.
        guard latest.phase == .running || FileManager.default.fileExists(atPath: layout.stateJournal(latest.runID).path) else { return nil }
        do {
            let (recorder, recovery) = try recover(latest.runID, layout: layout)
            guard latest.phase == .running else {
                try recorder.finish(phase: latest.phase)
                return recovery.missingRows.isEmpty ? nil
                    : "\(recovery.missingRows.count) row(s) of run \(latest.runID) that could not be written then were added to \(layout.relative(layout.executionLog))"
            }
            try recorder.finish(phase: .interrupted)
            let lost = recovery.lostRows.map { $0.stepID.display }
            return "the previous run, \(latest.runID), was stopped without finishing (its runner was killed)"
                + (lost.isEmpty ? "" : "; steps \(lost.joined(separator: ", ")) were running and are recorded as FAIL (runner died)")
                + "; it is closed as interrupted"
        } catch {
            return "cannot close the previous run \(latest.runID): \(ErrorDescription.of(error))"
        }
    }

    /// The state `--resume` would continue from, read without writing
    /// anything (for planning and `--dry-run`); `nil` when the run has none.
    public static func recoveredState(_ runID: String, layout: RunLayout) throws -> RunState? {
        try readRecovery(runID, store: RunStateStore(layout: layout), layout: layout)?.recovery.state
    }

    private static func readRecovery(
        _ runID: String, store: RunStateStore, layout: RunLayout
    ) throws -> (loaded: RunStateStore.Loaded, history: [ExecutionRecord], recovery: RunRecovery)? {
        guard let loaded = try store.loadWithJournal(runID) else { return nil }
        let history = try ExecutionLog(url: layout.executionLog).readAll()
            .filter { $0.runID == runID && $0.job == loaded.state.job }
        return (loaded, history, RunRecovery(loaded: loaded, history: history))
    }

    private static func recover(_ runID: String, layout: RunLayout) throws -> (RunRecorder, RunRecovery) {
        let store = RunStateStore(layout: layout)
        guard let found = try readRecovery(runID, store: store, layout: layout) else {
            throw NothingToResume(message: "nothing to resume: run \(runID) has no readable state in \(layout.relative(layout.stateFile(runID)))")
        }
        let recovery = found.recovery
        try store.adopt(found.loaded.state, journalLines: found.loaded.journalLines)
        let recorder = RunRecorder(
            layout: layout, state: found.loaded.state, store: store,
            rowsInHistory: found.history.count, unrecorded: recovery.missingRows)
        let recovered = recovery.state
        try recorder.commit(rows: recovery.lostRows) { $0 = recovered }
        return (recorder, recovery)
    }

    // MARK: The run

    /// Applies `change` to the state and records it with `rows`: one journal
    /// line, then one CSV append of the rows (and any an earlier append
    /// failed to write). A failed CSV append is kept as a problem and tried
    /// again with the next rows; the journal still has them.
    ///
    /// - Throws: When the journal line cannot be written: the change is not
    ///   recorded, and the caller must not act on it.
    public func commit(rows: [ExecutionRecord] = [], _ change: (inout RunState) -> Void = { _ in }) throws {
        try commit(rows: rows, touching: nil, syncing: true, change)
    }

    /// ``commit(rows:_:)`` for the engine.
    ///
    /// - Parameters:
    ///   - touching: The steps and context keys `change` may touch: its
    ///     journal line is made without comparing the rest of the state
    ///     (`nil`: compare everything).
    ///   - syncing: `fsync` the journal line and the CSV append. `false`
    ///     writes both in the same order and leaves the `fsync`s to
    ///     ``syncJournal()`` — one for every line written since, before
    ///     anything is launched — and ``syncHistory()``, which also runs
    ///     before the next CSV append and any snapshot. (A power cut can then
    ///     lose the CSV's last append, which recovery adds from the journal,
    ///     or leave a row whose outcome line is lost, which recovery takes
    ///     as the outcome.)
    func commit(
        rows: [ExecutionRecord], touching: RunStateStore.Touched?, syncing: Bool, _ change: (inout RunState) -> Void
    ) throws {
        try lock.withLock {
            var next = current
            change(&next)
            let runDate = next.runDate
            let rows = rows.map { row in
                var row = row
                if row.runDate == nil { row.runDate = runDate }
                return row
            }
            guard keepsState else {
                current = next
                return
            }
            do {
                if try store.save(next, rows: rows, touched: touching, sync: syncing) { crash.passed() }
            } catch {
                // The change is not recorded; its rows still go into the CSV
                // (recovery reads an attempt's outcome there), then the caller stops.
                unrecorded += rows
                appendToHistory(compacting: false)
                throw error
            }
            current = next
            unrecorded += rows
            appendToHistory(sync: syncing)
        }
    }

    /// `fsync`s the journal lines ``commit(rows:touching:syncing:_:)``
    /// wrote without it.
    ///
    /// - Throws: When it fails: what they record must not be acted on.
    func syncJournal() throws {
        try lock.withLock {
            guard keepsState else { return }
            try store.syncJournal(current.runID)
        }
    }

    /// `fsync`s the CSV's last append if it was written without it; a
    /// failure is a problem for the report (the journal has the rows).
    func syncHistory() {
        lock.withLock { _ = syncHistoryLocked() }
    }

    /// ``syncHistory()`` with the lock held. - Returns: Whether the CSV is synced.
    private func syncHistoryLocked() -> Bool {
        guard historyUnsynced else { return true }
        do {
            try history.sync()
            historyUnsynced = false
            return true
        } catch {
            let problem = ErrorDescription.of(error)
            if !problemList.contains(problem) { problemList.append(problem) }
            return false
        }
    }

    /// Appends the rows not yet in the CSV, in order, then compacts the
    /// journal when it is long and the CSV holds every row; the lock is held.
    private func appendToHistory(compacting: Bool = true, sync: Bool = true) {
        // Only the last append may be waiting for its fsync.
        if !unrecorded.isEmpty, syncHistoryLocked() {
            do {
                try history.append(unrecorded, sync: sync)
                historyUnsynced = !sync
                crash.passed()
                rowsInHistory += unrecorded.count
                unrecorded = []
            } catch {
                let problem = ErrorDescription.of(error)
                if !problemList.contains(problem) { problemList.append(problem) }
            }
        }
        if compacting, keepsState, unrecorded.isEmpty, store.shouldCompact(current.runID) {
            do { try snapshot() } catch { problemList.append("cannot write the run's snapshot: \(ErrorDescription.of(error))") }
        }
    }

    /// The run is over: its final phase is journalled first (so a crash
    /// from here on leaves a finished run, not one to resume), then the post-job
    /// test results are appended, then the final state is written as a
    /// snapshot (or, when rows are still missing from the CSV, left in the
    /// journal, so a later recovery adds them).
    ///
    /// - Throws: When the state or the test results cannot be written.
    public func finish(phase: RunState.Phase, tests: [CheckResult] = []) throws {
        try lock.withLock {
            _ = syncHistoryLocked()
            current.phase = phase
            if keepsState, try store.save(current) { crash.passed() }
            if !tests.isEmpty {
                try TestResultsLog(url: layout.testResults).append(tests, runID: current.runID, job: current.job)
                crash.passed()
            }
            if keepsState, unrecorded.isEmpty { try snapshot() }
        }
    }

    // MARK: The cache

    /// Records what steps that passed depended on and wrote, one JSON line
    /// each in `logs/cache/<job>/steps.jsonl`, appended and synced. Call it
    /// only once their PASS is committed: an entry never exists for a pass
    /// the records lack, and a crash between the two only makes the next
    /// run rerun the step. A failure is a report note: it costs a rerun.
    public func recordCache(_ entries: [CacheEntry]) {
        guard !entries.isEmpty else { return }
        let encoder = JSONCoding.encoder(pretty: false)
        do {
            var text = ""
            for entry in entries { text += String(decoding: try encoder.encode(entry), as: UTF8.self) + "\n" }
            let file = JournalFile(url: layout.cacheEntries(job: job))
            try FileManager.default.createDirectory(at: layout.cacheDirectory(job: job), withIntermediateDirectories: true)
            try file.cutTornTail()
            try file.append(text)
            crash.passed()
        } catch {
            noteCacheProblem(error)
        }
    }

    /// At the end of a run: saves the file hash index when it changed, and
    /// rewrites the entries file with only each step's latest entry once
    /// it holds many more lines than steps. Both are replaced whole
    /// (``DurableFile``); a failure is a report note.
    public func saveCache(_ cache: StepCache) {
        do {
            if cache.hashes.isEdited {
                try FileManager.default.createDirectory(at: layout.cacheDirectory(job: job), withIntermediateDirectories: true)
                try DurableFile.replace(layout.fileHashIndex(job: job), with: cache.hashes.serialized())
                crash.passed()
            }
            let url = layout.cacheEntries(job: job)
            guard let data = FileManager.default.contents(atPath: url.path) else { return }
            let lines = data.reduce(0) { $0 + ($1 == 0x0A ? 1 : 0) }
            // Read the entries again only when the file is worth compacting.
            guard lines > 2 * max(cache.entries.count, 1) + 64 else { return }
            let latest = StepCache.loadEntries(url)
            guard lines > 2 * latest.count + 64 else { return }
            let encoder = JSONCoding.encoder(pretty: false)
            var text = ""
            for (_, entry) in latest.sorted(by: { $0.key < $1.key }) {
                text += String(decoding: try encoder.encode(entry), as: UTF8.self) + "\n"
            }
            try DurableFile.replace(url, with: text)
            crash.passed()
        } catch {
            noteCacheProblem(error)
        }
    }

    private func noteCacheProblem(_ error: any Error) {
        let problem = "cannot update the step cache in \(layout.relative(layout.cacheDirectory(job: job))) (the steps concerned run again next time): \(ErrorDescription.of(error))"
        lock.withLock { if !problemList.contains(problem) { problemList.append(problem) } }
    }

    /// Writes the snapshot; the lock is held and the CSV is up to date.
    private func snapshot() throws {
        // The snapshot says how many rows the CSV holds: they must be on disk.
        guard unrecorded.isEmpty, syncHistoryLocked() else { return }
        current.recordedRows = rowsInHistory
        try store.save(current, snapshot: true)
        crash.passed()
    }

    /// Saves the report as `report.txt`, `report.json`, `junit.xml` and,
    /// when given, `report.html` in the run's folder, each replaced durably.
    ///
    /// Each file is made only when the one before is written, so a large
    /// run holds one of them in memory at a time.
    public func saveReport(_ report: RunReport, html: (() -> [UInt8])? = nil) throws {
        try Self.saveReport(report, html: html, layout: layout, crash: crash)
    }

    /// Saves a report's HTML page, as `report --html` makes it for a past run.
    public static func saveReportHTML(_ html: String, runID: String, layout: RunLayout) throws {
        try DurableFile.replace(layout.reportHTML(runID), with: html)
        CrashPoint.shared.passed()
    }

    /// Saves the history's HTML page, `logs/history.html`.
    public static func saveHistoryHTML(_ html: String, layout: RunLayout) throws {
        try DurableFile.replace(layout.historyHTML, with: html)
        CrashPoint.shared.passed()
    }

    static func saveReport(_ report: RunReport, html: (() -> [UInt8])? = nil, layout: RunLayout, crash: CrashPoint = .shared) throws {
        let runID = report.runID
        // The folder is synced once, after the last rename.
        defer { DurableFile.syncFolder(of: layout.report(runID)) }
        try DurableFile.replace(layout.report(runID), with: report.render(), syncingFolder: false)
        crash.passed()
        try DurableFile.replace(layout.reportJSON(runID), with: try report.jsonBytes(), syncingFolder: false)
        crash.passed()
        try DurableFile.replace(layout.junitReport(runID), with: JUnitReport(report).xml(), syncingFolder: false)
        crash.passed()
        if let html {
            try DurableFile.replace(layout.reportHTML(runID), with: html(), syncingFolder: false)
            crash.passed()
        }
    }

    // MARK: Rows outside a run

    /// Appends rows that belong to no run's state: a run that did not start
    /// (lock held, `--wait-for` timed out), or an attempt an Airflow task
    /// ran, whose state Airflow keeps.
    public static func appendRows(_ rows: [ExecutionRecord], layout: RunLayout) throws {
        try ExecutionLog(url: layout.executionLog).append(rows)
        CrashPoint.shared.passed()
    }
}
