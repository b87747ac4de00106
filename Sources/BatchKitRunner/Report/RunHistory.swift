import BatchKit
import Foundation

/// `./run.sh history`: what `logs/execution_logs.csv` says about each step
/// across runs — how often it ran and passed, how many of its attempts
/// failed, how long it usually takes (median and 95th percentile), how it
/// did last time — with a flag on a step whose latest time is far above its
/// median; and, with `logs/test_results.csv`, how each run ended
/// (`history --runs`).
public struct RunHistory: Sendable, Codable {
    /// One step's summary.
    public struct StepSummary: Sendable, Codable, Equatable {
        public var stepID: StepID
        public var name: String
        /// Runs in which the step was attempted (not SKIPPED).
        public var runs: Int
        /// Runs whose final attempt of the step passed.
        public var passes: Int
        public var passRate: Double
        /// Failed attempts, retried ones included: a step that passed on
        /// its second attempt in every run still shows here.
        public var failedAttempts: Int
        /// Median and 95th percentile of the final attempt's wall time, over
        /// passing runs (over all attempted runs if none passed).
        public var medianSeconds: Double
        public var p95Seconds: Double
        public var lastStatus: Status
        public var lastSeconds: Double
        public var lastRunID: String
        /// The latest time is at least twice the median (and 0.5 s more).
        public var slow: Bool
    }

    /// A run that did not start: another run held the lock (`locked`), or
    /// `--wait-for` timed out (`wait timeout`).
    public struct NotStarted: Sendable, Codable, Equatable {
        public var runID: String
        public var at: String
        public var reason: String
        public var message: String
    }

    public var job: String
    /// Runs that started: with steps, with post-job tests only
    /// (`--tests-only`), or still unfinished.
    public var runs: Int
    public var since: Date?
    public var steps: [StepSummary]
    /// Runs that did not start, oldest first.
    public var notStarted: [NotStarted] = []
    /// Every run, started or not, oldest first: how it ended and what failed.
    public var runList: [RunSummary] = []

    /// Summarises the history at `url`, optionally only runs started at or
    /// after `since`. Reads the file without date parsing or a `String` per
    /// field, a large one in two halves on two cores (``HistoryRows``), so
    /// 1,000,000 rows take under two seconds (see `bench/history.sh`).
    ///
    /// - Parameters:
    ///   - url: `logs/execution_logs.csv`.
    ///   - testResults: `logs/test_results.csv`, for the runs whose post-job
    ///     tests failed (and runs of `--tests-only`); `nil` to leave tests out.
    ///   - latest: The job's latest run's state: when it says `running`, that
    ///     run is listed as unfinished rather than judged by its rows so far.
    /// - Throws: `CSVTable.ReadError` when a file cannot be read or lacks a column.
    public static func load(
        _ url: URL, testResults: URL? = nil, job: String, since: Date? = nil, latest: RunState? = nil
    ) throws -> RunHistory {
        let cutoff = since.map(Timestamp.iso8601)
        var runs = RunTable()
        var notStarted: [NotStarted] = []

        // Each step's final record in each run; runs are numbered as met, to keep keys cheap.
        var finals: [StepFinals] = [], stepIDs: [StepID] = [], failedAttempts: [Int] = []
        var names: [String] = []
        if let history = try HistoryRows.read(url, job: job, cutoff: cutoff, runs: &runs) {
            notStarted = history.notStarted
            names = history.names
            var slots: [StepID: Int] = [:]
            // The slot of each step id last met in a cache line, to hash a step id once per step.
            var cache = [(step: StepID, slot: Int)?](repeating: nil, count: 64)
            for row in history.rows {
                let line = Int(truncatingIfNeeded: row.step.rawValue) & 63
                let slot: Int
                if let hit = cache[line], hit.step == row.step {
                    slot = hit.slot
                } else {
                    if let known = slots[row.step] {
                        slot = known
                    } else {
                        slot = stepIDs.count
                        slots[row.step] = slot
                        stepIDs.append(row.step)
                        finals.append(StepFinals())
                        failedAttempts.append(0)
                    }
                    cache[line] = (row.step, slot)
                }
                if row.status == .fail { failedAttempts[slot] += 1 }
                finals[slot].record(.init(status: row.status, reason: row.reason, name: row.name, seconds: row.seconds), run: row.run)
            }
        }
        let tests = try testResults.map { try Self.latestTests($0, job: job, cutoff: cutoff, runs: &runs) } ?? [:]
        let rank = runs.ranks()

        var steps: [StepSummary] = []
        var failed: [Int: [RunSummary.FailedStep]] = [:]
        var interrupted: Set<Int> = [], notPassed: Set<Int> = []
        for slot in stepIDs.indices.sorted(by: { stepIDs[$0] < stepIDs[$1] }) {
            let id = stepIDs[slot], byRun = finals[slot]
            // A CACHED step did not run: it counts neither as a run nor in the times.
            var attempted: [Double] = [], passes: [Double] = []
            for final in byRun.finals where final.status != .skipped && final.status != .cached {
                attempted.append(final.seconds)
                if final.status == .pass { passes.append(final.seconds) }
            }
            let timed = (passes.isEmpty ? attempted : passes).sorted()
            guard let latest = byRun.latest(by: rank) else { continue }
            let last = byRun.finals[latest]
            let median = percentile(timed, 0.5)
            let lastSeconds = last.seconds
            steps.append(StepSummary(
                stepID: id, name: names[Int(last.name)], runs: attempted.count, passes: passes.count,
                passRate: attempted.isEmpty ? 0 : Double(passes.count) / Double(attempted.count),
                failedAttempts: failedAttempts[slot], medianSeconds: median, p95Seconds: percentile(timed, 0.95),
                lastStatus: last.status, lastSeconds: lastSeconds, lastRunID: runs.ids[byRun.runs[latest]],
                slow: last.status != .skipped && timed.count >= 3 && lastSeconds >= 2 * median && lastSeconds - median >= 0.5))
            for (run, final) in zip(byRun.runs, byRun.finals) where !final.status.isSuccess {
                notPassed.insert(run)
                // Stopped by a signal (steps running or not yet started), or its runner died.
                if final.reason == .interrupted || final.reason == .runnerDied { interrupted.insert(run) }
                if final.status == .fail { failed[run, default: []].append(.init(stepID: id, name: names[Int(final.name)], reason: final.reason)) }
            }
        }

        var list = runs.ids.indices.map { run -> RunSummary in
            let failedTests = (tests[run] ?? []).filter { $0.status == .fail }.map(\.name)
            let outcome: RunSummary.Outcome = interrupted.contains(run) ? .interrupted
                : (notPassed.contains(run) || !failedTests.isEmpty ? .fail : .pass)
            let seconds = (RunSummary.epochSeconds(runs.ends[run]) ?? 0) - (RunSummary.epochSeconds(runs.starts[run]) ?? 0)
            return RunSummary(
                runID: runs.ids[run], outcome: outcome, startedAt: runs.starts[run], seconds: max(0, seconds),
                failedSteps: failed[run] ?? [], failedTests: failedTests, notStartedBecause: nil)
        }
        if let latest, latest.job == job, latest.phase == .running {
            let started = Timestamp.iso8601(latest.startedAt)
            if let index = list.firstIndex(where: { $0.runID == latest.runID }) {
                list[index].outcome = .unfinished
            } else if cutoff.map({ started >= $0 }) ?? true {
                list.append(RunSummary(
                    runID: latest.runID, outcome: .unfinished, startedAt: started, seconds: max(0, Date().timeIntervalSince(latest.startedAt)),
                    failedSteps: [], failedTests: [], notStartedBecause: nil))
            }
        }
        for entry in notStarted {
            let because = entry.message.hasPrefix("not started: ") ? String(entry.message.dropFirst(13)) : entry.message
            list.append(RunSummary(
                runID: entry.runID, outcome: .notStarted, startedAt: entry.at, seconds: 0, failedSteps: [], failedTests: [],
                notStartedBecause: entry.reason + (because.isEmpty ? "" : ": " + because)))
        }
        list.sort { ($0.startedAt, $0.runID) < ($1.startedAt, $1.runID) }
        return RunHistory(
            job: job, runs: list.filter { $0.outcome != .notStarted }.count, since: since, steps: steps, notStarted: notStarted.sorted { $0.at < $1.at }, runList: list)
    }

    /// The runs met in the history files, numbered as met, with the first
    /// start and last end each shows (ISO-8601 text sorts as time).
    struct RunTable {
        var numbers: [String: Int] = [:]
        var ids: [String] = []
        var starts: [String] = []
        var ends: [String] = []

        mutating func number(_ runID: String, started: String, ended: String) -> Int {
            merge(runID, start: started, firstStart: started, end: ended)
        }

        /// Adds a run that a part of the history numbered on its own: its
        /// earliest start, its first row's start and its latest end there.
        /// The same as ``number(_:started:ended:)`` for each of its rows.
        mutating func merge(_ runID: String, start: String, firstStart: String, end: String) -> Int {
            if let known = numbers[runID] {
                if start < starts[known] { starts[known] = start }
                if end > ends[known] { ends[known] = end }
                return known
            }
            numbers[runID] = ids.count
            ids.append(runID)
            starts.append(start)
            ends.append(max(firstStart, end))
            return ids.count - 1
        }

        /// Each run's position by start time (then id).
        func ranks() -> [Int] {
            var rank = [Int](repeating: 0, count: ids.count)
            for (position, run) in ids.indices.sorted(by: { (starts[$0], ids[$0]) < (starts[$1], ids[$1]) }).enumerated() {
                rank[run] = position
            }
            return rank
        }
    }

    /// Each run's latest result of each post-job test (a resumed run writes
    /// its tests again), by run number, in the order the tests first appear.
    private static func latestTests(
        _ url: URL, job: String, cutoff: String?, runs: inout RunTable
    ) throws -> [Int: [(name: String, status: Status)]] {
        guard let table = try Self.table(url) else { return [:] }
        let column = try Self.columns(table, url)
        let runColumn = try column("run_id"), testColumn = try column("test"), statusColumn = try column("status")
        let startColumn = try column("started_at")
        let jobColumn = table.column("job"), endColumn = table.column("ended_at")
        var tests: [Int: [(name: String, status: Status)]] = [:]
        for row in table.rows where row.count > max(runColumn, testColumn, statusColumn, startColumn) {
            if let cutoff, row[startColumn] < cutoff { continue }
            if let jobColumn, jobColumn < row.count, row[jobColumn] != job { continue }
            guard let status = Status(outcome: row[statusColumn]) else { continue }
            let ended = endColumn.map { $0 < row.count ? row[$0] : "" } ?? ""
            let run = runs.number(row[runColumn], started: row[startColumn], ended: ended)
            if let index = tests[run]?.firstIndex(where: { $0.name == row[testColumn] }) {
                tests[run]?[index].status = status
            } else {
                tests[run, default: []].append((row[testColumn], status))
            }
        }
        return tests
    }

    /// The file as a table; `nil` when there is none or it is empty (created
    /// before a run that wrote no row).
    private static func table(_ url: URL) throws -> CSVTable? {
        let size = (try? FileManager.default.attributesOfItem(atPath: url.path)[.size] as? Int) ?? nil
        guard let size, size > 0 else { return nil }
        return try CSVTable.read(url)
    }

    /// A lookup of `table`'s columns that names the file when one is missing.
    private static func columns(_ table: CSVTable, _ url: URL) throws -> (String) throws -> Int {
        { name in
            guard let index = table.column(name) else {
                throw CSVTable.ReadError(path: url.path, message: "the history has no \(name) column")
            }
            return index
        }
    }

    /// The `q` quantile of sorted values, by the nearest-rank method.
    static func percentile(_ sorted: [Double], _ q: Double) -> Double {
        guard !sorted.isEmpty else { return 0 }
        let rank = Int((q * Double(sorted.count)).rounded(.up))
        return sorted[min(max(rank, 1), sorted.count) - 1]
    }
}
