import BatchKit
import Foundation

extension Step {
    /// Top words: the `top_n` most frequent words (20 unless `--param top_n=…`)
    /// with their share of all words, in `data/output/top_words.txt`.
    static let topWords = Step("Top words",
        reads: ["data/output/word_counts.csv"],
        writes: ["data/output/top_words.txt"]) { context in
        // Declared with a default in config/base.json, so it always has a value.
        let topN = try context.parameters.require("top_n", as: Int.self)
        guard topN >= 1 else { throw DataError("top_n is \(topN); give --param top_n=1 or more") }
        let table = try CSVTable.read(context.path("data/output/word_counts.csv"))
        let total = try context.values.require("total_words", as: Int.self)
        var lines: [String] = []
        for row in table.rows.prefix(topN) {
            let count = Int(row[1]) ?? 0
            let share = total > 0 ? Double(count) / Double(total) * 100 : 0
            lines.append(row[0].padding(toLength: max(16, row[0].count), withPad: " ", startingAt: 0)
                + String(count).leftPadded(12) + String(format: "%8.2f%%", share))
        }
        try (lines.joined(separator: "\n") + "\n").write(to: context.path("data/output/top_words.txt"), atomically: true, encoding: .utf8)
        for line in lines.prefix(5) { context.log.info(line) }
    }
}

extension String {
    func leftPadded(_ width: Int) -> String {
        count >= width ? self : String(repeating: " ", count: width - count) + self
    }
}
