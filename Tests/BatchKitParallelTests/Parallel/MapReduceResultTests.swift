import BatchKit
import BatchKitParallel
import Foundation
import TestSupport
import Testing

/// Reading a result: byte-string keys, their order, and writing them out.
@Suite struct MapReduceResultTests {
    static func randomWords(_ count: Int, seed: UInt64) -> [[UInt8]] {
        var state = seed | 1
        func next() -> UInt64 {
            state ^= state << 13
            state ^= state >> 7
            state ^= state << 17
            return state
        }
        // Short and long words, many sharing their first 8 or 16 bytes.
        let stems: [[UInt8]] = [Array("abcdefgh".utf8), Array("abcdefghijklmnop".utf8), [0x00, 0x00], [0xFF], []]
        return (0..<count).map { _ in
            var word = stems[Int(next() % UInt64(stems.count))]
            for _ in 0..<Int(next() % 24) { word.append([0x00, 0x61, 0x62, 0x7A, 0xC3, 0xFF][Int(next() % 6)]) }
            return word.isEmpty ? [0x61] : word
        }
    }

    @Test(arguments: [1, 2, 3])
    func byteStringOrderIsTheBytesOrder(seed: UInt64) {
        let words = Self.randomWords(2000, seed: seed)
        let sorted = words.map { $0.withUnsafeBytes(ByteString.init) }.sorted()
        #expect(sorted.map(\.bytes) == words.sorted { $0.lexicographicallyPrecedes($1) })
        for (a, b) in zip(words, words.dropFirst()) {
            let left = a.withUnsafeBytes(ByteString.init), right = b.withUnsafeBytes(ByteString.init)
            #expect((left == right) == (a == b))
            #expect((left.hashValue == right.hashValue) || a != b)
        }
    }

    @Test func sortedByValueIsLargestFirstThenByKey() async throws {
        let directory = try TemporaryDirectory()
        let file = directory.path("input.txt")
        let words = Self.randomWords(20_000, seed: 7).filter { !$0.contains(where: { [0x20, 0x09, 0x0A, 0x0B, 0x0C, 0x0D].contains($0) }) }
        var text: [UInt8] = []
        for word in words { text += word + [0x20] }
        try Data(text).write(to: file)
        for workers in [1, 3] {
            let result = try await MapReduce(workers: workers, chunkBytes: 999, splitBytes: 1000).run(chunksOf: [try InputFile(file)]) { chunk, out in
                chunk.forEachWord { out.emit(bytes: $0, 1) }
            } combine: { $0 += $1 }
            let expected = result.sorted { $0.value != $1.value ? $0.value > $1.value : $0.key.bytes.lexicographicallyPrecedes($1.key.bytes) }
            let sorted = await result.sortedByValue()
            #expect(sorted.map(\.key) == expected.map(\.key))
            #expect(sorted.map(\.value) == expected.map(\.value))
            #expect(sorted.reduce(0) { $0 + $1.value } == words.count)
            // Keys read out of the result look up the same values.
            for (key, value) in sorted.prefix(50) { #expect(result[key] == value) }
            #expect(result.dictionary.count == sorted.count)
        }
    }

    @Test func csvWriterKeepsBytesAndQuotesOnlyWhenNeeded() throws {
        let directory = try TemporaryDirectory()
        let url = directory.path("out/words.csv")
        var csv = CSVWriter(header: ["word", "count"])
        for (word, count) in [([0x61, 0x2C, 0x62], 3), ([0x22, 0x68, 0x69, 0x22], -12), ([0xFF, 0xFE], 0), ([0x70, 0x6C, 0x61, 0x69, 0x6E], Int.max)] as [([UInt8], Int)] {
            csv.append(word.withUnsafeBytes(ByteString.init))
            csv.append(count)
            csv.endRow()
        }
        try csv.write(to: url)
        let expected: [UInt8] = Array("word,count\r\n\"a,b\",3\r\n\"\"\"hi\"\"\",-12\r\n".utf8) + [0xFF, 0xFE] + Array(",0\r\nplain,\(Int.max)\r\n".utf8)
        #expect(Array(try Data(contentsOf: url)) == expected)
        #expect(try CSVTable.read(url).rows.map { $0[0] } == ["a,b", "\"hi\"", "\u{FFFD}\u{FFFD}", "plain"])
    }
}

extension MapReduceResultTests {
    /// Long keys that share their first and last 8 bytes must still hash
    /// apart, or a dictionary of paths degrades to a list.
    @Test func longKeysThatShareTheirEndsHashApart() {
        let keys = (0..<1000).map { ByteString("/blog/posts-\($0 + 1000)-x.html") }
        #expect(Set(keys.map(\.hashValue)).count > 990)
        #expect(Set(keys).count == 1000)
    }
}
