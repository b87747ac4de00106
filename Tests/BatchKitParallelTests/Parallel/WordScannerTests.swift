import BatchKit
import BatchKitParallel
import Foundation
import TestSupport
import Testing

/// The word definition — runs of bytes between ASCII whitespace, exactly
/// Python's `bytes.split()` — through every path that finds words: a line,
/// a chunk, one worker or several, chunk boundaries anywhere.
@Suite struct WordScannerTests {
    /// Python's `bytes.split()`: whitespace is space, \t, \n, \v, \f, \r.
    static func pythonSplit(_ bytes: [UInt8]) -> [[UInt8]] {
        bytes.split(whereSeparator: { [0x20, 0x09, 0x0A, 0x0B, 0x0C, 0x0D].contains($0) }).map(Array.init)
    }

    static func counts(_ words: [[UInt8]]) -> [[UInt8]: Int] {
        var counts: [[UInt8]: Int] = [:]
        for word in words { counts[word, default: 0] += 1 }
        return counts
    }

    /// Words of `bytes` counted by MapReduce, chunk by chunk or line by line.
    static func mapReduce(_ bytes: [UInt8], chunks: Bool, chunkBytes: Int, workers: Int) async throws -> (counts: [[UInt8]: Int], lines: Int) {
        let directory = try TemporaryDirectory()
        let file = directory.path("input.txt")
        try Data(bytes).write(to: file)
        let mapReduce = MapReduce(workers: workers, chunkBytes: chunkBytes, splitBytes: 7)
        let result: MapReduceResult<ByteString, Int>
        if chunks {
            result = try await mapReduce.run(chunksOf: [try InputFile(file)]) { chunk, out in
                chunk.forEachWord { out.emit(bytes: $0, 1) }
            } combine: { $0 += $1 }
        } else {
            result = try await mapReduce.run([try InputFile(file)]) { (line: Line, out: inout Emitter<ByteString, Int>) in
                line.forEachWord { out.emit(bytes: $0, 1) }
            } combine: { $0 += $1 }
        }
        var counts: [[UInt8]: Int] = [:]
        result.forEach { counts[$0.bytes] = $1 }
        #expect(counts.count == result.count)
        return (counts, result.records)
    }

    /// What `python3 -c 'print(len(TEXT.split()))'` prints, and the words.
    static let tricky: [UInt8] = Array("a\tb\u{0B}c\u{0C}d\re\n f".utf8) + [0xC2, 0xA0] + Array("g ".utf8) + [0xFF, 0xFE]
        + Array(" h".utf8) + [0x1C, 0x1D] + Array("i ".utf8) + [0x00] + Array(" j".utf8) + [0x85] + Array("k  ".utf8)
        + [0xE3, 0x80, 0x80] + Array(" l".utf8)

    @Test func trickyBytesSplitLikePython() {
        // python3: b'a\tb\x0bc\x0cd\re\n f\xc2\xa0g \xff\xfe h\x1c\x1di \x00 j\x85k  \xe3\x80\x80 l'.split()
        let python: [[UInt8]] = [
            [0x61], [0x62], [0x63], [0x64], [0x65], [0x66, 0xC2, 0xA0, 0x67], [0xFF, 0xFE], [0x68, 0x1C, 0x1D, 0x69], [0x00],
            [0x6A, 0x85, 0x6B], [0xE3, 0x80, 0x80], [0x6C],
        ]
        #expect(Self.pythonSplit(Self.tricky) == python)
        var words: [[UInt8]] = []
        Self.tricky.withUnsafeBytes { Line(bytes: $0, offset: 0).forEachWord { words.append(Array($0)) } }
        #expect(words == python)
    }

    /// Each of the 256 byte values, between words, at every offset of an
    /// 8-byte load: only the six ASCII whitespace bytes separate.
    @Test func everyByteValueAtEveryOffset() {
        for byte in 0...255 {
            for offset in 0..<9 {
                let text = [UInt8](repeating: 0x61, count: offset + 1) + [UInt8(byte)] + [0x62, 0x62]
                var words = 0
                text.withUnsafeBytes { Line(bytes: $0, offset: 0).forEachWord { _ in words += 1 } }
                #expect(words == Self.pythonSplit(text).count, "byte \(byte) at offset \(offset)")
            }
        }
    }

    static let cases: [(String, [UInt8])] = [
        ("empty", []),
        ("only whitespace", Array(" \t\n\u{0B}\u{0C}\r  \n".utf8)),
        ("tricky bytes", tricky),
        ("no-break spaces join words", Array("one\u{A0}two three\u{2003}four\n".utf8)),
        ("invalid UTF-8", [0xFF, 0x20, 0xC3, 0x0A, 0xC3, 0x28, 0x20, 0xED, 0xA0, 0x80, 0x0A]),
        ("CR alone and CRLF", Array("a\rb\r\nc\r\r\n\rd".utf8)),
        ("keys of 7 to 17 bytes", Array((1...40).map { String(repeating: "x", count: $0) + "y" }.joined(separator: " ").utf8)),
        ("a very long word", Array((String(repeating: "long", count: 5000) + "\nshort " + String(repeating: "é", count: 3000)).utf8)),
        ("words longer than 16 bytes that share 16", Array("abcdefghijklmnopQ abcdefghijklmnopR abcdefghijklmnopQ\n".utf8)),
        ("no final line end", Array("last words".utf8)),
    ]

    @Test(arguments: cases, [(chunks: true, chunk: 5, workers: 1), (chunks: true, chunk: 9, workers: 3),
                             (chunks: true, chunk: 1 << 20, workers: 2), (chunks: false, chunk: 5, workers: 2)])
    func everyPathCountsLikePython(input: (String, [UInt8]), setup: (chunks: Bool, chunk: Int, workers: Int)) async throws {
        let result = try await Self.mapReduce(input.1, chunks: setup.chunks, chunkBytes: setup.chunk, workers: setup.workers)
        #expect(result.counts == Self.counts(Self.pythonSplit(input.1)), "\(input.0)")
        let lines = input.1.split(separator: 0x0A, omittingEmptySubsequences: false).count - (input.1.last == 0x0A || input.1.isEmpty ? 1 : 0)
        #expect(result.lines == lines, "\(input.0)")
    }

    /// Random text from an alphabet of the bytes that matter, cut into
    /// chunks of every size: totals on 1 and on 4 workers equal the reference.
    @Test(arguments: [1, 2, 3, 4, 5, 6])
    func randomTextOnOneAndManyWorkers(seed: UInt64) async throws {
        var state = seed &* 0x9E37_79B9_7F4A_7C15 | 1
        func next() -> UInt64 {
            state ^= state << 13
            state ^= state >> 7
            state ^= state << 17
            return state
        }
        let alphabet: [UInt8] = [
            0x20, 0x20, 0x0A, 0x09, 0x0B, 0x0C, 0x0D, 0x61, 0x62, 0x63, 0x00, 0x08, 0x0E, 0x1C, 0x1F, 0x21, 0x7F, 0x80,
            0x89, 0x8A, 0xA0, 0xC2, 0xFF, 0x2C, 0x22,
        ]
        var bytes: [UInt8] = []
        for _ in 0..<(20_000 + Int(next() % 5000)) {
            let run = Int(next() % 40)
            for _ in 0...run { bytes.append(alphabet[Int(next() % UInt64(alphabet.count))]) }
            bytes.append(next() % 3 == 0 ? 0x0A : 0x20)
        }
        let expected = Self.counts(Self.pythonSplit(bytes))
        let one = try await Self.mapReduce(bytes, chunks: true, chunkBytes: 1 + Int(next() % 300), workers: 1)
        let many = try await Self.mapReduce(bytes, chunks: true, chunkBytes: 1 + Int(next() % 300), workers: 4)
        #expect(one.counts == expected)
        #expect(many.counts == expected)
        #expect(one.lines == many.lines)
    }

    @Test func lineCountsOfChunks() async throws {
        for text in ["", "a", "a\n", "\n\n\n", "a\nb", String(repeating: "ab\n", count: 1000) + "end"] {
            let result = try await Self.mapReduce(Array(text.utf8), chunks: true, chunkBytes: 7, workers: 2)
            let lines = text.split(separator: "\n", omittingEmptySubsequences: false).count - (text.hasSuffix("\n") || text.isEmpty ? 1 : 0)
            #expect(result.lines == lines, "\(text.prefix(20))")
        }
    }

    @Test func aMapThatThrowsOnAChunkStopsTheRun() async throws {
        let directory = try TemporaryDirectory()
        let file = directory.path("input.txt")
        try Data(String(repeating: "words and more words\n", count: 1000).utf8).write(to: file)
        struct Bad: Error {}
        await #expect(throws: Bad.self) {
            _ = try await MapReduce(workers: 2, chunkBytes: 100).run(chunksOf: [try InputFile(file)]) { (chunk: TextChunk, out: inout Emitter<ByteString, Int>) in
                if chunk.offset > 5000 { throw Bad() }
            } combine: { $0 += $1 }
        }
    }
}
