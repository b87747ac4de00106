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

    public var description: String {
        if problems.count == 1 { return "invalid job definition: \(problems[0])" }
        return "invalid job definition (\(problems.count) problems):\n"
            + problems.map { "  - \($0)" }.joined(separator: "\n")
    }
}
