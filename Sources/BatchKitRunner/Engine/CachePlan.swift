import BatchKit
import Foundation

/// Each planned step's verdict before anything runs: what `--explain` prints,
/// and the steps a run takes as `CACHED` at once (the batch whose planned
/// parents are all up to date too). A step with a parent that will run is
/// decided again once that parent has run (``Engine/Caching``): if what the
/// parent wrote did not change, it is still up to date.
public struct CachePlan: Sendable {
    /// Every planned step's verdict, by id.
    public var verdicts: [StepID: CacheVerdict]
    /// The steps up to date now, in the DAG's order.
    public var upToDate: [StepID]

    /// Decides every planned step, in the DAG's order.
    ///
    /// - Parameters:
    ///   - base: The context the run starts with that no step of it set.
    ///   - contextSets: What steps outside the plan set (a resumed run's
    ///     earlier passes).
    public static func make(
        graph: JobGraph, plan: RunPlan, cache: StepCache, base: [String: String], contextSets: [StepID: [String: String]]
    ) -> CachePlan {
        let planned = Set(plan.selected)
        cache.prefetch(plan.selected.compactMap(graph.step))
        let parents = plan.parents(in: graph)
        var sets = contextSets
        var verdicts: [StepID: CacheVerdict] = [:]
        var upToDate: [StepID] = []
        for id in graph.order where planned.contains(id) {
            guard let step = graph.step(id) else { continue }
            if let reason = cache.precheck(step) {
                verdicts[id] = .run(reason)
                continue
            }
            guard let entry = cache.entries[id] else {
                verdicts[id] = .run(.neverPassed)
                continue
            }
            let received = StepCache.received(by: id, graph: graph, base: base, contextSets: sets)
            let inputs: StepInputs
            switch cache.inputs(of: step, context: received) {
            case .failure(let reason):
                verdicts[id] = .run(reason)
                continue
            case .success(let found):
                inputs = found
            }
            if let running = (parents[id] ?? []).first(where: { verdicts[$0]?.entry == nil }) {
                // What the parent will give is not known yet: the step's own
                // reasons first, else the parent's run.
                var comparable = inputs
                comparable.context = entry.inputs.context
                let own = StepCache.difference(from: entry.inputs, to: comparable) ?? cache.outputsChanged(entry)
                verdicts[id] = .run(own ?? .parentWillRun(running))
                continue
            }
            let verdict = cache.verdict(of: step, inputs: inputs)
            verdicts[id] = verdict
            if verdict.entry != nil {
                upToDate.append(id)
                sets[id] = entry.contextSet ?? [:]
            }
        }
        return CachePlan(verdicts: verdicts, upToDate: upToDate)
    }

    /// The context values a run starts with that none of its steps set:
    /// those a partial run inherited.
    public static func base(of state: RunState) -> [String: String] {
        let set = Set(state.steps.values.flatMap { ($0.contextSet ?? [:]).keys })
        return state.context.filter { !set.contains($0.key) }
    }
}

/// One line of `--explain`: a step, whether it would run, and why.
public struct StepExplanation: Sendable, Equatable, Codable {
    /// `run`, `cached` or `left out`.
    public enum Verdict: String, Sendable, Codable {
        case run
        case cached
        case leftOut = "left out"
    }

    public var id: StepID
    public var name: String
    public var verdict: Verdict
    /// The first reason, as a sentence.
    public var reason: String
    /// The kind of reason (``RunReason/kind``), or `cached` / `left-out`.
    public var kind: String
    /// For a cached step: the run whose pass it takes.
    public var cachedFrom: String?

    public init(id: StepID, name: String, verdict: Verdict, reason: String, kind: String, cachedFrom: String? = nil) {
        self.id = id
        self.name = name
        self.verdict = verdict
        self.reason = reason
        self.kind = kind
        self.cachedFrom = cachedFrom
    }

    /// Every step of `graph`: its verdict in `cachePlan`, or why the plan
    /// leaves it out.
    public static func all(graph: JobGraph, plan: RunPlan, cachePlan: CachePlan) -> [StepExplanation] {
        graph.steps.map { step in
            if let verdict = cachePlan.verdicts[step.id] {
                switch verdict {
                case .upToDate(let entry):
                    return StepExplanation(
                        id: step.id, name: step.name, verdict: .cached,
                        reason: "up to date: nothing it depends on changed since it passed in run \(entry.runID)", kind: "cached",
                        cachedFrom: entry.runID)
                case .run(let reason):
                    return StepExplanation(id: step.id, name: step.name, verdict: .run, reason: reason.description, kind: reason.kind)
                }
            }
            let why = plan.excluded[step.id]?.description ?? "not planned"
            return StepExplanation(id: step.id, name: step.name, verdict: .leftOut, reason: why, kind: "left-out")
        }
    }
}
