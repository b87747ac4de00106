import BatchKit
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// An open-addressing hash table from byte strings to values, for the hot
/// path of ``Emitter/emit(bytes:_:)``: a lookup hashes the borrowed bytes
/// and compares them in place, so a key that is already there costs no
/// allocation and no copy; a new key's bytes are copied once into an arena.
@usableFromInline
struct ByteTable<Value> {
    /// One slot of the open-addressing index. A key of up to 16 bytes is
    /// kept in the slot itself, so finding it touches one cache line; longer
    /// keys are compared in the arena.
    @usableFromInline
    struct Slot {
        @usableFromInline var hash: UInt64
        @usableFromInline var low: UInt64
        @usableFromInline var high: UInt64
        /// Entry index + 1; 0 marks an empty slot.
        @usableFromInline var entry: Int32
        @usableFromInline var length: Int32

        @inlinable init(hash: UInt64, low: UInt64, high: UInt64, entry: Int32, length: Int32) {
            self.hash = hash
            self.low = low
            self.high = high
            self.entry = entry
            self.length = length
        }
    }

    @usableFromInline var slots: [Slot] = []
    @usableFromInline var mask = -1
    /// Where each entry's key bytes start in the arena.
    @usableFromInline var starts: [Int] = []
    @usableFromInline var values: [Value] = []
    @usableFromInline var arena: [UInt8] = []

    @inlinable
    init() {}

    @inlinable
    var count: Int { values.count }

    /// Adds `value` to the entry for `key`, combining when it exists.
    @inlinable @inline(__always)
    mutating func add(_ key: UnsafeRawBufferPointer, _ value: Value, combine: (inout Value, Value) -> Void) {
        if mask < 0 { grow() }
        let count = key.count
        var low: UInt64 = 0
        var high: UInt64 = 0
        if let base = key.baseAddress {
            if count >= 8 {
                low = base.loadUnaligned(as: UInt64.self)
                high = count >= 16 ? base.loadUnaligned(fromByteOffset: count &- 8, as: UInt64.self) : Self.tail(base + 8, count &- 8)
            } else {
                low = Self.tail(base, count)
            }
        }
        let hash = count <= 16 ? Self.mix((low ^ 0x9E37_79B9_7F4A_7C15) &* 0xBF58_476D_1CE4_E5B9 ^ high ^ UInt64(truncatingIfNeeded: count)) : Self.hash(key)
        let length = Int32(truncatingIfNeeded: count)
        var position = Int(truncatingIfNeeded: hash) & mask
        while true {
            let slot = slots[position]
            if slot.entry == 0 { break }
            if slot.hash == hash, slot.length == length, slot.low == low, slot.high == high,
               count <= 16 || equal(Int(slot.entry) &- 1, key) {
                combine(&values[Int(slot.entry) &- 1], value)
                return
            }
            position = (position &+ 1) & mask
        }
        insert(key, slot: Slot(hash: hash, low: low, high: high, entry: 0, length: length), value: value, position: position)
    }

    @inlinable
    func equal(_ index: Int, _ key: UnsafeRawBufferPointer) -> Bool {
        guard let base = key.baseAddress, key.count > 0 else { return true }
        return arena.withUnsafeBytes { Self.sameBytes($0.baseAddress! + starts[index], base, key.count) }
    }

    /// `memcmp(a, b, count) == 0`, inline for the short keys this table sees.
    @inlinable
    static func sameBytes(_ a: UnsafeRawPointer, _ b: UnsafeRawPointer, _ count: Int) -> Bool {
        var offset = 0
        while offset &+ 8 <= count {
            if a.loadUnaligned(fromByteOffset: offset, as: UInt64.self) != b.loadUnaligned(fromByteOffset: offset, as: UInt64.self) {
                return false
            }
            offset &+= 8
        }
        return tail(a + offset, count &- offset) == tail(b + offset, count &- offset)
    }

    /// The last 0–7 bytes as a number, read without going past them.
    @inlinable @inline(__always)
    static func tail(_ pointer: UnsafeRawPointer, _ count: Int) -> UInt64 {
        var value: UInt64 = 0
        var offset = 0
        if count & 4 != 0 {
            value = UInt64(pointer.loadUnaligned(as: UInt32.self))
            offset = 4
        }
        if count & 2 != 0 {
            value |= UInt64(pointer.loadUnaligned(fromByteOffset: offset, as: UInt16.self)) << (offset &* 8)
            offset &+= 2
        }
        if count & 1 != 0 {
            value |= UInt64(pointer.load(fromByteOffset: offset, as: UInt8.self)) << (offset &* 8)
        }
        return value
    }

    @inlinable
    mutating func insert(_ key: UnsafeRawBufferPointer, slot: Slot, value: Value, position: Int) {
        precondition(key.count <= Int(Int32.max) && values.count < Int(Int32.max) - 1, "ByteTable holds at most 2^31 keys")
        starts.append(arena.count)
        values.append(value)
        arena.append(contentsOf: key)
        var slot = slot
        slot.entry = Int32(values.count)
        slots[position] = slot
        if values.count &* 2 > mask { grow() }
    }

    /// Doubles the slots (load stays under one half).
    @usableFromInline
    mutating func grow() {
        let newMask = mask < 0 ? 1023 : mask &* 2 &+ 1
        var newSlots = [Slot](repeating: Slot(hash: 0, low: 0, high: 0, entry: 0, length: 0), count: newMask + 1)
        for slot in slots where slot.entry != 0 {
            var position = Int(truncatingIfNeeded: slot.hash) & newMask
            while newSlots[position].entry != 0 { position = (position &+ 1) & newMask }
            newSlots[position] = slot
        }
        slots = newSlots
        mask = newMask
    }

    /// Calls `body` with each key and its value.
    @usableFromInline
    func forEach(_ body: (UnsafeRawBufferPointer, Value) -> Void) {
        arena.withUnsafeBytes { arena in
            for index in values.indices {
                let end = index + 1 < starts.count ? starts[index + 1] : arena.count
                body(UnsafeRawBufferPointer(rebasing: arena[starts[index]..<end]), values[index])
            }
        }
    }

    /// A fast 64-bit hash of `bytes` (not for adversarial input: a job's
    /// own data cannot make the table worse than slow).
    @inlinable
    static func hash(_ bytes: UnsafeRawBufferPointer) -> UInt64 {
        let count = bytes.count
        var state: UInt64 = 0x9E37_79B9_7F4A_7C15 ^ UInt64(truncatingIfNeeded: count)
        guard let base = bytes.baseAddress else { return mix(state) | 1 }
        var offset = 0
        while offset &+ 8 <= count {
            state = (state ^ base.loadUnaligned(fromByteOffset: offset, as: UInt64.self)) &* 0xBF58_476D_1CE4_E5B9
            state ^= state >> 29
            offset &+= 8
        }
        if offset < count {
            state = (state ^ tail(base + offset, count &- offset)) &* 0x94D0_49BB_1331_11EB
        }
        return mix(state)
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
