import BatchKit
import Foundation

/// Each step's recent runs, from `logs/execution_logs.csv`, for the
/// sparklines of `report.html`.
public struct StepTrends: Sendable {
    /// One run of a step: its attempts' total time and its last status.
    public struct Point: Sendable, Equatable {
        public let runID: String
        /// The run's attempts of the step, their wall times added up.
        public let seconds: Double
        /// The status of the run's last attempt.
        public let status: Status

        public init(runID: String, seconds: Double, status: Status) {
            self.runID = runID
            self.seconds = seconds
            self.status = status
        }
    }

    /// The last runs of each step, oldest first.
    public let points: [StepID: [Point]]

    public init(points: [StepID: [Point]]) {
        self.points = points
    }

    /// The last `limit` runs of each step of `job` that ran (CACHED and
    /// SKIPPED rows are not runs).
    ///
    /// - Parameters:
    ///   - limit: Runs kept per step, the latest.
    ///   - tailBytes: Read only the rows in the history's last this many
    ///     bytes (`nil`: all of it), so a report does not read years of history.
    ///   - end: Read only the history's first this many bytes: its size when
    ///     a run started, so that rows the run appends while it is read are
    ///     never read half-written.
    public static func read(_ layout: RunLayout, job: String, limit: Int = 30, tailBytes: Int? = 2 * 1024 * 1024, upTo end: UInt64? = nil) -> StepTrends {
        let rows = recentRows(layout.executionLog, tailBytes: tailBytes, upTo: end)
        var byStep: [StepID: [(run: String, seconds: Double, status: Status)]] = [:]
        for row in rows where row.job == job && row.stepID > 0 && row.attempt > 0 {
            // Changed in place: a copy of the list per row would make a long history quadratic.
            if let count = byStep[row.stepID]?.count, byStep[row.stepID]?[count - 1].run == row.runID {
                byStep[row.stepID]?[count - 1].seconds += row.durationSeconds
                byStep[row.stepID]?[count - 1].status = row.status
            } else {
                byStep[row.stepID, default: []].append((row.runID, row.durationSeconds, row.status))
            }
        }
        return StepTrends(points: byStep.mapValues { list in
            list.suffix(limit).map { Point(runID: $0.run, seconds: $0.seconds, status: $0.status) }
        })
    }

    /// These trends and the attempts a run made since `since`: what a run
    /// read from the history before it started, brought up to its end (the
    /// run's own rows are not read back). Points of an earlier session of
    /// the same run are added to.
    public func adding(run runID: String, steps: [StepRun], since: Date, limit: Int = 30) -> StepTrends {
        var points = self.points
        for step in steps {
            let attempts = step.records.filter { $0.attempt > 0 && $0.endedAt >= since }
            guard let last = attempts.last else { continue }
            let seconds = attempts.reduce(0) { $0 + $1.durationSeconds }
            if let count = points[step.stepID]?.count, let previous = points[step.stepID]?[count - 1], previous.runID == runID {
                points[step.stepID]?[count - 1] = Point(runID: runID, seconds: previous.seconds + seconds, status: last.status)
            } else {
                points[step.stepID, default: []].append(Point(runID: runID, seconds: seconds, status: last.status))
            }
            points[step.stepID] = points[step.stepID].map { Array($0.suffix(limit)) }
        }
        return StepTrends(points: points)
    }

    /// The rows in the last `tailBytes` (all when `nil`) of the history's
    /// first `end` bytes (all when `nil`). A cut lands inside a record:
    /// reading starts at the first line that is a whole record of its own.
    static func recentRows(_ url: URL, tailBytes: Int?, upTo end: UInt64?) -> [ExecutionRecord] {
        guard let handle = try? FileHandle(forReadingFrom: url) else { return [] }
        defer { try? handle.close() }
        guard let size = try? handle.seekToEnd() else { return [] }
        let end = min(end ?? size, size)
        try? handle.seek(toOffset: 0)
        guard let head = try? handle.read(upToCount: 4096), let headerEnd = head.firstIndex(of: 0x0A) else { return [] }
        var headerLine = head[..<headerEnd]
        if headerLine.last == 0x0D { headerLine = headerLine.dropLast() }
        let header = (try? CSV.parse(String(decoding: headerLine, as: UTF8.self)))?.first ?? []
        let columns = ExecutionLog.Columns(header)
        let firstRow = UInt64(headerEnd + 1)
        guard end > firstRow else { return [] }
        // From the byte before the cut, so that a cut right at a record's start is seen as one.
        let from = max(tailBytes.map { end > UInt64($0) ? end - UInt64($0) : 0 } ?? 0, firstRow) - 1
        try? handle.seek(toOffset: from)
        guard let data = try? handle.read(upToCount: Int(end - from)) else { return [] }
        let table: [[String]]? = data.withUnsafeBytes { bytes in
            var start = 1
            if from >= firstRow {
                // A line feed after which a whole record parses starts one (from inside a
                // quoted message, what follows almost never has every column, a step id, a
                // status and two times).
                func recordEnd(after at: Int) -> Int? {
                    var quoted = false
                    for index in (at + 1)..<bytes.count {
                        if bytes[index] == 0x22 { quoted.toggle() } else if bytes[index] == 0x0A, !quoted { return index }
                    }
                    return nil
                }
                var newline = bytes.firstIndex(of: 0x0A)
                while let at = newline {
                    guard let end = recordEnd(after: at) else {
                        newline = nil
                        break
                    }
                    let textEnd = end > at + 1 && bytes[end - 1] == 0x0D ? end - 1 : end  // CRLF
                    let record = UnsafeRawBufferPointer(rebasing: bytes[(at + 1)..<textEnd])
                    if let fields = (try? CSV.parse(bytes: record))?.first, fields.count == header.count, columns.record(fields) != nil {
                        break
                    }
                    newline = bytes[(at + 1)...].firstIndex(of: 0x0A)
                }
                guard let at = newline else { return nil }
                start = at + 1
            }
            return try? CSV.parse(bytes: UnsafeRawBufferPointer(rebasing: bytes[start...]))
        }
        return (table ?? []).compactMap { fields in fields.count <= header.count ? columns.record(fields) : nil }
    }

    /// The slow flag `history` uses: the latest at least twice the median of
    /// the passes and half a second more, over three runs at least.
    public func isSlow(_ id: StepID) -> Bool {
        guard let list = points[id], let last = list.last, last.status != .skipped else { return false }
        let passes = list.filter { $0.status == .pass }.map(\.seconds).sorted()
        guard passes.count >= 3 else { return false }
        let median = passes[passes.count / 2]
        return last.seconds >= 2 * median && last.seconds - median >= 0.5
    }
}
