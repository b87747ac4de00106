import BatchKit
import BatchKitParallel
import Foundation

extension Step {
    /// Count words: map the text to (word, 1) on every core, many lines at a
    /// time, combine per worker, shuffle by word, reduce; writes `data/output/word_counts.csv`
    /// (most frequent first) and `data/output/summary.json`.
    static let countWords = Step("Count words",
        reads: ["data/input/*.txt", "data/generated/synthetic_*.txt"],
        writes: ["data/output/word_counts.csv", "data/output/summary.json"]) { context in
        let files = try context.values.require("input_files", as: [String].self)
        let inputs = try files.map { try InputFile(URL(fileURLWithPath: $0)) }
        // --param workers=N uses N cores instead of all of them.
        let counts = try await WordCount.count(inputs, using: MapReduce(context, workers: try context.parameters.int("workers")))
        let sorted = await counts.sortedByValue()
        try WordCount.writeCSV(sorted, to: context.path("data/output/word_counts.csv"))
        let summary = WordCountSummary(
            files: files.map { WordCountSummary.relative($0, to: context.projectDirectory) }, bytes: inputs.reduce(0) { $0 + $1.size },
            lines: counts.records, words: sorted.reduce(0) { $0 + $1.value }, distinctWords: counts.count,
            workers: counts.workers, seconds: counts.seconds)
        try summary.write(to: context.path("data/output/summary.json"))
        try context.values.set("total_words", summary.words)
        context.log.info("\(summary.words) words (\(summary.distinctWords) distinct) in \(summary.lines) lines, \(String(format: "%.2f", summary.seconds)) s on \(summary.workers) worker(s)")
    }
}

/// The word count itself, apart from files and logs so tests can call it.
enum WordCount {
    /// Words are runs of bytes between ASCII whitespace (space, tab, `\n`,
    /// `\v`, `\f`, `\r`), as Python's `bytes.split()` counts them; UTF-8
    /// words are kept whole. The map gets many lines at a time (a chunk).
    static func count(_ inputs: [InputFile], using mapReduce: MapReduce) async throws -> MapReduceResult<ByteString, Int> {
        try await mapReduce.run(chunksOf: inputs) { chunk, out in
            chunk.forEachWord { out.emit(bytes: $0, 1) }
        } combine: { $0 += $1 }
    }

    /// `word,count` rows, CRLF, written beside and renamed into place. Each
    /// word is written as its bytes, so words that are not valid UTF-8 stay
    /// distinct.
    static func writeCSV(_ rows: [(key: ByteString, value: Int)], to url: URL) throws {
        var csv = CSVWriter(header: ["word", "count"])
        for (word, count) in rows {
            csv.append(word)
            csv.append(count)
            csv.endRow()
        }
        try csv.write(to: url)
    }
}

/// What the count found, written to data/output/summary.json.
struct WordCountSummary: Codable, Equatable {
    var files: [String]
    var bytes: Int64
    var lines: Int
    var words: Int
    var distinctWords: Int
    var workers: Int
    var seconds: Double

    func write(to url: URL) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        try encoder.encode(self).write(to: url, options: .atomic)
    }

    /// `path` relative to the project when it is inside it.
    static func relative(_ path: String, to project: URL) -> String {
        for root in [project.path + "/", project.standardizedFileURL.path + "/"] where path.hasPrefix(root) {
            return String(path.dropFirst(root.count))
        }
        return path
    }

    /// `file` (as written in `files`) as a URL.
    static func resolve(_ file: String, in project: URL) -> URL {
        file.hasPrefix("/") ? URL(fileURLWithPath: file) : project.appendingPathComponent(file)
    }

    static func read(from url: URL) throws -> WordCountSummary {
        try JSONDecoder().decode(WordCountSummary.self, from: Data(contentsOf: url))
    }
}
