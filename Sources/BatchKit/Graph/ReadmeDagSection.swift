/// The part of a job's README between the DAG markers. Only that part is ever
/// replaced; everything else in the README is left as the user wrote it.
public enum ReadmeDagSection {
    public static let beginMarker = "<!-- batchkit:dag:begin -->"
    public static let endMarker = "<!-- batchkit:dag:end -->"

    /// The section's content, markers included.
    ///
    /// - Parameters:
    ///   - document: The DAG, with last-run states.
    ///   - svgPath: The rendered picture's path relative to the README, when
    ///     Graphviz made one.
    ///   - caption: A line under the picture, e.g. the last run's status.
    public static func render(_ document: DagDocument, svgPath: String?, caption: String) -> String {
        var lines = [
            beginMarker,
            "<!-- Written by BatchKit after each run (./run.sh dag to refresh); edits between these markers are replaced. -->",
        ]
        if let svgPath {
            lines.append("![DAG of \(document.jobName)](\(svgPath))")
            lines.append("")
        }
        lines.append("```mermaid")
        lines.append(MermaidDiagram(document).text())
        lines.append("```")
        lines.append("")
        lines.append(caption)
        lines.append("The Graphviz source is [docs/dag.dot](docs/dag.dot).")
        lines.append(endMarker)
        return lines.joined(separator: "\n")
    }

    /// `readme` with the section between the markers replaced by `section`,
    /// or `nil` when the markers are missing or out of order.
    public static func replace(in readme: String, with section: String) -> String? {
        guard let begin = readme.range(of: beginMarker),
              let end = readme.range(of: endMarker, range: begin.upperBound..<readme.endIndex)
        else { return nil }
        return String(readme[..<begin.lowerBound]) + section + String(readme[end.upperBound...])
    }
}
