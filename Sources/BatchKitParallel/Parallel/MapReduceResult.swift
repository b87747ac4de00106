import BatchKit
import Foundation

/// What a ``MapReduce`` run produced: one dictionary per key partition
/// (partitions hold disjoint keys), and what was read.
public struct MapReduceResult<Key: Hashable & Sendable, Value: Sendable>: Sendable {
    /// Keys emitted as values, by partition.
    @usableFromInline let dictionaries: [[Key: Value]]
    /// Keys emitted as bytes (``Emitter/emit(bytes:_:)``), by partition,
    /// kept as bytes: a ``ByteString`` is made only when a key is read.
    @usableFromInline let byteTables: [ByteTable<Value>]
    /// Records (lines or elements) read.
    public let records: Int
    /// Records rejected (and written to the rejects file).
    public let rejected: Int
    /// Workers that ran the map phase.
    public let workers: Int
    /// Wall time of the whole run, in seconds.
    public let seconds: Double

    public init(partitions: [[Key: Value]], records: Int, rejected: Int, workers: Int, seconds: Double) {
        self.init(partitions: partitions, byteTables: [], records: records, rejected: rejected, workers: workers, seconds: seconds)
    }

    @usableFromInline
    init(partitions: [[Key: Value]], byteTables: [ByteTable<Value>], records: Int, rejected: Int, workers: Int, seconds: Double) {
        self.dictionaries = partitions
        self.byteTables = byteTables
        self.records = records
        self.rejected = rejected
        self.workers = workers
        self.seconds = seconds
    }

    /// The reduced key–value pairs, by partition (partitions hold disjoint
    /// keys).
    public var partitions: [[Key: Value]] {
        guard !byteTables.isEmpty else { return dictionaries }
        return byteTables.map { table in
            var partition: [Key: Value] = [:]
            partition.reserveCapacity(table.count)
            table.forEachKey { key, value in partition[unsafeBitCast(key, to: Key.self)] = value }
            return partition
        }
    }

    /// The number of distinct keys.
    public var count: Int { dictionaries.reduce(0) { $0 + $1.count } + byteTables.reduce(0) { $0 + $1.count } }

    /// The value for `key`, if any record produced it.
    public subscript(key: Key) -> Value? {
        for partition in dictionaries {
            if let value = partition[key] { return value }
        }
        guard !byteTables.isEmpty else { return nil }
        return unsafeBitCast(key, to: ByteString.self).withUnsafeBytes { bytes in
            for table in byteTables {
                if let value = table.value(for: bytes) { return value }
            }
            return nil
        }
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
        for partition in dictionaries {
            for (key, value) in partition { try body(key, value) }
        }
        for table in byteTables {
            // Key is ByteString (the only key a byte table holds).
            try table.forEachKey { key, value in try body(unsafeBitCast(key, to: Key.self), value) }
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
