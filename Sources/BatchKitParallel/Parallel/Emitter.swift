import BatchKit

/// Collects one worker's key–value pairs, combining values of equal keys as
/// they come (the "combiner"), so a worker holds one entry per distinct key.
public struct Emitter<Key: Hashable, Value> {
    @usableFromInline var table: [Key: Value] = [:]
    @usableFromInline let combine: (inout Value, Value) -> Void
    /// Byte-string keys emitted with ``emit(bytes:_:)``.
    @usableFromInline var bytesTable = ByteTable<Value>()
    /// Where the chunk being mapped starts, and how many addresses from
    /// there have 16 readable bytes: keys inside it are loaded without
    /// bounds tests (see ``TextChunk``).
    @usableFromInline var paddedStart: UInt = 0
    @usableFromInline var paddedStarts: UInt = 0
    /// Keys of the chunk being mapped, hashed but not yet added: their
    /// slots are requested from memory first, then the keys are added a
    /// batch at a time, so that a batch's cache misses overlap instead of
    /// coming one after another.
    @usableFromInline var pending: [PendingKey<Value>] = []
    /// Sums the slot tags read ahead, so those reads are not optimised away.
    @usableFromInline var touched: UInt32 = 0

    @inlinable
    init(combine: @escaping (inout Value, Value) -> Void) {
        self.combine = combine
    }

    /// Everything emitted, handed to the shuffle.
    @inlinable
    mutating func finish() -> EmitterOutput<Key, Value> {
        flush()
        defer {
            table = [:]
            bytesTable = ByteTable()
        }
        return EmitterOutput(table: table, bytes: bytesTable)
    }

    /// Emits `value` for `key`, combining it with what the worker already
    /// holds for that key.
    @inlinable
    public mutating func emit(_ key: Key, _ value: Value) {
        if let slot = table.index(forKey: key) {
            combine(&table.values[slot], value)
        } else {
            table[key] = value
        }
    }

    /// Distinct keys this worker holds so far (without the last few keys
    /// of the chunk being mapped, still on their way into the table).
    @inlinable public var distinctKeys: Int { table.count + bytesTable.count }

    /// Adds the pending keys to the table.
    @inlinable
    mutating func flush() {
        for key in pending {
            bytesTable.add(
                UnsafeRawBufferPointer(start: key.base, count: key.count), low: key.low, high: key.high, hash: key.hash,
                key.value, combine: combine)
        }
        pending.removeAll(keepingCapacity: true)
    }
}

extension Emitter where Key == ByteString {
    /// Emits `value` for the key made of `bytes` — the fast way to count
    /// words, paths or hosts: bytes already seen are found without making a
    /// ``ByteString``, and a new key's bytes are copied once.
    @inlinable
    public mutating func emit(bytes: UnsafeRawBufferPointer, _ value: Value) {
        let count = bytes.count
        if let base = bytes.baseAddress, UInt(bitPattern: base) &- paddedStart < paddedStarts, count <= 16 {
            // Inside a padded chunk: two loads and masks, no branch on the length.
            let low = base.loadUnaligned(as: UInt64.self) & ~(UInt64.max << UInt64(truncatingIfNeeded: Swift.min(count, 8) &* 8))
            let high = base.loadUnaligned(fromByteOffset: 8, as: UInt64.self) & ~(UInt64.max << UInt64(truncatingIfNeeded: Swift.max(count &- 8, 0) &* 8))
            let hash = KeyBytes.hash(bytes, low: low, high: high)
            touched &+= bytesTable.touch(hash)
            pending.append(PendingKey(base: base, count: count, low: low, high: high, hash: hash, value: value))
            if pending.count == Self.batch { flush() }
        } else {
            bytesTable.add(bytes, value, combine: combine)
        }
    }
}

extension Emitter {
    /// Keys inside `chunk` may be loaded 16 bytes at a time, until
    /// ``leave(_:)``.
    @inlinable
    mutating func enter(_ chunk: TextChunk) {
        paddedStart = UInt(bitPattern: chunk.bytes.baseAddress)
        paddedStarts = chunk.bytes.baseAddress == nil ? 0 : UInt(chunk.bytes.count &+ 1)
    }

    /// Keys read ahead of being added (16 fills the memory system's
    /// outstanding misses on current x86 and ARM cores).
    @inlinable static var batch: Int { 16 }

    @inlinable
    mutating func leave(_ chunk: TextChunk) {
        flush()
        paddedStart = 0
        paddedStarts = 0
    }
}

/// A key emitted from a padded chunk, hashed, waiting to be added.
@usableFromInline
struct PendingKey<Value> {
    @usableFromInline var base: UnsafeRawPointer
    @usableFromInline var count: Int
    @usableFromInline var low: UInt64
    @usableFromInline var high: UInt64
    @usableFromInline var hash: UInt64
    @usableFromInline var value: Value

    @inlinable
    init(base: UnsafeRawPointer, count: Int, low: UInt64, high: UInt64, hash: UInt64, value: Value) {
        self.base = base
        self.count = count
        self.low = low
        self.high = high
        self.hash = hash
        self.value = value
    }
}

/// What one worker emitted: keys emitted as values in a dictionary, keys
/// emitted as bytes in a ``ByteTable``.
@usableFromInline
struct EmitterOutput<Key: Hashable, Value> {
    @usableFromInline var table: [Key: Value]
    @usableFromInline var bytes: ByteTable<Value>

    @inlinable
    init(table: [Key: Value], bytes: ByteTable<Value>) {
        self.table = table
        self.bytes = bytes
    }
}

extension EmitterOutput: Sendable where Key: Sendable, Value: Sendable {}
