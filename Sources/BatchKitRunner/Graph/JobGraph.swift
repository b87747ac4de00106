import BatchKit
/// A validated job definition as a DAG: each step's parents and children and
/// a deterministic topological order (ties broken by step id).
public struct JobGraph: Sendable {
    /// The steps, sorted by id.
    public let steps: [Step]
    /// Resolved parents of each step (the default parent filled in), sorted.
    public let parents: [StepID: [StepID]]
    /// Children of each step, sorted.
    public let children: [StepID: [StepID]]
    /// A topological order; among steps that are ready together, lower ids first.
    public let order: [StepID]

    private let index: [StepID: Int]

    /// Validates `job` and builds its graph.
    ///
    /// - Throws: ``DefinitionError`` listing every problem: no steps, a step
    ///   outside a numbered file, duplicate ids, a self-dependency, an unknown
    ///   parent or a cycle, each naming the steps involved.
    public init(job: Job) throws(DefinitionError) {
        var problems: [String] = []
        if job.steps.isEmpty {
            problems.append("the job \"\(job.name)\" has no steps; add one with `batchkit add step \"NAME\"`")
        }
        if job.name.utf8.contains(0) {
            problems.append("the job name \"\(job.name)\" holds a NUL character (shown as \\0), which would cut it short in file names and commands; remove it")
        }
        let sorted = job.steps.sorted { ($0.id, $0.source) < ($1.id, $1.source) }
        var index: [StepID: Int] = [:]
        var unique: [Step] = []
        for step in sorted {
            if step.id <= 0 {
                if case .swift = step.action {
                    problems.append("step \"\(step.name)\" is declared in \(step.source), which is not a numbered step file; move it into its own file named like 05_\(step.slug).swift")
                } else {
                    problems.append("step \"\(step.name)\" (\(step.source)) has id \(step.id); ids start at 1")
                }
                continue
            }
            for problem in step.policy.problems() + Self.nulProblems(step) {
                problems.append("step \(step.displayID) \"\(step.name)\" (\(step.source)): \(problem)")
            }
            if let other = index[step.id] {
                let first = unique[other]
                problems.append("steps \"\(first.name)\" (\(first.source)) and \"\(step.name)\" (\(step.source)) both have id \(step.id); give each step its own number")
                continue
            }
            index[step.id] = unique.count
            unique.append(step)
        }

        // Built by position in `unique`, each id hashed once per mention;
        // the dictionaries are made at the end (10,000 steps plan in ms).
        var parentPositions = [[Int]](repeating: [], count: unique.count)
        var childPositions = [[Int]](repeating: [], count: unique.count)
        var previous: Int?
        for (position, step) in unique.enumerated() {
            var resolved: [StepID]
            if let declared = step.parents {
                resolved = declared.sorted()
                resolved.removeAdjacentDuplicates()
            } else {
                resolved = previous.map { [unique[$0].id] } ?? []
            }
            previous = position
            if resolved.contains(step.id) {
                problems.append("step \(step.displayID) \"\(step.name)\" (\(step.source)) lists itself as a parent; remove \(step.id) from its parents")
                resolved.removeAll { $0 == step.id }
            }
            for parent in resolved {
                guard let at = index[parent] else {
                    problems.append("step \(step.displayID) \"\(step.name)\" (\(step.source)) depends on step \(parent), which does not exist; fix its parents or add step \(parent)")
                    continue
                }
                parentPositions[position].append(at)
                // Steps are visited by id, so each list of children is sorted.
                childPositions[at].append(position)
            }
        }
        let ids = unique.map(\.id)
        var parents: [StepID: [StepID]] = [:], children: [StepID: [StepID]] = [:]
        parents.reserveCapacity(ids.count)
        children.reserveCapacity(ids.count)
        for position in ids.indices {
            parents[ids[position]] = parentPositions[position].map { ids[$0] }
            children[ids[position]] = childPositions[position].map { ids[$0] }
        }

        let order = Self.topologicalOrder(parents: parentPositions, children: childPositions).map { ids[$0] }
        if order.count < unique.count {
            let cycle = Self.findCycle(among: Set(ids).subtracting(order), parents: parents)
            let names = cycle.map { id in "\(id) \"\(unique.first { $0.id == id }?.name ?? "?")\"" }
            problems.append("the steps form a cycle: \(names.joined(separator: " → ")); remove one of these dependencies")
        }
        if !problems.isEmpty { throw DefinitionError(problems) }

        self.steps = unique
        self.parents = parents
        self.children = children
        self.order = order
        self.index = index
    }

    /// A NUL in a name or a shell command: C strings (a command's arguments,
    /// file names) end there, so the text would be cut without a word.
    private static func nulProblems(_ step: Step) -> [String] {
        var problems: [String] = []
        if step.name.utf8.contains(0) {
            problems.append("the name holds a NUL character (shown as \\0), which would cut it short in files and commands; remove it")
        }
        if case .shell(let command) = step.action, let nul = command.utf8.firstIndex(of: 0) {
            let before = String(decoding: command.utf8[..<nul], as: UTF8.self)
            problems.append("the shell command holds a NUL character; the shell would run only \"\(before)\". Remove it")
        }
        return problems
    }

    /// The step with this id.
    public func step(_ id: StepID) -> Step? {
        index[id].map { steps[$0] }
    }

    /// Every step reachable from `id` through children, sorted by id.
    public func descendants(of id: StepID) -> [StepID] {
        var seen: Set<StepID> = []
        var stack = children[id] ?? []
        while let next = stack.popLast() {
            if seen.insert(next).inserted { stack.append(contentsOf: children[next] ?? []) }
        }
        return seen.sorted()
    }

    /// Every step `id` depends on, directly or not, sorted by id.
    public func ancestors(of id: StepID) -> [StepID] {
        var seen: Set<StepID> = []
        var stack = parents[id] ?? []
        while let next = stack.popLast() {
            if seen.insert(next).inserted { stack.append(contentsOf: parents[next] ?? []) }
        }
        return seen.sorted()
    }

    /// Steps grouped into waves: a step's wave is one more than its latest
    /// parent's, so each wave can run in parallel once the previous ones pass.
    public func waves() -> [[StepID]] {
        var level: [StepID: Int] = [:]
        var waves: [[StepID]] = []
        for id in order {
            let wave = (parents[id] ?? []).map { (level[$0] ?? 0) + 1 }.max() ?? 0
            level[id] = wave
            if wave == waves.count { waves.append([]) }
            waves[wave].append(id)
        }
        return waves.map { $0.sorted() }
    }

    /// Kahn's algorithm with a sorted ready list, so equal-rank steps come out
    /// by id. Steps are positions in id order, so smaller is lower id.
    private static func topologicalOrder(parents: [[Int]], children: [[Int]]) -> [Int] {
        var pending = parents.map(\.count)
        var ready = Array(pending.indices.filter { pending[$0] == 0 }.reversed())  // popLast takes the smallest
        var order: [Int] = []
        order.reserveCapacity(parents.count)
        while let step = ready.popLast() {
            order.append(step)
            for child in children[step] {
                pending[child] -= 1
                if pending[child] == 0 {
                    let position = ready.firstIndex(partitionedBy: { $0 < child })
                    ready.insert(child, at: position)
                }
            }
        }
        return order
    }

    /// A cycle among `candidates` (the steps Kahn's algorithm could not order),
    /// found by walking parents until a step repeats.
    private static func findCycle(among candidates: Set<StepID>, parents: [StepID: [StepID]]) -> [StepID] {
        guard var current = candidates.min() else { return [] }
        var path: [StepID] = []
        var seenAt: [StepID: Int] = [:]
        while seenAt[current] == nil {
            seenAt[current] = path.count
            path.append(current)
            guard let next = (parents[current] ?? []).filter(candidates.contains).min() else { return path }
            current = next
        }
        // The walk went child → parent; show it parent → child.
        let cycle = Array(path[(seenAt[current] ?? 0)...].reversed())
        return cycle + cycle.prefix(1)
    }
}

extension Array where Element: Equatable {
    /// Removes each element equal to the one before it: in a sorted array,
    /// the repeats.
    mutating func removeAdjacentDuplicates() {
        guard count > 1 else { return }
        var kept = 1
        for index in 1..<count where self[index] != self[kept - 1] {
            self[kept] = self[index]
            kept += 1
        }
        removeLast(count - kept)
    }
}

extension Array {
    /// The first index whose element satisfies `predicate`, by binary search,
    /// in an array where every element satisfying it comes after every other.
    func firstIndex(partitionedBy predicate: (Element) -> Bool) -> Int {
        var low = 0
        var high = count
        while low < high {
            let mid = (low + high) / 2
            if predicate(self[mid]) { high = mid } else { low = mid + 1 }
        }
        return low
    }
}
