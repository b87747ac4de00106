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
    /// brackets and line breaks must not reach the parser raw. Works on
    /// Unicode scalars: a `"` that a combining mark follows is one
    /// `Character` with it, and still ends the label to Mermaid.
    static func escape(_ text: String) -> String {
        var out = String.UnicodeScalarView()
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out.append(contentsOf: "#quot;".unicodeScalars)
            case "<": out.append(contentsOf: "#lt;".unicodeScalars)
            case ">": out.append(contentsOf: "#gt;".unicodeScalars)
            case "#": out.append(contentsOf: "#35;".unicodeScalars)
            case "\n": out.append(contentsOf: "<br/>".unicodeScalars)
            case "\r": continue
            default: out.append(scalar)
            }
        }
        return String(out)
    }
}
