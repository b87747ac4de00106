import BatchKit
/// Which steps a run (or a resumed run) executes, and why the others are
/// left out. Steps outside the plan are neither run nor recorded; planned
/// steps wait only for planned steps, but order is kept through the steps
/// left out (see ``parents(in:)``).
public struct RunPlan: Sendable, Equatable {
    /// The steps to run, by id.
    public let selected: [StepID]
    /// The steps left out, by id, with the reason.
    public let excluded: [StepID: Exclusion]

    /// Why a step is left out of a run.
    public enum Exclusion: Sendable, Equatable, CustomStringConvertible {
        case notInOnly
        case notDownstream(of: StepID)
        case notUpstream(of: StepID)
        case excluded
        /// It passed earlier in the run being resumed (`nil`: its id unknown).
        case passedEarlier(runID: String?)
        /// It is up to date (`CACHED`): nothing it depends on changed since
        /// it passed in run `runID`.
        case upToDate(runID: String)

        /// Whether a resume keeps the step's earlier pass.
        public var isPassedEarlier: Bool {
            if case .passedEarlier = self { return true }
            return false
        }

        public var description: String {
            switch self {
            case .notInOnly: "not in --only"
            case .notDownstream(let id): "not downstream of --from \(id)"
            case .notUpstream(let id): "not upstream of --to \(id)"
            case .excluded: "in --exclude"
            case .passedEarlier(let runID): "passed earlier in run \(runID ?? "being resumed")"
            case .upToDate(let runID): "up to date (CACHED from run \(runID))"
            }
        }
    }

    public init(selected: [StepID], excluded: [StepID: Exclusion]) {
        self.selected = selected.sorted()
        self.excluded = excluded
    }

    /// Every step of `graph`.
    public static func all(_ graph: JobGraph) -> RunPlan {
        RunPlan(selected: graph.steps.map(\.id), excluded: [:])
    }

    /// Applies a selection and, for a resume, the steps that already passed.
    ///
    /// - Parameters:
    ///   - selection: `--only`, `--from`, `--to` and `--exclude`.
    ///   - passed: Steps that passed earlier in the run being resumed. A
    ///     pass is kept only when every parent of the step is kept too, so an
    ///     edited definition that puts a new or failed step upstream of it
    ///     reruns it.
    ///   - runID: The resumed run, for the reason text.
    /// - Throws: ``SelectionError`` naming ids that are not steps, or when
    ///   the selection leaves no step (`--from 5 --to 2`).
    public static func make(
        _ graph: JobGraph, selection: StepSelection, passed: Set<StepID> = [], runID: String? = nil
    ) throws(SelectionError) -> RunPlan {
        let known = Set(graph.steps.map(\.id))
        let unknown = selection.mentionedIDs.subtracting(known).sorted()
        if !unknown.isEmpty {
            let list = unknown.map(\.description).joined(separator: ", ")
            throw SelectionError(message: "no step with id \(list); the steps are \(graph.steps.map { $0.id.description }.joined(separator: ", "))")
        }
        var excluded: [StepID: Exclusion] = [:]
        var keptPasses: Set<StepID> = []
        for id in graph.order where passed.contains(id) {
            if (graph.parents[id] ?? []).allSatisfy(keptPasses.contains) { keptPasses.insert(id) }
        }
        let fromSet = selection.from.map { Set([$0] + graph.descendants(of: $0)) }
        let toSet = selection.to.map { Set([$0] + graph.ancestors(of: $0)) }
        var selected: [StepID] = []
        for step in graph.steps {
            let id = step.id
            if let only = selection.only, !only.contains(id) {
                excluded[id] = .notInOnly
            } else if let fromSet, !fromSet.contains(id), let from = selection.from {
                excluded[id] = .notDownstream(of: from)
            } else if let toSet, !toSet.contains(id), let to = selection.to {
                excluded[id] = .notUpstream(of: to)
            } else if selection.exclude.contains(id) {
                excluded[id] = .excluded
            } else if keptPasses.contains(id) {
                excluded[id] = .passedEarlier(runID: runID)
            } else {
                selected.append(id)
            }
        }
        if selected.isEmpty, !excluded.values.contains(where: \.isPassedEarlier) {
            throw SelectionError(message: "nothing selected: \(selection.options) leave no step to run; check the ids with the `steps` command")
        }
        return RunPlan(selected: selected, excluded: excluded)
    }

    /// The plan without `ids`, which are up to date (``Exclusion/upToDate(runID:)``).
    public func removing(upToDate ids: [StepID: String]) -> RunPlan {
        var excluded = excluded
        for (id, runID) in ids { excluded[id] = .upToDate(runID: runID) }
        return RunPlan(selected: selected.filter { ids[$0] == nil }, excluded: excluded)
    }

    /// Each planned step's parents within the plan: a parent left out is
    /// replaced by its own nearest planned ancestors, so order is kept through
    /// excluded steps (with `--exclude 4`, a child of 4 still waits for 4's
    /// parents).
    public func parents(in graph: JobGraph) -> [StepID: [StepID]] {
        let chosen = Set(selected)
        var memo: [StepID: Set<StepID>] = [:]
        func nearest(above id: StepID) -> Set<StepID> {
            if let known = memo[id] { return known }
            var found: Set<StepID> = []
            for parent in graph.parents[id] ?? [] {
                if chosen.contains(parent) { found.insert(parent) } else { found.formUnion(nearest(above: parent)) }
            }
            memo[id] = found
            return found
        }
        var result: [StepID: [StepID]] = [:]
        result.reserveCapacity(chosen.count)
        for id in graph.order where chosen.contains(id) {
            let direct = graph.parents[id] ?? []
            // Most steps keep all their parents, which the graph has sorted
            // and without repeats: no set to build (10,000 steps plan in ms).
            result[id] = direct.allSatisfy(chosen.contains) ? direct : nearest(above: id).sorted()
        }
        return result
    }

    /// The planned steps in waves: each wave can start once the ones before
    /// it passed.
    public func waves(_ graph: JobGraph) -> [[StepID]] {
        let chosen = Set(selected)
        let parents = parents(in: graph)
        var level: [StepID: Int] = [:]
        var waves: [[StepID]] = []
        for id in graph.order where chosen.contains(id) {
            let wave = (parents[id] ?? []).compactMap { level[$0] }.map { $0 + 1 }.max() ?? 0
            level[id] = wave
            while waves.count <= wave { waves.append([]) }
            waves[wave].append(id)
        }
        return waves.map { $0.sorted() }
    }
}

/// `--only`, `--from`, `--to` or `--exclude` name no step, or leave none to
/// run: a usage error (exit 64), and nothing is written.
public struct SelectionError: Error, CustomStringConvertible, Sendable {
    public let message: String
    public var description: String { message }
}

/// The partial-run options: `--only IDS`, `--from ID`, `--to ID`,
/// `--exclude IDS`. They compose as an intersection: a step runs when it is
/// in `--only` (if given), is `--from` or downstream of it (if given), is
/// `--to` or upstream of it (if given), and is not in `--exclude`.
public struct StepSelection: Sendable, Equatable {
    public var only: Set<StepID>?
    public var from: StepID?
    public var to: StepID?
    public var exclude: Set<StepID>

    public init(only: Set<StepID>? = nil, from: StepID? = nil, to: StepID? = nil, exclude: Set<StepID> = []) {
        self.only = only
        self.from = from
        self.to = to
        self.exclude = exclude
    }

    /// True when nothing is selected explicitly.
    public var isEverything: Bool { only == nil && from == nil && to == nil && exclude.isEmpty }

    /// The options as typed: `--from 5 --to 2`.
    var options: String {
        var words: [String] = []
        if let only { words.append("--only \(only.sorted().map(\.description).joined(separator: ","))") }
        if let from { words.append("--from \(from)") }
        if let to { words.append("--to \(to)") }
        if !exclude.isEmpty { words.append("--exclude \(exclude.sorted().map(\.description).joined(separator: ","))") }
        return words.isEmpty ? "the options" : words.joined(separator: " ")
    }

    var mentionedIDs: Set<StepID> {
        var ids = (only ?? []).union(exclude)
        if let from { ids.insert(from) }
        if let to { ids.insert(to) }
        return ids
    }
}
