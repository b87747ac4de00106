import BatchKit
/// The job's DAG as a Mermaid flowchart, which GitHub and GitLab render in a
/// README without Graphviz.
public struct MermaidDiagram: Sendable {
    public let document: DagDocument

    public init(_ document: DagDocument) {
        self.document = document
    }

    /// The flowchart text (without the code fence).
    public func text() -> String {
        var lines = ["flowchart LR"]
        for step in document.graph.steps {
            let styleClass = document.states[step.id].map { ":::" + $0.status.rawValue.lowercased() } ?? ""
            lines.append("  s\(step.id)[\"\(Self.escape(document.label(for: step)))\"]\(styleClass)")
        }
        for step in document.graph.steps {
            for parent in document.graph.parents[step.id] ?? [] {
                lines.append("  s\(parent) --> s\(step.id)")
            }
        }
        lines.append("  classDef pass fill:#c8e6c9,stroke:#2e7d32")
        lines.append("  classDef fail fill:#ffcdd2,stroke:#c62828")
        lines.append("  classDef skipped fill:#e0e0e0,stroke:#757575")
        return lines.joined(separator: "\n")
    }

    /// Mermaid labels take HTML entities in `#name;` form; quotes, angle
    /// brackets and line breaks must not reach the parser raw.
    static func escape(_ text: String) -> String {
        var out = ""
        for character in text {
            switch character {
            case "\"": out += "#quot;"
            case "<": out += "#lt;"
            case ">": out += "#gt;"
            case "#": out += "#35;"
            case "\n", "\r\n": out += "<br/>"
            case "\r": continue
            default: out.append(character)
            }
        }
        return out
    }
}
