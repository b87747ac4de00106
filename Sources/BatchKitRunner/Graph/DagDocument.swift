import BatchKit
/// The job's DAG as Graphviz DOT, coloured by the last run: PASS green, FAIL
/// red, SKIPPED grey, not run plain, with each step's duration.
public struct DagDocument: Sendable {
    /// The last run's outcome of a step, when there is one.
    public struct StepState: Sendable {
        public let status: Status
        public let durationSeconds: Double?
        public init(status: Status, durationSeconds: Double?) {
            self.status = status
            self.durationSeconds = durationSeconds
        }
    }

    public let jobName: String
    public let graph: JobGraph
    public let states: [StepID: StepState]

    public init(jobName: String, graph: JobGraph, states: [StepID: StepState] = [:]) {
        self.jobName = jobName
        self.graph = graph
        self.states = states
    }

    /// The states of the steps a run shows, for colouring.
    public static func states(of steps: [StepRun]) -> [StepID: StepState] {
        var states: [StepID: StepState] = [:]
        for step in steps {
            states[step.stepID] = StepState(status: step.status, durationSeconds: step.attempts > 0 ? step.durationSeconds : nil)
        }
        return states
    }

    /// The DOT text. Every name is escaped, so quotes, backslashes, newlines
    /// and any Unicode in step names stay valid DOT.
    public func dot() -> String {
        var lines = [
            "// The DAG of job \(Self.comment(jobName)), written by BatchKit. Render: dot -Tsvg docs/dag.dot -o docs/dag.svg",
            "digraph \(Self.quote(jobName)) {",
            "  rankdir=LR;",
            "  node [shape=box, style=\"rounded,filled\", fillcolor=\"white\", fontname=\"Helvetica\"];",
            "  edge [color=\"#555555\"];",
        ]
        for step in graph.steps {
            let fill: String
            switch states[step.id]?.status {
            case .pass: fill = "#c8e6c9"
            case .cached: fill = "#dcedc8"
            case .fail: fill = "#ffcdd2"
            case .skipped: fill = "#e0e0e0"
            case .running: fill = "#fff9c4"
            case .pending, nil: fill = "white"
            }
            lines.append("  s\(step.id) [label=\(Self.quote(label(for: step))), fillcolor=\"\(fill)\"];")
        }
        for step in graph.steps {
            for parent in graph.parents[step.id] ?? [] {
                lines.append("  s\(parent) -> s\(step.id);")
            }
        }
        lines.append("}")
        return lines.joined(separator: "\n") + "\n"
    }

    /// A node's text: id and name, then the last run's status and time when
    /// there was one (`01 Extract` / `PASS · 0.02 s`), lines separated by `\n`.
    /// The name's control and bidirectional characters are shown as escapes
    /// (``VisibleText``), so a name cannot reorder what the drawing shows.
    func label(for step: Step) -> String {
        var label = "\(step.displayID) \(VisibleText.lines(step.name))"
        if let state = states[step.id] {
            label += "\n\(state.status.rawValue)"
            if let seconds = state.durationSeconds { label += " · \(DurationFormat.seconds(seconds))" }
        }
        return label
    }

    /// A DOT double-quoted string: backslashes and quotes escaped, line breaks
    /// as `\n` (centred lines), carriage returns dropped. Works on Unicode
    /// scalars, as `dot` reads bytes: a `"` or `\` that a combining mark
    /// follows is one `Character` with it, and must be escaped all the same.
    static func quote(_ text: String) -> String {
        DoubleQuoted.literal(text) { scalar in
            switch scalar {
            case "\n": #"\n"#
            case "\r": ""
            default: nil
            }
        }
    }

    /// Text safe inside a `//` comment: one line, control characters shown
    /// as escapes.
    static func comment(_ text: String) -> String {
        VisibleText.line(text)
    }
}
