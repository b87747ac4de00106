import BatchKit
/// A job definition that cannot run: every problem found, each naming the
/// steps involved and what to do. Reported with exit code 64 before anything
/// runs.
public struct DefinitionError: Error, CustomStringConvertible, Sendable {
    /// One line per problem.
    public let problems: [String]

    public init(_ problems: [String]) {
        self.problems = problems
    }

    /// Every problem on its line, with the control characters of names
    /// shown as escapes (``VisibleText``).
    public var description: String {
        let shown = problems.map(VisibleText.line)
        if shown.count == 1 { return "invalid job definition: \(shown[0])" }
        return "invalid job definition (\(shown.count) problems):\n"
            + shown.map { "  - \($0)" }.joined(separator: "\n")
    }
}
