import BatchKit
import BatchKitParallel
import Foundation

/// What the analysis counts: one key per status, path and hour.
enum Metric: Hashable, Sendable {
    /// Requests with this status code.
    case status(Int)
    /// Requests for this path.
    case path(ByteString)
    /// Response bytes in this hour (`2026112102`).
    case hourBytes(Int)
}

/// The analysis itself, apart from files and logs so tests can call it.
struct LogAnalysis {
    static let errorBudget = ErrorBudget.fraction(0.05)
    static let rejectsFile = "data/rejects/malformed_lines.csv"
    static let topPaths = 20

    var lines: Int
    var malformed: Int
    var statuses: [Int: Int] = [:]
    var paths: [(path: String, requests: Int)] = []
    var distinctPaths = 0
    var bytesByHour: [Int: Int] = [:]
    var workers = 1
    var seconds = 0.0

    var requests: Int { lines - malformed }
    var bytes: Int { bytesByHour.values.reduce(0, +) }

    static func analyze(_ inputs: [InputFile], using mapReduce: MapReduce) async throws -> LogAnalysis {
        let result = try await mapReduce.run(inputs) { (line: Line, out: inout Emitter<Metric, Int>) in
            let request = try AccessLogLine(line.bytes)  // a malformed line throws: rejected
            out.emit(.status(request.status), 1)
            out.emit(.path(ByteString(request.path)), 1)
            out.emit(.hourBytes(request.hour), request.bytes)
        } combine: { $0 += $1 }
        var analysis = LogAnalysis(lines: result.records, malformed: result.rejected, workers: result.workers, seconds: result.seconds)
        var paths: [(path: String, requests: Int)] = []
        result.forEach { metric, value in
            switch metric {
            case .status(let code): analysis.statuses[code] = value
            case .path(let path): paths.append((path.description, value))
            case .hourBytes(let hour): analysis.bytesByHour[hour] = value
            }
        }
        analysis.distinctPaths = paths.count
        analysis.paths = Array(paths.sorted { $0.requests != $1.requests ? $0.requests > $1.requests : $0.path < $1.path }.prefix(topPaths))
        return analysis
    }

    /// `2026112102` → `2026-11-21T02`.
    static func hourLabel(_ hour: Int) -> String {
        let text = String(hour)
        guard text.count == 10 else { return text }
        let c = Array(text)
        return "\(String(c[0..<4]))-\(String(c[4..<6]))-\(String(c[6..<8]))T\(String(c[8..<10]))"
    }

    /// `path` relative to the project when it is inside it.
    static func relative(_ path: String, to project: URL) -> String {
        for root in [project.path + "/", project.standardizedFileURL.path + "/"] where path.hasPrefix(root) {
            return String(path.dropFirst(root.count))
        }
        return path
    }

    /// Writes the CSV files and summary.json into `folder`.
    func write(to folder: URL, files: [String]) throws {
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        try CSVTable(header: ["status", "requests"], rows: statuses.sorted { $0.key < $1.key }.map { [String($0.key), String($0.value)] })
            .write(to: folder.appendingPathComponent("requests_by_status.csv"))
        try CSVTable(header: ["path", "requests"], rows: paths.map { [$0.path, String($0.requests)] })
            .write(to: folder.appendingPathComponent("top_paths.csv"))
        try CSVTable(header: ["hour", "bytes"], rows: bytesByHour.sorted { $0.key < $1.key }.map { [Self.hourLabel($0.key), String($0.value)] })
            .write(to: folder.appendingPathComponent("bytes_by_hour.csv"))
        let summary = LogSummary(
            files: files, lines: lines, requests: requests, malformed: malformed, bytes: bytes,
            distinctPaths: distinctPaths, workers: workers, seconds: seconds)
        try summary.write(to: folder.appendingPathComponent("summary.json"))
    }
}
