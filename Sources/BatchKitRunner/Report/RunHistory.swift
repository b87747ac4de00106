import BatchKit
import Foundation

/// `./run.sh history`: what `logs/execution_logs.csv` says about each step
/// across runs — how often it ran and passed, how long it usually takes
/// (median and 95th percentile), how it did last time — with a flag on a
/// step whose latest time is far above its median.
public struct RunHistory: Sendable, Codable {
    /// One step's summary.
    public struct StepSummary: Sendable, Codable, Equatable {
        public var stepID: StepID
        public var name: String
        /// Runs in which the step was attempted (not SKIPPED).
        public var runs: Int
        public var passes: Int
        public var passRate: Double
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
    /// Runs that started.
    public var runs: Int
    public var since: Date?
    public var steps: [StepSummary]
    /// Runs that did not start, oldest first.
    public var notStarted: [NotStarted] = []

    /// Summarises the history at `url`, optionally only runs started at or
    /// after `since`. Reads the file in one pass without date parsing, so
    /// 100,000 rows take well under a second (see `bench/history.sh`).
    public static func load(_ url: URL, job: String, since: Date? = nil) throws -> RunHistory {
        // No file, or an empty one (created before a run that wrote no row): no runs.
        let size = (try? FileManager.default.attributesOfItem(atPath: url.path)[.size] as? Int) ?? nil
        guard let size, size > 0 else {
            return RunHistory(job: job, runs: 0, since: since, steps: [], notStarted: [])
        }
        let table = try CSVTable.read(url)
        func column(_ name: String) throws -> Int {
            guard let index = table.column(name) else {
                throw CSVTable.ReadError(path: url.path, message: "the history has no \(name) column")
            }
            return index
        }
        let jobColumn = table.column("job")
        let runColumn = try column("run_id"), stepColumn = try column("step_id"), nameColumn = try column("step_name")
        let statusColumn = try column("status"), startColumn = try column("started_at"), durationColumn = try column("duration_s")
        let cutoff = since.map(Timestamp.iso8601)
        let reasonColumn = table.column("reason"), messageColumn = table.column("message")
        var notStarted: [NotStarted] = []

        // The final record of each (run, step): the last row, as rows are
        // appended in order. Runs are numbered as met, to keep keys cheap.
        struct Final { var status: Status; var seconds: Double; var name: String }
        var runNumber: [String: Int] = [:]
        var runIDs: [String] = []
        var runStarts: [String] = []
        var finals: [StepID: [Int: Final]] = [:]
        for row in table.rows where row.count > max(runColumn, stepColumn, statusColumn, startColumn, durationColumn, nameColumn) {
            let started = row[startColumn]
            if let cutoff, started < cutoff { continue }
            // Task lists that share a folder share the history file.
            if let jobColumn, jobColumn < row.count, row[jobColumn] != job { continue }
            guard let id = StepID(row[stepColumn]), let status = Status(outcome: row[statusColumn]) else { continue }
            if id == ExecutionRecord.runStepID {
                func field(_ column: Int?) -> String { column.map { $0 < row.count ? row[$0] : "" } ?? "" }
                notStarted.append(NotStarted(runID: row[runColumn], at: started, reason: field(reasonColumn), message: field(messageColumn)))
                continue
            }
            let run: Int
            if let known = runNumber[row[runColumn]] {
                run = known
                if started < runStarts[run] { runStarts[run] = started }
            } else {
                run = runIDs.count
                runNumber[row[runColumn]] = run
                runIDs.append(row[runColumn])
                runStarts.append(started)
            }
            finals[id, default: [:]][run] = Final(status: status, seconds: Double(row[durationColumn]) ?? 0, name: row[nameColumn])
        }
        // Runs by start time (then id), as ranks.
        var rank = [Int](repeating: 0, count: runIDs.count)
        for (position, run) in runIDs.indices.sorted(by: { (runStarts[$0], runIDs[$0]) < (runStarts[$1], runIDs[$1]) }).enumerated() {
            rank[run] = position
        }

        var steps: [StepSummary] = []
        for (id, byRun) in finals.sorted(by: { $0.key < $1.key }) {
            let ordered = byRun.sorted { rank[$0.key] < rank[$1.key] }
            let attempted = ordered.filter { $0.value.status != .skipped }
            let passes = attempted.filter { $0.value.status == .pass }
            let timed = (passes.isEmpty ? attempted : passes).map(\.value.seconds).sorted()
            guard let last = ordered.last else { continue }
            let median = percentile(timed, 0.5)
            let lastSeconds = last.value.seconds
            steps.append(StepSummary(
                stepID: id, name: last.value.name, runs: attempted.count, passes: passes.count,
                passRate: attempted.isEmpty ? 0 : Double(passes.count) / Double(attempted.count),
                medianSeconds: median, p95Seconds: percentile(timed, 0.95),
                lastStatus: last.value.status, lastSeconds: lastSeconds, lastRunID: runIDs[last.key],
                slow: last.value.status != .skipped && timed.count >= 3 && lastSeconds >= 2 * median && lastSeconds - median >= 0.5))
        }
        return RunHistory(job: job, runs: runIDs.count, since: since, steps: steps, notStarted: notStarted.sorted { $0.at < $1.at })
    }

    /// The `q` quantile of sorted values, by the nearest-rank method.
    static func percentile(_ sorted: [Double], _ q: Double) -> Double {
        guard !sorted.isEmpty else { return 0 }
        let rank = Int((q * Double(sorted.count)).rounded(.up))
        return sorted[min(max(rank, 1), sorted.count) - 1]
    }

    /// The summary as a table, names and messages shown through
    /// ``VisibleText``.
    public func render(style: TerminalStyle = TerminalStyle(colors: false)) -> String {
        let scope = since.map { " since \(Timestamp.iso8601($0))" } ?? ""
        let job = VisibleText.line(job)
        guard !steps.isEmpty || !notStarted.isEmpty else { return "\(job): no runs in the history\(scope) yet.\n" }
        var lines = ["\(style.paint(job, .bold)): \(runs) run\(runs == 1 ? "" : "s")\(scope)", ""]
        let names = steps.map { VisibleText.line($0.name) }
        let nameWidth = max(4, names.map(\.count).max() ?? 0)
        func pad(_ text: String, _ width: Int) -> String {
            text.count >= width ? text : text + String(repeating: " ", count: width - text.count)
        }
        lines.append("  " + style.paint("ID  \(pad("STEP", nameWidth))  RUNS  PASS    MEDIAN    P95       LAST", .bold))
        for (step, name) in zip(steps, names) {
            var line = "  \(pad(step.stepID.display, 2))  \(pad(name, nameWidth))  \(pad(String(step.runs), 6))"
                + pad(String(format: "%.0f%%", step.passRate * 100), 8)
                + pad(DurationFormat.seconds(step.medianSeconds), 10) + pad(DurationFormat.seconds(step.p95Seconds), 10)
                + style.status(step.lastStatus) + " " + (step.lastStatus == .skipped ? "" : DurationFormat.seconds(step.lastSeconds))
            if step.slow {
                line += style.paint("  ⚠ slow: \(String(format: "%.1f", step.lastSeconds / max(step.medianSeconds, 0.001)))× its median", .yellow)
            }
            lines.append(line.trimmingTrailingSpaces())
        }
        if !notStarted.isEmpty {
            let counts = Dictionary(grouping: notStarted, by: \.reason).map { "\($0.value.count) \($0.key)" }.sorted()
            lines.append("")
            lines.append(style.paint("Not started", .bold) + ": \(notStarted.count) (\(counts.joined(separator: ", "))); latest:")
            for entry in notStarted.suffix(3) {
                lines.append("  \(entry.at)  " + style.paint(VisibleText.line(entry.reason), .red) + "  \(VisibleText.line(String(entry.message.prefix(160))))")
            }
        }
        return lines.joined(separator: "\n") + "\n"
    }
}
