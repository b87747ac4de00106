/// "Did you mean …?" for a mistyped name: a command, an option or a
/// parameter, among the ones that exist.
package enum Suggestion {
    /// The name among `names` nearest to `name` (by edit distance, ignoring
    /// case), when it is close: at most 2 edits, or a third of the name.
    package static func closest(to name: String, among names: [String]) -> String? {
        let typed = Array(name.lowercased())
        let scored = names.map { ($0, distance(typed, Array($0.lowercased()))) }
        guard let best = scored.min(by: { ($0.1, $0.0) < ($1.1, $1.0) }), best.1 <= max(2, name.count / 3) else { return nil }
        return best.0
    }

    /// `" (did you mean history?)"`, or `""` when no name is close.
    package static func hint(for name: String, among names: [String]) -> String {
        closest(to: name, among: names).map { " (did you mean \($0)?)" } ?? ""
    }

    /// Levenshtein distance, one row at a time.
    private static func distance(_ a: [Character], _ b: [Character]) -> Int {
        var row = Array(0...b.count)
        for (i, x) in a.enumerated() {
            var previous = row[0]
            row[0] = i + 1
            for (j, y) in b.enumerated() {
                let current = row[j + 1]
                row[j + 1] = min(row[j + 1] + 1, row[j] + 1, previous + (x == y ? 0 : 1))
                previous = current
            }
        }
        return row[b.count]
    }
}
