import BatchKit

extension MapReduce {
    /// Shuffles the workers' outputs into ``reducers`` partitions by key
    /// hash and merges each partition on its own task.
    ///
    /// Byte-string keys stay in ``ByteTable``s all the way (no
    /// ``ByteString`` is made per key): when any worker emitted bytes, every
    /// `ByteString` key goes to a partition's byte table.
    @inlinable
    static func shuffleAndReduce<Key: Hashable & Sendable, Value: Sendable>(
        _ outputs: [EmitterOutput<Key, Value>], reducers: Int, combine: @escaping @Sendable (inout Value, Value) -> Void
    ) async -> (dictionaries: [[Key: Value]], byteTables: [ByteTable<Value>]) {
        if Key.self == ByteString.self, outputs.contains(where: { $0.bytes.count > 0 }) {
            return ([], await reduceBytes(outputs, reducers: reducers, combine: combine))
        }
        return (await reduceDictionaries(outputs.map(\.table), reducers: reducers, combine: combine), [])
    }

    /// Partition `p` of the result is built by one task from the entries of
    /// every worker whose hash falls in `p`. One partition per worker: each
    /// task reads every worker's table once, so more partitions than cores
    /// would only read them more often.
    @inlinable
    static func reduceBytes<Key: Hashable & Sendable, Value: Sendable>(
        _ outputs: [EmitterOutput<Key, Value>], reducers: Int, combine: @escaping @Sendable (inout Value, Value) -> Void
    ) async -> [ByteTable<Value>] {
        if outputs.count == 1, outputs[0].table.isEmpty { return [outputs[0].bytes] }
        let parts = max(1, min(reducers, outputs.count))
        let expected = outputs.map { $0.bytes.count + $0.table.count }.max() ?? 0
        return await withTaskGroup(of: (Int, ByteTable<Value>).self) { group in
            for part in 0..<parts {
                group.addTask {
                    var merged = ByteTable<Value>(expectedCount: expected / parts + expected / (parts * 4))
                    for output in outputs {
                        merged.merge(output.bytes, part: part, of: parts, combine: combine)
                        for (key, value) in output.table {
                            // Key is ByteString here (checked by the caller).
                            unsafeBitCast(key, to: ByteString.self).withUnsafeBytes { bytes in
                                let (low, high) = KeyBytes.prefix(bytes)
                                let hash = KeyBytes.hash(bytes, low: low, high: high)
                                if ByteTable<Value>.partition(UInt32(truncatingIfNeeded: hash >> 32), of: parts) == part {
                                    merged.add(bytes, low: low, high: high, hash: hash, value, combine: combine)
                                }
                            }
                        }
                    }
                    return (part, merged)
                }
            }
            var tables = [ByteTable<Value>](repeating: ByteTable(), count: parts)
            for await (part, table) in group { tables[part] = table }
            return tables
        }
    }

    /// Sends each key of each worker's table to partition `hash % reducers`,
    /// then merges each partition's pieces on its own task.
    @inlinable
    static func reduceDictionaries<Key: Hashable & Sendable, Value: Sendable>(
        _ tables: [[Key: Value]], reducers: Int, combine: @escaping @Sendable (inout Value, Value) -> Void
    ) async -> [[Key: Value]] {
        if tables.count <= 1 { return tables }
        let partitionCount = max(1, reducers)
        // Shuffle: each worker's table is cut into partitions in parallel.
        let pieces: [[[Key: Value]]] = await withTaskGroup(of: (Int, [[Key: Value]]).self) { group in
            for (index, table) in tables.enumerated() {
                group.addTask {
                    var buckets = [[Key: Value]](repeating: [:], count: partitionCount)
                    let expected = table.count / partitionCount + 1
                    for index in buckets.indices { buckets[index].reserveCapacity(expected) }
                    for (key, value) in table {
                        buckets[Int(UInt(bitPattern: key.hashValue) % UInt(partitionCount))][key] = value
                    }
                    return (index, buckets)
                }
            }
            var pieces = [[[Key: Value]]](repeating: [], count: tables.count)
            for await (index, buckets) in group { pieces[index] = buckets }
            return pieces
        }
        // Reduce: partition r merges piece r of every worker.
        return await withTaskGroup(of: (Int, [Key: Value]).self) { group in
            for partition in 0..<partitionCount {
                group.addTask {
                    var merged = pieces[0][partition]
                    for worker in pieces.indices.dropFirst() {
                        for (key, value) in pieces[worker][partition] {
                            if let slot = merged.index(forKey: key) {
                                combine(&merged.values[slot], value)
                            } else {
                                merged[key] = value
                            }
                        }
                    }
                    return (partition, merged)
                }
            }
            var partitions = [[Key: Value]](repeating: [:], count: partitionCount)
            for await (partition, merged) in group { partitions[partition] = merged }
            return partitions
        }
    }
}
