import BatchKit
/// The part of a job's README between the DAG markers. Only that part is ever
/// replaced; everything else in the README is left as the user wrote it.
public enum ReadmeDagSection {
    public static let beginMarker = "<!-- batchkit:dag:begin -->"
    public static let endMarker = "<!-- batchkit:dag:end -->"

    /// The section's content, markers included. It shows the DAG's shape,
    /// not the last run, so the README only changes when the steps do (a
    /// committed job does not show as modified after every run); the picture
    /// it links, `docs/dag.svg`, carries the last run's colours.
    ///
    /// - Parameters:
    ///   - document: The DAG (its states are ignored here).
    ///   - svgPath: The rendered picture's path relative to the README, when
    ///     Graphviz made one.
    ///   - drawn: `false` when the DAG is too big to draw: the section then
    ///     only says how many steps it has and where its source is.
    public static func render(_ document: DagDocument, svgPath: String?, drawn: Bool = true) -> String {
        let shape = DagDocument(jobName: document.jobName, graph: document.graph)
        var lines = [
            beginMarker,
            "<!-- Written by BatchKit on each run; edits between these markers are replaced. -->",
        ]
        if let svgPath {
            lines.append("![DAG of \(document.jobName)](\(svgPath))")
            lines.append("")
            lines.append("The picture shows the last run: green PASS, red FAIL, grey SKIPPED, with each step's time.")
            lines.append("")
        }
        if drawn {
            lines.append("```mermaid")
            lines.append(MermaidDiagram(shape).text())
            lines.append("```")
        } else {
            lines.append("The DAG has \(document.graph.steps.count) steps, too many to draw here.")
        }
        lines.append("")
        lines.append("The Graphviz source is [docs/dag.dot](docs/dag.dot); `./run.sh dag` prints it.")
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
