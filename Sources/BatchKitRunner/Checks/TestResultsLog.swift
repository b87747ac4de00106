import BatchKit
import Foundation

/// The history of post-job test results, `logs/test_results.csv`: one row
/// per check per run, beside the step history.
public struct TestResultsLog: Sendable {
    /// The columns of a new file, in order.
    public static let columns = ["run_id", "job", "test", "status", "started_at", "ended_at", "duration_s", "message"]

    private let file: CSVHistoryFile

    public init(url: URL) {
        file = CSVHistoryFile(url: url, columns: Self.columns)
    }

    /// Appends the results of one run.
    public func append(_ results: [CheckResult], runID: String, job: String) throws {
        try file.append(results.map { result in
            [
                "run_id": runID, "job": job, "test": result.name, "status": result.status.rawValue,
                "started_at": Timestamp.iso8601(result.startedAt), "ended_at": Timestamp.iso8601(result.endedAt),
                "duration_s": String(format: "%.3f", result.durationSeconds), "message": result.message,
            ]
        })
    }
}
