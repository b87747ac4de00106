import BatchKit

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
    /// What is sorted is small plain values — the value, the key's first 8
    /// bytes as a number, the key's index — so that millions of keys sort
    /// without moving the keys themselves.
    @inlinable
    public func sortedByValue() async -> [(key: ByteString, value: Value)] {
        var keys: [ByteString] = []
        var items: [SortItem<Value>] = []
        keys.reserveCapacity(count)
        items.reserveCapacity(count)
        forEach { key, value in
            items.append(SortItem(value: value, prefix: key.low.byteSwapped, index: keys.count))
            keys.append(key)
        }
        let allKeys = keys
        let sorted = await Self.parallelSort(items, parts: workers) { a, b in
            if a.value != b.value { return a.value > b.value }
            if a.prefix != b.prefix { return a.prefix < b.prefix }
            return allKeys[a.index] < allKeys[b.index]
        }
        return sorted.map { (key: allKeys[$0.index], value: $0.value) }
    }
}

/// What ``MapReduceResult/sortedByValue()`` sorts for a byte-string key.
@usableFromInline
struct SortItem<Value: Sendable>: Sendable {
    @usableFromInline var value: Value
    /// The key's first 8 bytes, big-endian: their order is the bytes' order.
    @usableFromInline var prefix: UInt64
    @usableFromInline var index: Int

    @inlinable
    init(value: Value, prefix: UInt64, index: Int) {
        self.value = value
        self.prefix = prefix
        self.index = index
    }
}
