/// The two-column rows of `--help`: a label two spaces in, and its text in a
/// column, further lines indented under the first.
package enum HelpText {
    /// Where the text column starts.
    static let column = 18

    /// ```
    ///   --jobs N        Run at most N slots of steps at once (default: the
    ///                   number of cores; local runs only).
    /// ```
    package static func rows(_ rows: [(label: String, text: String)]) -> String {
        var result = ""
        for row in rows {
            let label = "  " + row.label
            let padding = label.count < column ? String(repeating: " ", count: column - label.count) : "  "
            let lines = row.text.split(separator: "\n", omittingEmptySubsequences: false)
            result += label + padding + (lines.first.map(String.init) ?? "") + "\n"
            for line in lines.dropFirst() { result += String(repeating: " ", count: column) + line + "\n" }
        }
        return result
    }
}
