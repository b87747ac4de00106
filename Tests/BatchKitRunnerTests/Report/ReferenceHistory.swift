@testable import BatchKit
@testable import BatchKitRunner
import Foundation

/// `history` as batchkit 0.2 computed it, before ``HistoryRows``: the whole
/// file as `[[String]]` (``CSVTable``), nested dictionaries per row. The
/// reference the faster reader must match byte for byte. Copied, not shared.
enum ReferenceHistory {
    static func load(
        _ url: URL, testResults: URL? = nil, job: String, since: Date? = nil, latest: RunState? = nil
    ) throws -> RunHistory {
        let cutoff = since.map(Timestamp.iso8601)
        var runs = RunTable()
        var notStarted: [RunHistory.NotStarted] = []

        // The final record of each (run, step): the last row, as rows are
        // appended in order. Runs are numbered as met, to keep keys cheap.
        struct Final { var status: Status; var seconds: Double; var name: String; var reason: FailureReason }
        var finals: [StepID: [Int: Final]] = [:]
        var failedAttempts: [StepID: Int] = [:]
        if let table = try Self.table(url) {
            let column = try Self.columns(table, url)
            let runColumn = try column("run_id"), stepColumn = try column("step_id"), nameColumn = try column("step_name")
            let statusColumn = try column("status"), startColumn = try column("started_at"), durationColumn = try column("duration_s")
            let jobColumn = table.column("job"), endColumn = table.column("ended_at")
            let reasonColumn = table.column("reason"), messageColumn = table.column("message")
            for row in table.rows where row.count > max(runColumn, stepColumn, statusColumn, startColumn, durationColumn, nameColumn) {
                let started = row[startColumn]
                if let cutoff, started < cutoff { continue }
                // Task lists that share a folder share the history file.
                if let jobColumn, jobColumn < row.count, row[jobColumn] != job { continue }
                guard let id = StepID(row[stepColumn]), let status = Status(outcome: row[statusColumn]) else { continue }
                func field(_ column: Int?) -> String { column.map { $0 < row.count ? row[$0] : "" } ?? "" }
                if id == ExecutionRecord.runStepID {
                    notStarted.append(RunHistory.NotStarted(runID: row[runColumn], at: started, reason: field(reasonColumn), message: field(messageColumn)))
                    continue
                }
                let run = runs.number(row[runColumn], started: started, ended: field(endColumn))
                if status == .fail { failedAttempts[id, default: 0] += 1 }
                finals[id, default: [:]][run] = Final(
                    status: status, seconds: Double(row[durationColumn]) ?? 0, name: row[nameColumn],
                    // Only a row that did not pass has a reason (and most rows pass).
                    reason: status.isSuccess || reasonColumn == nil ? .empty : FailureReason(word: field(reasonColumn)))
            }
        }
        let tests = try testResults.map { try Self.latestTests($0, job: job, cutoff: cutoff, runs: &runs) } ?? [:]
        let rank = runs.ranks()

        var steps: [RunHistory.StepSummary] = []
        var failed: [Int: [RunSummary.FailedStep]] = [:]
        var interrupted: Set<Int> = [], notPassed: Set<Int> = []
        for (id, byRun) in finals.sorted(by: { $0.key < $1.key }) {
            let ordered = byRun.sorted { rank[$0.key] < rank[$1.key] }
            // A CACHED step did not run: it counts neither as a run nor in the times.
            let attempted = ordered.filter { $0.value.status != .skipped && $0.value.status != .cached }
            let passes = attempted.filter { $0.value.status == .pass }
            let timed = (passes.isEmpty ? attempted : passes).map(\.value.seconds).sorted()
            guard let last = ordered.last else { continue }
            let median = RunHistory.percentile(timed, 0.5)
            let lastSeconds = last.value.seconds
            steps.append(RunHistory.StepSummary(
                stepID: id, name: last.value.name, runs: attempted.count, passes: passes.count,
                passRate: attempted.isEmpty ? 0 : Double(passes.count) / Double(attempted.count),
                failedAttempts: failedAttempts[id] ?? 0, medianSeconds: median, p95Seconds: RunHistory.percentile(timed, 0.95),
                lastStatus: last.value.status, lastSeconds: lastSeconds, lastRunID: runs.ids[last.key],
                slow: last.value.status != .skipped && timed.count >= 3 && lastSeconds >= 2 * median && lastSeconds - median >= 0.5))
            for (run, final) in byRun where !final.status.isSuccess {
                notPassed.insert(run)
                // Stopped by a signal (steps running or not yet started), or its runner died.
                if final.reason == .interrupted || final.reason == .runnerDied { interrupted.insert(run) }
                if final.status == .fail { failed[run, default: []].append(.init(stepID: id, name: final.name, reason: final.reason)) }
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
            if let known = numbers[runID] {
                if started < starts[known] { starts[known] = started }
                if ended > ends[known] { ends[known] = ended }
                return known
            }
            numbers[runID] = ids.count
            ids.append(runID)
            starts.append(started)
            ends.append(max(started, ended))
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
    static func latestTests(
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
    static func table(_ url: URL) throws -> CSVTable? {
        let size = (try? FileManager.default.attributesOfItem(atPath: url.path)[.size] as? Int) ?? nil
        guard let size, size > 0 else { return nil }
        return try CSVTable.read(url)
    }

    /// A lookup of `table`'s columns that names the file when one is missing.
    static func columns(_ table: CSVTable, _ url: URL) throws -> (String) throws -> Int {
        { name in
            guard let index = table.column(name) else {
                throw CSVTable.ReadError(path: url.path, message: "the history has no \(name) column")
            }
            return index
        }
    }

}
