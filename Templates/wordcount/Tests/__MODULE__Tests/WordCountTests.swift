import BatchKit
import BatchKitParallel
import Foundation
import Testing

@testable import {{MODULE}}

/// Unit tests of the word count. Run them with `swift test`; the post-job
/// tests in Sources/{{MODULE}}/PostJobTests.swift check a real run's outputs.
@Suite struct WordCountTests {
    /// The obvious implementation, to compare with: split the whole text.
    static func reference(_ text: String) -> [String: Int] {
        var counts: [String: Int] = [:]
        let separators: Set<UInt8> = [0x20, 0x09, 0x0A, 0x0B, 0x0C, 0x0D]
        for word in Array(text.utf8).split(whereSeparator: { separators.contains($0) }) {
            counts[String(decoding: word, as: UTF8.self), default: 0] += 1
        }
        return counts
    }

    static func temporaryFile(_ text: String) throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("wordcount-\(UUID().uuidString).txt")
        try Data(text.utf8).write(to: url)
        return url
    }

    static func count(_ text: String, chunkBytes: Int, workers: Int) async throws -> [String: Int] {
        let url = try temporaryFile(text)
        defer { try? FileManager.default.removeItem(at: url) }
        let mapReduce = MapReduce(workers: workers, chunkBytes: chunkBytes, splitBytes: 16)
        let result = try await WordCount.count([try InputFile(url)], using: mapReduce)
        return Dictionary(uniqueKeysWithValues: result.dictionary.map { ($0.key.description, $0.value) })
    }

    @Test(arguments: [(7, 1), (7, 3), (64, 2), (4 << 20, 2)])
    func theSampleIsCountedLikeTheReference(chunkBytes: Int, workers: Int) async throws {
        let sample = try String(contentsOf: URL(fileURLWithPath: #filePath)
            .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("data/input/sample.txt"), encoding: .utf8)
        #expect(try await Self.count(sample, chunkBytes: chunkBytes, workers: workers) == Self.reference(sample))
    }

    @Test(arguments: ["", "\n\n", "no line end", "crlf\r\nline ends\r\n", "tabs\tand  spaces \u{0B}\u{0C}x\n",
                      "日本語 café über\nnaïve café\n", String(repeating: "longword", count: 100) + " short\n"])
    func edgeCasesMatchTheReference(text: String) async throws {
        #expect(try await Self.count(text, chunkBytes: 5, workers: 2) == Self.reference(text))
    }

    /// Real text holds words like `"🏻",` or `"́hi`: a quote that an emoji
    /// modifier or a combining mark follows. word_counts.csv must still read
    /// back as the same words, or the next step fails.
    @Test func wordsWithQuotesReadBackFromTheCSV() throws {
        let text = "say \"\u{301}hi\" \"\u{1F3FB}\", \"\u{1F3FB}\", plain,word\n"
        let counts = Self.reference(text)
        let url = try Self.temporaryFile("")
        defer { try? FileManager.default.removeItem(at: url) }
        let rows = counts.sorted { $0.key < $1.key }.map { (key: ByteString($0.key), value: $0.value) }
        try WordCount.writeCSV(rows, to: url)
        let table = try CSVTable.read(url)
        #expect(table.header == ["word", "count"])
        let read = Dictionary(uniqueKeysWithValues: table.rows.map { (Array($0[0].unicodeScalars), Int($0[1]) ?? 0) })
        #expect(read == Dictionary(uniqueKeysWithValues: counts.map { (Array($0.key.unicodeScalars), $0.value) }))
    }

    @Test func syntheticTextHasTheSizeAskedForAndIsValidUTF8() throws {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("synthetic-\(UUID().uuidString).txt")
        defer { try? FileManager.default.removeItem(at: url) }
        try SyntheticText.write(bytes: 100_003, to: url)
        let data = try Data(contentsOf: url)
        #expect(data.count == 100_003)
        #expect(String(data: data, encoding: .utf8) != nil)
        #expect(data.last == 0x0A)
    }
}
