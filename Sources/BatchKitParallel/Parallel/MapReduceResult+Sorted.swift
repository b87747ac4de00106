import BatchKit
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

extension MapReduceResult where Key: Comparable, Value: Comparable {
    /// Every pair, the largest value first, ties broken by key — the order a
    /// word count is written in. Sorted in parts on ``workers`` cores, then
    /// merged.
    @inlinable
    public func sortedByValue() async -> [(key: Key, value: Value)] {
        var all: [(key: Key, value: Value)] = []
        all.reserveCapacity(count)
        forEach { all.append((key: $0, value: $1)) }
        return await Self.parallelSort(all, parts: workers) { a, b in
            a.value != b.value ? a.value > b.value : a.key < b.key
        }
    }

    /// `items` sorted by `comesFirst`: `parts` pieces sorted at once, then
    /// merged.
    @inlinable
    static func parallelSort<Item: Sendable>(
        _ items: [Item], parts: Int, by comesFirst: @escaping @Sendable (Item, Item) -> Bool
    ) async -> [Item] {
        let pieces = Array(items.indices.partitioned(into: parts))
        guard pieces.count > 1 else { return items.sorted(by: comesFirst) }
        let sorted = await withTaskGroup(of: (Int, [Item]).self) { group in
            for (index, piece) in pieces.enumerated() {
                let slice = Array(items[piece])
                group.addTask { (index, slice.sorted(by: comesFirst)) }
            }
            var sorted = [[Item]](repeating: [], count: pieces.count)
            for await (index, piece) in group { sorted[index] = piece }
            return sorted
        }
        return sorted.dropFirst().reduce(sorted[0]) { merge($0, $1, by: comesFirst) }
    }

    /// Two sorted arrays as one.
    @inlinable
    static func merge<Item>(_ a: [Item], _ b: [Item], by comesFirst: (Item, Item) -> Bool) -> [Item] {
        var merged: [Item] = []
        merged.reserveCapacity(a.count + b.count)
        var i = 0, j = 0
        while i < a.count, j < b.count {
            if comesFirst(b[j], a[i]) {
                merged.append(b[j])
                j += 1
            } else {
                merged.append(a[i])
                i += 1
            }
        }
        merged.append(contentsOf: a[i...])
        merged.append(contentsOf: b[j...])
        return merged
    }
}

extension MapReduceResult where Key == ByteString, Value: Comparable {
    /// Every pair, the largest value first, ties broken by key in byte order
    /// — the order a word count is written in. Sorted in parts on
    /// ``workers`` cores, then merged.
    ///
    /// What is sorted is small plain values — the value, the key's first 16
    /// bytes as two big-endian numbers, its length, where the rest of a
    /// longer key was copied, and the key's index — so that millions of
    /// keys sort without moving, retaining or releasing the keys.
    @inlinable
    public func sortedByValue() async -> [(key: ByteString, value: Value)] {
        var keys: [ByteString] = []
        var items: [SortItem<Value>] = []
        var longBytes: [UInt8] = []
        keys.reserveCapacity(count)
        items.reserveCapacity(count)
        forEach { key, value in
            var offset = 0
            if key.count > 16 {
                offset = longBytes.count
                key.withUnsafeBytes { longBytes.append(contentsOf: $0) }
            }
            items.append(SortItem(value: value, key: key, offset: offset, index: keys.count))
            keys.append(key)
        }
        let rest = longBytes
        let pieces = Array(items.indices.partitioned(into: workers))
        var sorted = await withTaskGroup(of: (Int, [SortItem<Value>]).self) { group in
            for (index, piece) in pieces.enumerated() {
                var slice = Array(items[piece])
                group.addTask {
                    rest.withUnsafeBytes { rest in slice.sort { $0.comesBefore($1, rest: rest) } }
                    return (index, slice)
                }
            }
            var sorted = [[SortItem<Value>]](repeating: [], count: pieces.count)
            for await (index, piece) in group { sorted[index] = piece }
            return sorted
        }
        items = []
        rest.withUnsafeBytes { rest in
            while sorted.count > 1 {
                let last = sorted.removeLast()
                sorted[sorted.count - 1] = Self.merge(sorted[sorted.count - 1], last) { $0.comesBefore($1, rest: rest) }
            }
        }
        return (sorted.first ?? []).map { (key: keys[$0.index], value: $0.value) }
    }
}

/// What ``MapReduceResult/sortedByValue()`` sorts for a byte-string key.
@usableFromInline
struct SortItem<Value: Comparable & Sendable>: Sendable {
    @usableFromInline var value: Value
    /// The key's bytes 0–7 and 8–15, big-endian, zero-padded: their order
    /// is the bytes' order.
    @usableFromInline var first: UInt64
    @usableFromInline var second: UInt64
    @usableFromInline var length: Int
    /// Where a key of more than 16 bytes was copied to.
    @usableFromInline var offset: Int
    @usableFromInline var index: Int

    @inlinable
    init(value: Value, key: ByteString, offset: Int, index: Int) {
        self.value = value
        let (low, high) = key.withUnsafeBytes { bytes in
            KeyBytes.prefix(UnsafeRawBufferPointer(rebasing: bytes.prefix(16)))
        }
        first = low.byteSwapped
        second = high.byteSwapped
        length = key.count
        self.offset = offset
        self.index = index
    }

    /// Larger value first, then key bytes in order (`rest` holds the keys
    /// of more than 16 bytes).
    @inlinable @inline(__always)
    func comesBefore(_ other: SortItem, rest: UnsafeRawBufferPointer) -> Bool {
        if value != other.value { return value > other.value }
        if first != other.first { return first < other.first }
        if second != other.second { return second < other.second }
        if length <= 16 || other.length <= 16 { return length < other.length }
        // Both longer than 16 bytes and alike so far: the bytes after 16.
        let common = Swift.min(length, other.length) - 16
        let order = memcmp(rest.baseAddress! + offset + 16, rest.baseAddress! + other.offset + 16, common)
        return order != 0 ? order < 0 : length < other.length
    }
}
