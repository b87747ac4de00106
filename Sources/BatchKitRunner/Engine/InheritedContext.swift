import BatchKit

/// What a partial run (`--only`, `--from`, `--exclude`) gives its steps from
/// the steps it leaves out: the shared-context values each left-out ancestor
/// of a planned step set in the latest run where it passed. Without them,
/// `--only 2` would run step 2 on nothing (no input files: zero words, PASS).
public struct InheritedContext: Sendable, Equatable {
    /// Key → JSON text, to start the run's context with.
    public var values: [String: String] = [:]
    /// Where each left-out ancestor's values came from, in DAG order.
    public var sources: [Source] = []
    /// Left-out ancestors that set values in no earlier passing run that
    /// recorded them (a run of batchkit before 0.2, or one never passed).
    public var missing: [StepID] = []

    /// One left-out step whose values are given.
    public struct Source: Sendable, Equatable {
        public var stepID: StepID
        public var runID: String
        public var keys: [String]
    }

    public init() {}

    /// Collects the values for `plan` from the job's earlier runs, newest
    /// first, in `store`.
    ///
    /// - Parameters:
    ///   - runs: The job's earlier runs' states, newest first (read lazily:
    ///     the search stops once every ancestor is found).
    public init(graph: JobGraph, plan: RunPlan, runs: some Sequence<RunState>) {
        let selected = Set(plan.selected)
        var wanted = Set(plan.selected.flatMap { graph.ancestors(of: $0) }).subtracting(selected)
        guard !wanted.isEmpty else { return }
        var found: [StepID: (runID: String, values: [String: String])] = [:]
        var passedWithoutValues: Set<StepID> = []
        for run in runs {
            for id in wanted {
                guard let step = run[step: id], step.status == .pass else { continue }
                if let values = step.contextSet {
                    found[id] = (run.runID, values)
                } else {
                    passedWithoutValues.insert(id)
                }
            }
            wanted.subtract(found.keys)
            if wanted.isEmpty { break }
        }
        for id in graph.order {
            guard let (runID, set) = found[id] else { continue }
            for (key, value) in set { values[key] = value }
            sources.append(Source(stepID: id, runID: runID, keys: set.keys.sorted()))
        }
        // A step that passed and set nothing needs nothing passed on; one that
        // never passed (or whose run predates these records) is worth a note.
        missing = wanted.subtracting(passedWithoutValues).sorted()
    }

    /// The report's note: which values came from which left-out steps.
    public func note(graph: JobGraph) -> String? {
        var parts = sources.map { source in
            let name = graph.step(source.stepID)?.name ?? ""
            return "\(source.stepID.display) \(name) (\(source.keys.joined(separator: ", "))) from run \(source.runID)"
        }
        if !missing.isEmpty {
            parts.append("none for \(missing.map(\.display).joined(separator: ", ")), which passed in no earlier run")
        }
        guard !parts.isEmpty else { return nil }
        return "partial run: shared values from steps left out: " + parts.joined(separator: "; ")
    }
}
