/// The two-column rows of `--help`: a label two spaces in, and its text in a
/// column, further lines indented under the first. A label too long to leave
/// two spaces before the column gets a line of its own, with its text below
/// it in the column.
package enum HelpText {
    /// Where the text column starts.
    static let column = 18

    /// ```
    ///   --jobs N        Run at most N slots of steps at once (default: the
    ///                   number of cores; local runs only).
    ///   -c, --config PROFILE
    ///                   The app profile, a bash file whose exported APP_*
    /// ```
    package static func rows(_ rows: [(label: String, text: String)]) -> String {
        let indent = String(repeating: " ", count: column)
        var result = ""
        for row in rows {
            let label = "  " + row.label
            var lines = row.text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
            if label.count <= column - 2 {
                let first = lines.isEmpty ? "" : lines.removeFirst()
                result += label + (first.isEmpty ? "" : String(repeating: " ", count: column - label.count) + first) + "\n"
            } else {
                result += label + "\n"
            }
            for line in lines { result += indent + line + "\n" }
        }
        return result
    }
}
