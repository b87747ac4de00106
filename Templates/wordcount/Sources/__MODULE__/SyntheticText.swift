import BatchKit
import Foundation

/// Deterministic synthetic text for trying the job at scale: words drawn
/// from a fixed vocabulary with a Zipf-like spread (a few very common
/// words, a long tail), 12 words a line, some of them multi-byte UTF-8.
enum SyntheticText {
    /// Writes `bytes` bytes (ending at a line end) to `url`, through a
    /// temporary file renamed into place.
    static func write(bytes: Int64, to url: URL, progress: StepProgress = .none) throws {
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        let temporary = url.appendingPathExtension("partial")
        FileManager.default.createFile(atPath: temporary.path, contents: nil)
        let handle = try FileHandle(forWritingTo: temporary)
        var generator = Generator(seed: 2026)
        var written: Int64 = 0
        var buffer: [UInt8] = []
        buffer.reserveCapacity(1 << 20)
        while written < bytes {
            buffer.removeAll(keepingCapacity: true)
            while buffer.count < (1 << 20), written + Int64(buffer.count) < bytes {
                generator.appendLine(to: &buffer, limit: Int(min(Int64(Int.max), bytes - written)) - buffer.count)
            }
            try handle.write(contentsOf: buffer)
            written += Int64(buffer.count)
            progress.report(done: written, total: bytes, unit: "bytes")
        }
        try handle.close()
        guard rename(temporary.path, url.path) == 0 else {
            throw DataError("cannot rename \(temporary.path) to \(url.path): \(String(cString: strerror(errno)))")
        }
    }

    /// Words and lines from a seeded random sequence.
    struct Generator {
        private var state: UInt64
        private let vocabulary: [[UInt8]]
        /// Cumulative weights, scaled to 2^32, for picking a word.
        private let cumulative: [UInt32]

        init(seed: UInt64, words: Int = 20_000) {
            state = seed | 1
            var vocabulary: [[UInt8]] = []
            var random = seed &* 0x9E37_79B9_7F4A_7C15 | 1
            var seen = Set<[UInt8]>()
            let letters = Array("abcdefghijklmnopqrstuvwxyz".utf8)
            for extra in ["café", "naïve", "straße", "日本語", "données", "über"] {
                vocabulary.append(Array(extra.utf8))
                seen.insert(Array(extra.utf8))
            }
            while vocabulary.count < words {
                random ^= random << 13; random ^= random >> 7; random ^= random << 17
                let length = 2 + Int(random % 9)
                var word: [UInt8] = []
                for index in 0..<length { word.append(letters[Int((random >> (index * 5 + 8)) % 26)]) }
                if seen.insert(word).inserted { vocabulary.append(word) }
            }
            self.vocabulary = vocabulary
            let weights = (0..<vocabulary.count).map { 1.0 / Double($0 + 1) }
            let total = weights.reduce(0, +)
            var running = 0.0
            cumulative = weights.map { weight in
                running += weight
                return UInt32(min(running / total * 4_294_967_295.0, 4_294_967_295.0))
            }
        }

        mutating func next() -> UInt64 {
            state ^= state << 13
            state ^= state >> 7
            state ^= state << 17
            return state
        }

        /// Appends one line of 12 words, or fewer bytes when `limit` is small.
        mutating func appendLine(to buffer: inout [UInt8], limit: Int) {
            var line: [UInt8] = []
            for index in 0..<12 {
                let target = UInt32(truncatingIfNeeded: next() >> 32)
                var low = 0, high = cumulative.count - 1
                while low < high {
                    let middle = (low + high) / 2
                    if cumulative[middle] < target { low = middle + 1 } else { high = middle }
                }
                if index > 0 { line.append(0x20) }
                line.append(contentsOf: vocabulary[low])
            }
            line.append(0x0A)
            if line.count > limit {
                // The end of the file: a last line of "x x x" that fits exactly
                // (no UTF-8 character is cut).
                line = (0..<max(limit - 1, 0)).map { $0 % 2 == 0 ? 0x78 : 0x20 }
                if let last = line.last, last == 0x20 { line[line.count - 1] = 0x78 }
                if limit > 0 { line.append(0x0A) }
            }
            buffer.append(contentsOf: line)
        }
    }
}
