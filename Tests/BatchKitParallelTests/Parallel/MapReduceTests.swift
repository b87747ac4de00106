import BatchKit
import BatchKitParallel
import Foundation
import TestSupport
import Testing

/// MapReduce against a plain reference, on the edge cases that break
/// chunked, parallel readers.
@Suite struct MapReduceTests {
    /// The obvious word count: split the whole text on ASCII whitespace.
    static func reference(_ bytes: [UInt8]) -> [String: Int] {
        var counts: [String: Int] = [:]
        for word in bytes.split(whereSeparator: { $0 == 0x20 || ($0 >= 0x09 && $0 <= 0x0D) }) {
            counts[String(decoding: word, as: UTF8.self), default: 0] += 1
        }
        return counts
    }

    static func wordCount(_ file: URL, chunkBytes: Int, workers: Int, splitBytes: Int64 = 8) async throws -> (counts: [String: Int], lines: Int) {
        let result = try await MapReduce(workers: workers, chunkBytes: chunkBytes, splitBytes: splitBytes)
            .run([try InputFile(file)]) { (line: Line, out: inout Emitter<ByteString, Int>) in
                line.forEachWord { out.emit(bytes: $0, 1) }
            } combine: { $0 += $1 }
        return (Dictionary(uniqueKeysWithValues: result.dictionary.map { ($0.key.description, $0.value) }), result.records)
    }

    static let cases: [(String, [UInt8])] = [
        ("empty file", []),
        ("no trailing newline", Array("alpha beta\ngamma alpha".utf8)),
        ("a line longer than the chunk", Array((String(repeating: "long ", count: 200) + "\nshort line\n").utf8)),
        ("CRLF line ends", Array("one two\r\nthree one\r\n\r\n".utf8)),
        ("multi-byte UTF-8 at every offset", Array(String(repeating: "日本語 café über naïve ", count: 40).utf8)),
        ("blank lines and tabs", Array("\n\n\ta\t\tb \u{0B}c\u{0C}\n\n".utf8)),
    ]

    @Test(arguments: cases, [(3, 1), (5, 2), (7, 3), (1 << 20, 2)])
    func wordCountEqualsTheReference(input: (String, [UInt8]), setup: (chunk: Int, workers: Int)) async throws {
        let directory = try TemporaryDirectory()
        let file = directory.path("input.txt")
        try Data(input.1).write(to: file)
        let result = try await Self.wordCount(file, chunkBytes: setup.chunk, workers: setup.workers)
        #expect(result.counts == Self.reference(input.1), "\(input.0)")
        let lines = input.1.split(separator: 0x0A, omittingEmptySubsequences: false).count - (input.1.last == 0x0A || input.1.isEmpty ? 1 : 0)
        #expect(result.lines == lines, "\(input.0)")
    }

    @Test func splitsAreLineAlignedDisjointAndCoverTheFile() throws {
        let directory = try TemporaryDirectory()
        let file = directory.path("input.txt")
        let text = (0..<1000).map { "line \($0) " + String(repeating: "x", count: $0 % 37) }.joined(separator: "\n") + "\n"
        try Data(text.utf8).write(to: file)
        let input = try InputFile(file)
        for count in [1, 2, 7, 64, 5000] {
            let splits = try input.splits(count: count, minimumBytes: 1)
            #expect(splits.first?.range.lowerBound == 0)
            #expect(splits.last?.range.upperBound == input.size)
            for (left, right) in zip(splits, splits.dropFirst()) {
                #expect(left.range.upperBound == right.range.lowerBound)
                #expect(Array(text.utf8)[Int(left.range.upperBound) - 1] == 0x0A, "split \(left.index) ends after a line end")
            }
            #expect(splits.allSatisfy { $0.byteCount > 0 })
        }
        #expect(try InputFile(directory.path("input.txt")).splits(count: 4).count == 1, "1 MiB minimum by default")
    }

    @Test func aFileThatChangesSizeWhileReadIsAClearError() async throws {
        let directory = try TemporaryDirectory()
        let file = directory.path("growing.txt")
        try Data(String(repeating: "word ", count: 1000).utf8).write(to: file)
        let input = try InputFile(file)
        let handle = try FileHandle(forWritingTo: file)
        try handle.seekToEnd()
        try handle.write(contentsOf: Data("more words\n".utf8))
        try handle.close()
        await #expect {
            _ = try await MapReduce(workers: 2).run([input]) { (line: Line, out: inout Emitter<ByteString, Int>) in
                out.emit(bytes: line.bytes, 1)
            } combine: { $0 += $1 }
        } throws: { error in
            "\(error)".contains("changed size while being read") && "\(error)".contains("growing.txt")
        }
        try Data("short\n".utf8).write(to: file)
        await #expect(throws: InputError.self) {
            _ = try await MapReduce(workers: 1).run([input]) { (line: Line, out: inout Emitter<ByteString, Int>) in
                out.emit(bytes: line.bytes, 1)
            } combine: { $0 += $1 }
        }
    }

    static func numbers(_ directory: TemporaryDirectory, bad: Int, of total: Int) throws -> URL {
        let file = directory.path("numbers.txt")
        let lines = (0..<total).map { $0 % (total / max(bad, 1)) == 1 && $0 / (total / max(bad, 1)) < bad ? "oops\($0)" : String($0) }
        try Data((lines.joined(separator: "\n") + "\n").utf8).write(to: file)
        return file
    }

    static func sumNumbers(_ file: URL, budget: ErrorBudget, rejects: URL?) async throws -> MapReduceResult<Int, Int> {
        try await MapReduce(workers: 2, chunkBytes: 64, splitBytes: 100, errorBudget: budget, rejectsFile: rejects)
            .run([try InputFile(file)]) { (line: Line, out: inout Emitter<Int, Int>) in
                guard let value = Int(line.text) else { throw Reject("\"\(line.text)\" is not a number") }
                out.emit(value % 10, value)
            } combine: { $0 += $1 }
    }

    @Test func rejectsWithinTheBudgetAreWrittenWithTheirOffsets() async throws {
        let directory = try TemporaryDirectory()
        let file = try Self.numbers(directory, bad: 5, of: 1000)
        let rejects = directory.path("rejects/bad.csv")
        let result = try await Self.sumNumbers(file, budget: .records(5), rejects: rejects)
        #expect(result.rejected == 5)
        #expect(result.records == 1000)
        let table = try CSVTable.read(rejects)
        #expect(table.header == ["file", "byte_offset", "reason", "record"])
        #expect(table.rows.count == 5)
        let text = try Data(contentsOf: file)
        for row in table.rows {
            let offset = try #require(Int(row[1]))
            #expect(text[offset...].starts(with: Data(row[3].utf8)), "the offset points at the record")
            #expect(row[2].contains("is not a number"))
        }
    }

    @Test func pastTheBudgetTheStepFailsWithASummary() async throws {
        let directory = try TemporaryDirectory()
        let file = try Self.numbers(directory, bad: 50, of: 1000)
        await #expect {
            _ = try await Self.sumNumbers(file, budget: .records(3), rejects: nil)
        } throws: { error in
            guard let exceeded = error as? ErrorBudgetExceeded else { return false }
            return exceeded.stoppedEarly && exceeded.rejected >= 4
                && exceeded.description.contains("over the error budget of 3 rejected records")
                && exceeded.description.contains("numbers.txt:")
        }
        await #expect {
            _ = try await Self.sumNumbers(file, budget: .fraction(0.01), rejects: nil)
        } throws: { error in
            "\(error)".hasPrefix("50 of 1000 records (5.00%) were rejected, over the error budget of 1% of the records")
        }
        #expect(try await Self.sumNumbers(file, budget: .fraction(0.05), rejects: nil).rejected == 50)
    }

    @Test func collectionsArePartitionedAndReduced() async throws {
        let values = Array(1...10_000)
        let result = try await MapReduce(workers: 3, reducers: 5).run(over: values) { (value: Int, out: inout Emitter<Int, Int>) in
            out.emit(value % 7, value)
        } combine: { $0 += $1 }
        var expected: [Int: Int] = [:]
        for value in values { expected[value % 7, default: 0] += value }
        #expect(result.dictionary == expected)
        #expect(result.partitions.count == 5)
        #expect(result.top(2).map(\.key) == expected.sorted { $0.value > $1.value }.prefix(2).map(\.key))
        #expect([Int]().partitioned(into: 4).isEmpty)
        #expect(Array(1...10).partitioned(into: 3).map(Array.init) == [[1, 2, 3], [4, 5, 6], [7, 8, 9, 10]])
    }

    @Test func byteStringsCompareAndHashByTheirBytes() {
        let short: ByteString = "café"
        let long: ByteString = "a key longer than sixteen bytes"
        #expect(short == ByteString("café") && short.description == "café" && short.count == 5)
        #expect(long == ByteString("a key longer than sixteen bytes") && long != ByteString("a key longer than sixteen bytez"))
        #expect(Set([short, long, ByteString("café")]).count == 2)
        #expect(ByteString("abc") < ByteString("abd") && ByteString("ab") < ByteString("abc"))
    }

    @Test func progressIsReportedToTheRunnersFile() async throws {
        let directory = try TemporaryDirectory()
        let file = directory.path("input.txt")
        try Data(String(repeating: "some words here\n", count: 5000).utf8).write(to: file)
        let progressFile = directory.path("step.progress")
        _ = try await MapReduce(workers: 2, chunkBytes: 1024, splitBytes: 4096, progress: StepProgress(file: progressFile, interval: 0))
            .run([try InputFile(file)]) { (line: Line, out: inout Emitter<ByteString, Int>) in
                line.forEachWord { out.emit(bytes: $0, 1) }
            } combine: { $0 += $1 }
        let reading = try #require(StepProgress.Reading(contentsOf: progressFile))
        #expect(reading == StepProgress.Reading(done: 80_000, total: 80_000, unit: "bytes"))
        #expect(reading.summary == "100% (0.1 MB of 0.1 MB)")
        #expect(StepProgress.Reading(done: 3, total: 10, unit: "files").summary == "30% (3 of 10 files)")
    }
}
