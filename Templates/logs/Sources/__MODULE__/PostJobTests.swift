import BatchKit
import Foundation

/// The post-job tests: run after every successful run of the steps, they
/// check that the totals agree with each other and with the input.
let postJobTests: [Check] = [
    .csvHasColumns("data/output/requests_by_status.csv", ["status", "requests"]),
    .csvHasColumns("data/output/bytes_by_hour.csv", ["hour", "bytes"]),
    .csvRowCount("data/output/top_paths.csv", atLeast: 1),
    Check("requests per status add up to all requests") { context in
        let summary = try LogSummary.read(from: context.path("data/output/summary.json"))
        let table = try CSVTable.read(context.path("data/output/requests_by_status.csv"))
        let sum = table.rows.reduce(0) { $0 + (Int($1[1]) ?? 0) }
        guard sum == summary.requests else {
            throw CheckFailure("statuses add up to \(sum) requests; summary.json says \(summary.requests)")
        }
        return "\(sum) requests"
    },
    Check("bytes per hour add up to all bytes") { context in
        let summary = try LogSummary.read(from: context.path("data/output/summary.json"))
        let table = try CSVTable.read(context.path("data/output/bytes_by_hour.csv"))
        let sum = table.rows.reduce(0) { $0 + (Int($1[1]) ?? 0) }
        guard sum == summary.bytes else { throw CheckFailure("hours add up to \(sum) bytes; summary.json says \(summary.bytes)") }
        return "\(sum) bytes in \(table.rows.count) hours"
    },
    Check("every line is a request or a malformed line in the rejects file") { context in
        let summary = try LogSummary.read(from: context.path("data/output/summary.json"))
        var lines = 0
        for file in summary.files {
            lines += try LineCount.count(file.hasPrefix("/") ? URL(fileURLWithPath: file) : context.path(file))
        }
        let rejects = FileManager.default.fileExists(atPath: context.path(LogAnalysis.rejectsFile).path)
            ? try CSVTable.read(context.path(LogAnalysis.rejectsFile)).rows.count : 0
        guard lines == summary.requests + summary.malformed, rejects == summary.malformed else {
            throw CheckFailure("\(lines) lines in the input; \(summary.requests) requests + \(summary.malformed) malformed, \(rejects) in the rejects file")
        }
        return "\(lines) lines = \(summary.requests) requests + \(summary.malformed) malformed"
    },
]

/// Lines in a file, counted plainly (a last line without a line end counts).
enum LineCount {
    static func count(_ url: URL) throws -> Int {
        let handle = try FileHandle(forReadingFrom: url)
        defer { try? handle.close() }
        var lines = 0, last: UInt8 = 0x0A
        while let data = try handle.read(upToCount: 1 << 20), !data.isEmpty {
            for byte in data where byte == 0x0A { lines += 1 }
            last = data.last ?? last
        }
        return last == 0x0A ? lines : lines + 1
    }
}
