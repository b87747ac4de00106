import BatchKit
import Foundation

/// One row of `logs/execution_logs.csv`: one attempt of one step (or one
/// skipped step) in one run.
public struct ExecutionRecord: Sendable, Equatable, Codable {
    public var runID: String
    public var job: String
    public var stepID: StepID
    public var stepName: String
    /// 1 for the first attempt; 0 for a step that was skipped.
    public var attempt: Int
    public var status: Status
    public var startedAt: Date
    public var endedAt: Date
    public var cpuSeconds: Double?
    public var maxRSSKilobytes: Int?
    /// `0`, `3`, or a signal name such as `SIGSEGV`; empty when nothing ran.
    public var exitStatus: String
    /// Why it failed or was skipped.
    public var reason: FailureReason
    /// The human explanation: the error thrown, "killed by SIGKILL…".
    public var message: String
    /// The attempt's log file, relative to the project.
    public var logFile: String
    public var host: String
    /// The run's date (``RunDate``); the recorder fills it in. Empty in rows
    /// of batchkit before 0.2.
    public var runDate: RunDate?

    public init(
        runID: String, job: String, stepID: StepID, stepName: String, attempt: Int, status: Status,
        startedAt: Date, endedAt: Date, cpuSeconds: Double? = nil, maxRSSKilobytes: Int? = nil,
        exitStatus: String = "", reason: FailureReason = .empty, message: String = "", logFile: String = "",
        host: String = ExecutionRecord.hostName
    ) {
        self.runID = runID
        self.job = job
        self.stepID = stepID
        self.stepName = stepName
        self.attempt = attempt
        self.status = status
        self.startedAt = startedAt
        self.endedAt = endedAt
        self.cpuSeconds = cpuSeconds
        self.maxRSSKilobytes = maxRSSKilobytes
        self.exitStatus = exitStatus
        self.reason = reason
        self.message = message
        self.logFile = logFile
        self.host = host
    }

    /// Wall time in seconds.
    public var durationSeconds: Double { endedAt.timeIntervalSince(startedAt) }

    /// The step id of a row about a whole run that did not start (another
    /// run held the lock, or `--wait-for` timed out): reason `locked` or
    /// `wait timeout`.
    public static let runStepID: StepID = 0
    /// The step name of such a row.
    public static let runStepName = "(run not started)"

    /// The row of a step found up to date: status `CACHED`, attempt 0, and
    /// a message naming the run whose pass it takes.
    public static func cached(runID: String, job: String, step: Step, entry: CacheEntry, at now: Date = Date()) -> ExecutionRecord {
        ExecutionRecord(
            runID: runID, job: job, stepID: step.id, stepName: step.name, attempt: 0, status: .cached, startedAt: now, endedAt: now,
            message: "up to date: passed in run \(entry.runID)")
    }

    /// The run a `CACHED` row takes its pass from, read back from its message.
    public var cachedFrom: String? {
        guard status == .cached, message.hasPrefix("up to date: passed in run ") else { return nil }
        return String(message.dropFirst("up to date: passed in run ".count))
    }

    /// This machine's name, as recorded in the `host` column.
    public static let hostName: String = ProcessInfo.processInfo.hostName
}

/// The CSV history of step attempts, `logs/execution_logs.csv`.
public struct ExecutionLog: Sendable {
    /// The columns of a new history file, in order.
    public static let columns = [
        "run_id", "job", "step_id", "step_name", "attempt", "status", "started_at", "ended_at",
        "duration_s", "cpu_s", "max_rss_kb", "exit_status", "reason", "message", "log_file", "host", "run_date",
    ]

    private let file: CSVHistoryFile

    /// The history at `url`.
    public init(url: URL) {
        file = CSVHistoryFile(url: url, columns: Self.columns)
    }

    /// Appends records, creating the file with its header if needed, and
    /// `fsync`s them unless `sync` is `false` (then ``sync()`` does).
    public func append(_ records: [ExecutionRecord], sync: Bool = true) throws {
        try file.append(records.map(Self.fields), sync: sync)
    }

    /// `fsync`s records appended without it.
    public func sync() throws {
        try file.sync()
    }

    /// Reads every record back. Rows that cannot be understood are skipped.
    public func readAll() throws -> [ExecutionRecord] {
        guard let table = try file.readTable() else { return [] }
        let columns = Columns(table.header)
        return table.rows.compactMap(columns.record)
    }

    static func fields(_ record: ExecutionRecord) -> [String: String] {
        [
            "run_id": record.runID, "job": record.job, "step_id": record.stepID.description,
            "step_name": record.stepName, "attempt": String(record.attempt),
            "status": record.status.rawValue,
            "started_at": Timestamp.iso8601(record.startedAt),
            "ended_at": Timestamp.iso8601(record.endedAt),
            "duration_s": String(format: "%.3f", record.durationSeconds),
            "cpu_s": record.cpuSeconds.map { String(format: "%.3f", $0) } ?? "",
            "max_rss_kb": record.maxRSSKilobytes.map(String.init) ?? "",
            "exit_status": record.exitStatus, "reason": record.reason.rawValue, "message": record.message,
            "log_file": record.logFile, "host": record.host, "run_date": record.runDate?.description ?? "",
        ]
    }

    /// Where each column is in a history's header (a file of an older
    /// batchkit has fewer), to read its rows without a dictionary per row.
    struct Columns {
        private let runID, job, stepID, stepName, attempt, status, startedAt, endedAt: Int?
        private let cpu, memory, exitStatus, reason, message, logFile, host, runDate: Int?

        init(_ header: [String]) {
            func at(_ name: String) -> Int? { header.firstIndex(of: name) }
            (runID, job, stepID, stepName) = (at("run_id"), at("job"), at("step_id"), at("step_name"))
            (attempt, status, startedAt, endedAt) = (at("attempt"), at("status"), at("started_at"), at("ended_at"))
            (cpu, memory, exitStatus, reason) = (at("cpu_s"), at("max_rss_kb"), at("exit_status"), at("reason"))
            (message, logFile, host, runDate) = (at("message"), at("log_file"), at("host"), at("run_date"))
        }

        /// The record a row holds, or `nil` when it lacks what every record has.
        func record(_ row: [String]) -> ExecutionRecord? {
            func field(_ index: Int?) -> String? {
                guard let index, index < row.count else { return nil }
                return row[index]
            }
            guard let runID = field(runID), let stepID = field(stepID).flatMap({ StepID($0) }),
                  let status = field(status).flatMap({ Status(outcome: $0) }),
                  let started = field(startedAt).flatMap(Timestamp.parse),
                  let ended = field(endedAt).flatMap(Timestamp.parse)
            else { return nil }
            var record = ExecutionRecord(
                runID: runID, job: field(job) ?? "", stepID: stepID, stepName: field(stepName) ?? "",
                attempt: field(attempt).flatMap { Int($0) } ?? 0, status: status,
                startedAt: started, endedAt: ended,
                cpuSeconds: field(cpu).flatMap { Double($0) },
                maxRSSKilobytes: field(memory).flatMap { Int($0) },
                exitStatus: field(exitStatus) ?? "", reason: FailureReason(word: field(reason) ?? ""),
                message: field(message) ?? "", logFile: field(logFile) ?? "", host: field(host) ?? "")
            record.runDate = field(runDate).flatMap { RunDate($0) }
            return record
        }
    }
}
