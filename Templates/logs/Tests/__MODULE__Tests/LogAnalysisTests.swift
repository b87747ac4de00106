import BatchKit
import BatchKitParallel
import Foundation
import Testing

@testable import {{MODULE}}

/// Unit tests of the log analysis. Run them with `swift test`; the post-job
/// tests in Sources/{{MODULE}}/PostJobTests.swift check a real run's outputs.
@Suite struct LogAnalysisTests {
    static let sample = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("data/input/access.log")

    /// The obvious implementation, to compare with: split each line on
    /// spaces, as `awk` would.
    static func reference(_ text: String) -> (statuses: [Int: Int], paths: [String: Int], bytes: Int, malformed: Int) {
        var statuses: [Int: Int] = [:], paths: [String: Int] = [:], bytes = 0, malformed = 0
        for line in text.split(separator: "\n", omittingEmptySubsequences: false).dropLast() {
            let fields = line.split(separator: " ", omittingEmptySubsequences: false)
            guard fields.count >= 10, fields[3].hasPrefix("["), fields[5].hasPrefix("\""), fields[7].hasSuffix("\""),
                  let status = Int(fields[8]), (100...599).contains(status), fields[8].count == 3,
                  fields[9] == "-" || Int(fields[9]) != nil
            else { malformed += 1; continue }
            let path = String(fields[6].split(separator: "?", omittingEmptySubsequences: false)[0])
            statuses[status, default: 0] += 1
            paths[path, default: 0] += 1
            bytes += Int(fields[9]) ?? 0
        }
        return (statuses, paths, bytes, malformed)
    }

    @Test(arguments: [1, 2])
    func theSampleIsAnalysedLikeTheReference(workers: Int) async throws {
        let text = try String(contentsOf: Self.sample, encoding: .utf8)
        let expected = Self.reference(text)
        let analysis = try await LogAnalysis.analyze(
            [try InputFile(Self.sample)], using: MapReduce(workers: workers, chunkBytes: 97, splitBytes: 512, errorBudget: .unlimited))
        #expect(analysis.statuses == expected.statuses)
        #expect(analysis.bytes == expected.bytes)
        #expect(analysis.malformed == expected.malformed)
        #expect(analysis.malformed == 3)
        for (path, requests) in analysis.paths { #expect(expected.paths[path] == requests, "\(path)") }
        #expect(analysis.distinctPaths == expected.paths.count)
    }

    @Test(arguments: [
        ("1.2.3.4 - - [21/Nov/2026:02:13:45 +0000] \"GET /a HTTP/1.1\" 2OO 5", "status"),
        ("1.2.3.4 - - [21/Xyz/2026:02:13:45 +0000] \"GET /a HTTP/1.1\" 200 5", "timestamp"),
        ("1.2.3.4 - - [21/Nov/2026:02:13:45 +0000] \"GET /a HTTP/1.1", "quote"),
        ("1.2.3.4 - - [21/Nov/2026:02:13:45 +0000] \"GET /a HTTP/1.1\" 200 five", "size"),
        ("not a log line", "timestamp"),
    ])
    func malformedLinesSayWhatIsWrong(line: String, mentions: String) {
        var bytes = Array(line.utf8)
        bytes.withUnsafeMutableBytes { buffer in
            #expect {
                _ = try AccessLogLine(UnsafeRawBufferPointer(buffer))
            } throws: { error in
                "\(error)".contains(mentions)
            }
        }
    }

    @Test func tooManyMalformedLinesFailWithASummary() async throws {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("bad-\(UUID().uuidString).log")
        let rejects = url.appendingPathExtension("rejects.csv")
        defer { try? FileManager.default.removeItem(at: url); try? FileManager.default.removeItem(at: rejects) }
        try Data("garbage\n".utf8 + Data(contentsOf: Self.sample)).write(to: url)
        let budget = MapReduce(workers: 2, errorBudget: .fraction(0.01), rejectsFile: rejects)
        await #expect(throws: ErrorBudgetExceeded.self) { try await LogAnalysis.analyze([try InputFile(url)], using: budget) }
        #expect(try CSVTable.read(rejects).rows.count == 4)
    }

    @Test func syntheticLogsParseAndHaveTheSizeAskedFor() async throws {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("synthetic-\(UUID().uuidString).log")
        defer { try? FileManager.default.removeItem(at: url) }
        try SyntheticLog.write(bytes: 300_000, to: url)
        #expect(try InputFile(url).size == 300_000)
        let analysis = try await LogAnalysis.analyze([try InputFile(url)], using: MapReduce(errorBudget: .fraction(0.01)))
        #expect(analysis.requests > 2000)
        #expect(analysis.statuses[200, default: 0] > analysis.requests / 2)
    }
}
