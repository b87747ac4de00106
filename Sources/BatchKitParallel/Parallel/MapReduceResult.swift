import BatchKit
import Foundation

/// What a ``MapReduce`` run produced: one dictionary per key partition
/// (partitions hold disjoint keys), and what was read.
public struct MapReduceResult<Key: Hashable & Sendable, Value: Sendable>: Sendable {
    /// The reduced key–value pairs, by partition.
    public let partitions: [[Key: Value]]
    /// Records (lines or elements) read.
    public let records: Int
    /// Records rejected (and written to the rejects file).
    public let rejected: Int
    /// Workers that ran the map phase.
    public let workers: Int
    /// Wall time of the whole run, in seconds.
    public let seconds: Double

    public init(partitions: [[Key: Value]], records: Int, rejected: Int, workers: Int, seconds: Double) {
        self.partitions = partitions
        self.records = records
        self.rejected = rejected
        self.workers = workers
        self.seconds = seconds
    }

    /// The number of distinct keys.
    public var count: Int { partitions.reduce(0) { $0 + $1.count } }

    /// The value for `key`, if any record produced it.
    public subscript(key: Key) -> Value? {
        for partition in partitions {
            if let value = partition[key] { return value }
        }
        return nil
    }

    /// Every pair in one dictionary.
    public var dictionary: [Key: Value] {
        var merged: [Key: Value] = [:]
        merged.reserveCapacity(count)
        for partition in partitions { merged.merge(partition) { first, _ in first } }
        return merged
    }

    /// Calls `body` with every pair, partition by partition.
    public func forEach(_ body: (Key, Value) throws -> Void) rethrows {
        for partition in partitions {
            for (key, value) in partition { try body(key, value) }
        }
    }

    /// The `n` pairs that come first by `areInIncreasingOrder`, best first.
    public func top(_ n: Int, by areInIncreasingOrder: ((key: Key, value: Value), (key: Key, value: Value)) -> Bool) -> [(key: Key, value: Value)] {
        guard n > 0 else { return [] }
        var best: [(key: Key, value: Value)] = []
        best.reserveCapacity(n + 1)
        forEach { key, value in
            let pair = (key: key, value: value)
            if best.count == n, let last = best.last, !areInIncreasingOrder(pair, last) { return }
            let position = best.firstIndex { areInIncreasingOrder(pair, $0) } ?? best.endIndex
            best.insert(pair, at: position)
            if best.count > n { best.removeLast() }
        }
        return best
    }

    /// Every pair, ordered by `areInIncreasingOrder`.
    public func sorted(by areInIncreasingOrder: ((key: Key, value: Value), (key: Key, value: Value)) -> Bool) -> [(key: Key, value: Value)] {
        var all: [(key: Key, value: Value)] = []
        all.reserveCapacity(count)
        forEach { all.append((key: $0, value: $1)) }
        return all.sorted(by: areInIncreasingOrder)
    }
}

extension MapReduceResult where Key: Comparable, Value: Comparable {
    /// The `n` largest values, ties broken by key, so the order is stable.
    public func top(_ n: Int) -> [(key: Key, value: Value)] {
        top(n) { $0.value != $1.value ? $0.value > $1.value : $0.key < $1.key }
    }
}
