/// A batch job: a name, its steps and the post-job tests that validate what
/// the steps produced.
public struct Job: Sendable {
    /// The job's name, as in the CSV history's `job` column.
    public let name: String
    /// The steps, in any order; ids and parents decide the run order.
    public let steps: [Step]
    /// Post-job tests, run after the steps (the style guide's "tests executed
    /// at the end of the batch processing job").
    public let tests: [Check]
    /// Swift hooks run on start, success and failure (``onStart(_:)``…).
    public var hooks = JobHooks()

    /// - Parameters:
    ///   - name: The job's name.
    ///   - steps: Its steps. Ids must be unique; validation happens before a run.
    ///   - tests: Checks on the results, run after the steps.
    public init(_ name: String, steps: [Step], tests: [Check] = []) {
        self.name = name
        self.steps = steps
        self.tests = tests
    }

    /// The step with this id, if any.
    public func step(id: StepID) -> Step? {
        steps.first { $0.id == id }
    }
}
