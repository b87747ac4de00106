import BatchKit
/// The DAG as lines of text for a terminal: steps grouped by wave (a step's
/// wave is one more than its latest parent's), each with its status and its
/// parents. Names are shown through ``VisibleText``.
///
/// ```
/// wave 1  01 Extract         PASS
/// wave 2  02 Validate input  FAIL     ← 01
///         03 Count           PASS     ← 01
/// wave 3  04 Load            SKIPPED  ← 02, 03
/// ```
public enum DagText {
    /// The lines, without a trailing newline.
    ///
    /// - Parameters:
    ///   - steps: Id, name and status (nil: not run) of each step to show.
    ///   - parents: Parents by step id (as text); parents not shown are ignored.
    public static func lines(steps: [(id: StepID, name: String, status: Status?)], parents: [StepID: [StepID]], style: TerminalStyle) -> [String] {
        let shown = Set(steps.map(\.id))
        var wave: [StepID: Int] = [:]
        var remaining = steps.map(\.id).sorted()
        // Steps arrive in id order, which need not be topological: settle waves by repetition.
        var guardCount = 0
        while !remaining.isEmpty, guardCount <= steps.count {
            guardCount += 1
            remaining.removeAll { id in
                let known = (parents[id] ?? []).filter(shown.contains)
                guard known.allSatisfy({ wave[$0] != nil }) else { return false }
                wave[id] = (known.compactMap { wave[$0] }.max() ?? -1) + 1
                return true
            }
        }
        for id in remaining { wave[id] = 0 }

        let names = Dictionary(steps.map { ($0.id, VisibleText.line($0.name)) }) { first, _ in first }
        let nameWidth = steps.map { $0.id.display.count + 1 + (names[$0.id] ?? "").count }.max() ?? 0
        var lines: [String] = []
        var lastWave = -1
        for step in steps.sorted(by: { (wave[$0.id] ?? 0, $0.id) < (wave[$1.id] ?? 0, $1.id) }) {
            let level = wave[step.id] ?? 0
            let label = level == lastWave ? "        " : "wave \(level + 1)" + String(repeating: " ", count: max(1, 8 - "wave \(level + 1)".count))
            lastWave = level
            let title = "\(step.id.display) \(names[step.id] ?? "")"
            let withStatus = steps.contains { $0.status != nil }
            let status = step.status.map { style.status($0) + String(repeating: " ", count: 9 - $0.rawValue.count) }
                ?? (withStatus ? "-        " : "")
            let from = (parents[step.id] ?? []).filter(shown.contains).map(\.display)
            var line = label + title + String(repeating: " ", count: nameWidth - title.count + 2) + status
            if !from.isEmpty { line += "← " + from.joined(separator: ", ") }
            lines.append(line.trimmingTrailingSpaces())
        }
        return lines
    }
}
