import Foundation

/// The totals, written to data/output/summary.json.
struct LogSummary: Codable, Equatable {
    var files: [String]
    var lines: Int
    var requests: Int
    var malformed: Int
    var bytes: Int
    var distinctPaths: Int
    var workers: Int
    var seconds: Double

    func write(to url: URL) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        try encoder.encode(self).write(to: url, options: .atomic)
    }

    static func read(from url: URL) throws -> LogSummary {
        try JSONDecoder().decode(LogSummary.self, from: Data(contentsOf: url))
    }
}
