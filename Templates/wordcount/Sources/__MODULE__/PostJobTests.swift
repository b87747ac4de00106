import BatchKit
import BatchKitParallel
import Foundation

/// The post-job tests: run after every successful run of the steps, they
/// check that the totals agree with each other and with the input.
let postJobTests: [Check] = [
    .fileNotEmpty("data/output/word_counts.csv"),
    .csvHasColumns("data/output/word_counts.csv", ["word", "count"]),
    Check("the counts add up to the summary's total") { context in
        let summary = try WordCountSummary.read(from: context.path("data/output/summary.json"))
        let table = try CSVTable.read(context.path("data/output/word_counts.csv"))
        let sum = table.rows.reduce(0) { $0 + (Int($1[1]) ?? 0) }
        guard sum == summary.words, table.rows.count == summary.distinctWords else {
            throw CheckFailure("word_counts.csv has \(table.rows.count) words adding up to \(sum); summary.json says \(summary.distinctWords) adding up to \(summary.words)")
        }
        return "\(table.rows.count) distinct words, \(sum) in all"
    },
    Check("the total equals a plain sequential recount of the input") { context in
        let summary = try WordCountSummary.read(from: context.path("data/output/summary.json"))
        var words = 0, lines = 0
        for file in summary.files {
            let recount = try SequentialCount.count(WordCountSummary.resolve(file, in: context.projectDirectory))
            words += recount.words
            lines += recount.lines
        }
        guard words == summary.words, lines == summary.lines else {
            throw CheckFailure("a sequential recount finds \(words) words in \(lines) lines; the job counted \(summary.words) in \(summary.lines)")
        }
        return "\(words) words in \(lines) lines"
    },
    Check("no word is counted twice") { context in
        // Compared as bytes: text would merge words that are not valid UTF-8
        // (both read back as U+FFFD) and words Unicode deems equivalent ("K"
        // and the Kelvin sign), which the count rightly keeps apart.
        let data = try Data(contentsOf: context.path("data/output/word_counts.csv"))
        var seen = Set<[UInt8]>()
        for row in data.split(separator: 0x0A).dropFirst() {  // a word holds no line end
            let word = SequentialCount.word(ofRow: Array(row))
            guard seen.insert(word).inserted else {
                throw CheckFailure("\"\(String(decoding: word, as: UTF8.self))\" appears twice in word_counts.csv")
            }
        }
        return "\(seen.count) unique"
    },
]

/// A deliberately simple count — one pass, one thread, a byte at a time —
/// that shares no code with the MapReduce path, to check it.
enum SequentialCount {
    static func count(_ url: URL) throws -> (words: Int, lines: Int) {
        let handle = try FileHandle(forReadingFrom: url)
        defer { try? handle.close() }
        var words = 0, lines = 0, inWord = false, lastByte: UInt8 = 0x0A
        while let data = try handle.read(upToCount: 1 << 20), !data.isEmpty {
            for byte in data {
                let space = byte == 0x20 || (byte >= 0x09 && byte <= 0x0D)
                if !space, !inWord { words += 1 }
                inWord = !space
                if byte == 0x0A { lines += 1 }
                lastByte = byte
            }
        }
        if lastByte != 0x0A { lines += 1 }  // a last line without a line end
        return (words, lines)
    }

    /// The word of a `word,count` row of word_counts.csv, as bytes: what
    /// comes before the last comma, without the quotes CSV adds.
    static func word(ofRow row: [UInt8]) -> [UInt8] {
        let fieldEnd = row.lastIndex(of: UInt8(ascii: ",")) ?? row.endIndex
        let field = row[..<fieldEnd]
        guard field.count >= 2, field.first == 0x22, field.last == 0x22 else { return Array(field) }
        var word: [UInt8] = []
        var quote = false
        for byte in field.dropFirst().dropLast() {
            if byte == 0x22, quote { quote = false; continue }  // the second of a doubled quote
            quote = byte == 0x22
            word.append(byte)
        }
        return word
    }
}
