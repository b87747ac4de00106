import BatchKit

/// An open-addressing hash table from byte strings to values, for the hot
/// path of ``Emitter/emit(bytes:_:)``: a lookup hashes the borrowed bytes
/// and compares them in place, so a key that is already there costs no
/// allocation and no copy; a new key's bytes are copied once.
///
/// Why it is laid out this way: counting words of real text is bound by
/// memory latency, one lookup per word into a table of up to millions of
/// keys. So a slot holds everything a lookup needs — the key's first 16
/// bytes, its hash and length, and the value itself — in 32 bytes for an
/// `Int` value: two slots per cache line, and finding a key of up to 16
/// bytes and adding to its count touches one line. Longer keys keep their
/// first 8 bytes in the slot and the rest in an arena, compared only when
/// hash, length and prefix all match.
@usableFromInline
struct ByteTable<Value> {
    @usableFromInline
    struct Slot {
        /// The key's first 8 bytes, little-endian, zero-padded.
        @usableFromInline var low: UInt64
        /// Bytes 8–15 of a key of up to 16 bytes, zero-padded; for a
        /// longer key, where its bytes start in the arena.
        @usableFromInline var high: UInt64
        /// The upper half of the key's 64-bit hash (its position in the
        /// table comes from these bits too).
        @usableFromInline var hash: UInt32
        /// The key's length + 1; 0 marks an empty slot.
        @usableFromInline var tag: UInt32
        @usableFromInline var value: Value

        @inlinable init(low: UInt64, high: UInt64, hash: UInt32, tag: UInt32, value: Value) {
            self.low = low
            self.high = high
            self.hash = hash
            self.tag = tag
            self.value = value
        }

        @inlinable var length: Int { Int(tag &- 1) }
    }

    /// Empty until the first key; a power of two long. Empty slots hold the
    /// first value ever added as a filler, so every slot is initialised.
    @usableFromInline var slots: [Slot] = []
    @usableFromInline var mask = -1
    @usableFromInline var count = 0
    /// The bytes of keys longer than 16 bytes, one after another.
    @usableFromInline var arena: [UInt8] = []

    /// The slots the first key allocates (a power of two).
    @usableFromInline var initialSlots = 1024

    @inlinable
    init() {}

    /// A table that holds `expectedCount` keys without growing.
    @inlinable
    init(expectedCount: Int) {
        while initialSlots &* 7 < expectedCount &* 10 { initialSlots &*= 2 }
    }

    /// Adds `value` to the entry for `key`, combining when it exists.
    @inlinable @inline(__always)
    mutating func add(_ key: UnsafeRawBufferPointer, _ value: Value, combine: (inout Value, Value) -> Void) {
        let (low, high) = KeyBytes.prefix(key)
        let hash = KeyBytes.hash(key, low: low, high: high)
        add(key, low: low, high: high, hash: hash, value, combine: combine)
    }

    /// The same, with the key's prefix words and hash already computed
    /// (``KeyBytes/prefix(_:)``, ``KeyBytes/hash(_:low:high:)``).
    @inlinable @inline(__always)
    mutating func add(
        _ key: UnsafeRawBufferPointer, low: UInt64, high: UInt64, hash: UInt64, _ value: Value,
        combine: (inout Value, Value) -> Void
    ) {
        if mask < 0 { grow(filler: value) }
        let count = key.count
        let tag = UInt32(truncatingIfNeeded: count &+ 1)
        let hash32 = UInt32(truncatingIfNeeded: hash >> 32)
        var position = Int(hash32) & mask
        while true {
            let slot = slots[position]
            if slot.tag == 0 { break }
            if slot.hash == hash32, slot.tag == tag, slot.low == low,
               count <= 16 ? slot.high == high : arenaEqual(Int(truncatingIfNeeded: slot.high), key) {
                combine(&slots[position].value, value)
                return
            }
            position = (position &+ 1) & mask
        }
        insert(key, low: low, high: high, hash32: hash32, tag: tag, value: value, at: position)
    }

    /// Reads the tag of the first slot a key of this hash would take, to
    /// bring its cache line in before the key is added.
    @inlinable @inline(__always)
    func touch(_ hash: UInt64) -> UInt32 {
        guard mask >= 0 else { return 0 }
        return slots[Int(UInt32(truncatingIfNeeded: hash >> 32)) & mask].tag
    }

    @inlinable
    func arenaEqual(_ start: Int, _ key: UnsafeRawBufferPointer) -> Bool {
        arena.withUnsafeBytes { arena in
            KeyBytes.equal(arena.baseAddress! + start, key.baseAddress!, key.count)
        }
    }

    @inlinable
    mutating func insert(
        _ key: UnsafeRawBufferPointer, low: UInt64, high: UInt64, hash32: UInt32, tag: UInt32, value: Value, at position: Int
    ) {
        precondition(key.count < Int(UInt32.max) - 1 && count < Int(Int32.max), "ByteTable holds at most 2^31 keys of under 4 GB")
        var high = high
        if key.count > 16 {
            high = UInt64(arena.count)
            arena.append(contentsOf: key)
        }
        slots[position] = Slot(low: low, high: high, hash: hash32, tag: tag, value: value)
        count &+= 1
        // Grow past a load of 0.7: linear probing stays short, and the
        // table stays small enough to be worth caching.
        if count &* 10 > (mask &+ 1) &* 7 { grow(filler: value) }
    }

    /// Doubles the slots.
    @usableFromInline
    mutating func grow(filler: Value) {
        let newMask = mask < 0 ? initialSlots &- 1 : mask &* 2 &+ 1
        var newSlots = [Slot](repeating: Slot(low: 0, high: 0, hash: 0, tag: 0, value: filler), count: newMask + 1)
        newSlots.withUnsafeMutableBufferPointer { newSlots in
            for slot in slots where slot.tag != 0 {
                var position = Int(slot.hash) & newMask
                while newSlots[position].tag != 0 { position = (position &+ 1) & newMask }
                newSlots[position] = slot
            }
        }
        slots = newSlots
        mask = newMask
    }

    /// Calls `body` with each key, its hash's upper half and its value.
    @inlinable
    func forEach(_ body: (UnsafeRawBufferPointer, UInt32, Value) throws -> Void) rethrows {
        try arena.withUnsafeBytes { arena in
            for slot in slots where slot.tag != 0 {
                let length = slot.length
                if length > 16 {
                    try body(UnsafeRawBufferPointer(rebasing: arena[Int(slot.high)..<Int(slot.high) + length]), slot.hash, slot.value)
                } else {
                    var words = (slot.low, slot.high)
                    try withUnsafeBytes(of: &words) { try body(UnsafeRawBufferPointer(rebasing: $0[0..<length]), slot.hash, slot.value) }
                }
            }
        }
    }

    /// Calls `body` with each key, as a ``ByteString`` that shares the
    /// arena (no copy), and its value.
    @inlinable
    func forEachKey(_ body: (ByteString, Value) throws -> Void) rethrows {
        for slot in slots where slot.tag != 0 {
            let length = slot.length
            if length > 16 {
                try body(ByteString(storage: arena, start: Int(slot.high), length: length), slot.value)
            } else {
                try body(ByteString(low: slot.low, high: slot.high, length: length), slot.value)
            }
        }
    }

    /// The value for `key`, if it is there.
    @inlinable
    func value(for key: UnsafeRawBufferPointer) -> Value? {
        guard mask >= 0 else { return nil }
        let (low, high) = KeyBytes.prefix(key)
        let hash32 = UInt32(truncatingIfNeeded: KeyBytes.hash(key, low: low, high: high) >> 32)
        let tag = UInt32(truncatingIfNeeded: key.count &+ 1)
        var position = Int(hash32) & mask
        while slots[position].tag != 0 {
            let slot = slots[position]
            if slot.hash == hash32, slot.tag == tag, slot.low == low,
               key.count <= 16 ? slot.high == high : arenaEqual(Int(slot.high), key) {
                return slot.value
            }
            position = (position &+ 1) & mask
        }
        return nil
    }

    /// The partition of `parts` a key of this hash belongs to: from the
    /// hash's bits remixed, as its slot comes from its low bits.
    @inlinable
    static func partition(_ hash32: UInt32, of parts: Int) -> Int {
        Int((UInt64(hash32 &* 0x9E37_79B1) &* UInt64(parts)) >> 32)
    }

    /// Adds every entry of `other` whose hash falls in partition `part` of
    /// `parts` (all of them when `parts` is 1).
    @inlinable
    mutating func merge(_ other: ByteTable<Value>, part: Int = 0, of parts: Int = 1, combine: (inout Value, Value) -> Void) {
        other.forEach { key, hash32, value in
            guard parts == 1 || Self.partition(hash32, of: parts) == part else { return }
            let (low, high) = KeyBytes.prefix(key)
            add(key, low: low, high: high, hash: UInt64(hash32) << 32, value, combine: combine)
        }
    }
}

extension ByteTable: Sendable where Value: Sendable {}
extension ByteTable.Slot: Sendable where Value: Sendable {}

/// The key operations of ``ByteTable``, apart so that scanners that already
/// hold a word's bytes in registers can use them too.
@usableFromInline
enum KeyBytes {
    /// The first 16 bytes of `key` as two little-endian numbers, zero-padded;
    /// for a longer key, its first and last 8 bytes. Reads only the key's
    /// own bytes.
    @inlinable @inline(__always)
    static func prefix(_ key: UnsafeRawBufferPointer) -> (UInt64, UInt64) {
        let count = key.count
        guard let base = key.baseAddress, count > 0 else { return (0, 0) }
        if count >= 8 {
            let low = base.loadUnaligned(as: UInt64.self)
            let last = base.loadUnaligned(fromByteOffset: count &- 8, as: UInt64.self)
            // 8–15 bytes: the last 8 shifted down to just bytes 8…; 16 and more: the last 8.
            let high = count >= 16 ? last : (last >> 1) >> UInt64(truncatingIfNeeded: (16 &- count) &* 8 &- 1)
            return (low, high)
        }
        if count >= 4 {
            let first = UInt64(base.loadUnaligned(as: UInt32.self))
            let last = UInt64(base.loadUnaligned(fromByteOffset: count &- 4, as: UInt32.self))
            return (first | last << UInt64(truncatingIfNeeded: (count &- 4) &* 8), 0)
        }
        let first = UInt64(base.load(as: UInt8.self))
        let middle = UInt64(base.load(fromByteOffset: count >> 1, as: UInt8.self))
        let last = UInt64(base.load(fromByteOffset: count &- 1, as: UInt8.self))
        return (first | middle << UInt64(truncatingIfNeeded: (count >> 1) &* 8) | last << UInt64(truncatingIfNeeded: (count &- 1) &* 8), 0)
    }

    /// A fast 64-bit hash of `key`, given its ``prefix(_:)`` (not for
    /// adversarial input: a job's own data cannot make the table worse than
    /// slow).
    @inlinable @inline(__always)
    static func hash(_ key: UnsafeRawBufferPointer, low: UInt64, high: UInt64) -> UInt64 {
        let count = key.count
        if count <= 16 {
            return mix((low ^ 0x9E37_79B9_7F4A_7C15) &* 0xBF58_476D_1CE4_E5B9 ^ high ^ UInt64(truncatingIfNeeded: count))
        }
        return longHash(key)
    }

    @inlinable
    static func longHash(_ key: UnsafeRawBufferPointer) -> UInt64 {
        let count = key.count
        let base = key.baseAddress!
        var state: UInt64 = 0x9E37_79B9_7F4A_7C15 ^ UInt64(truncatingIfNeeded: count)
        var offset = 0
        while offset &+ 8 <= count {
            state = (state ^ base.loadUnaligned(fromByteOffset: offset, as: UInt64.self)) &* 0xBF58_476D_1CE4_E5B9
            state ^= state >> 29
            offset &+= 8
        }
        // The last 8 bytes (overlapping what came before) cover the rest.
        state = (state ^ base.loadUnaligned(fromByteOffset: count &- 8, as: UInt64.self)) &* 0x94D0_49BB_1331_11EB
        return mix(state)
    }

    /// `memcmp(a, b, count) == 0`, inline for the short keys tables see.
    @inlinable
    static func equal(_ a: UnsafeRawPointer, _ b: UnsafeRawPointer, _ count: Int) -> Bool {
        var offset = 0
        while offset &+ 8 <= count {
            if a.loadUnaligned(fromByteOffset: offset, as: UInt64.self) != b.loadUnaligned(fromByteOffset: offset, as: UInt64.self) {
                return false
            }
            offset &+= 8
        }
        while offset < count {
            if a.load(fromByteOffset: offset, as: UInt8.self) != b.load(fromByteOffset: offset, as: UInt8.self) { return false }
            offset &+= 1
        }
        return true
    }

    @inlinable @inline(__always)
    static func mix(_ value: UInt64) -> UInt64 {
        var x = value
        x ^= x >> 31
        x = x &* 0x7FB5_D329_728E_A185
        x ^= x >> 27
        x = x &* 0x81DA_DEF4_BC2D_D44D
        x ^= x >> 33
        return x
    }
}
