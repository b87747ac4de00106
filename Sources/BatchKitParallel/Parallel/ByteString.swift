import BatchKit
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A short run of bytes used as a key — a word, a path, a host — stored
/// inline when it has at most 16 bytes, so that making one to look up a
/// table allocates nothing. A longer one refers to its bytes in an array
/// that many keys may share (a ``MapReduce`` table's arena), so reading a
/// million keys out of a result does not allocate a million arrays.
public struct ByteString: Hashable, Sendable, Comparable, CustomStringConvertible, ExpressibleByStringLiteral {
    /// The first 8 bytes, little-endian, zero-padded.
    @usableFromInline var low: UInt64
    /// Bytes 8–15 (zero-padded) when there are at most 16; else the last 8.
    @usableFromInline var high: UInt64
    @usableFromInline var length: Int
    /// When there are more than 16 bytes: `storage[start..<start + length]`.
    @usableFromInline var storage: [UInt8]?
    @usableFromInline var start: Int

    /// Copies `bytes`.
    @inlinable
    public init(_ bytes: UnsafeRawBufferPointer) {
        (low, high) = KeyBytes.prefix(bytes)
        length = bytes.count
        start = 0
        storage = length > 16 ? Array(bytes.bindMemory(to: UInt8.self)) : nil
    }

    /// A key of up to 16 bytes from its two words.
    @inlinable
    init(low: UInt64, high: UInt64, length: Int) {
        self.low = low
        self.high = high
        self.length = length
        self.storage = nil
        self.start = 0
    }

    /// A key of more than 16 bytes inside `storage`, shared, not copied.
    @inlinable
    init(storage: [UInt8], start: Int, length: Int) {
        (low, high) = storage.withUnsafeBytes { KeyBytes.prefix(UnsafeRawBufferPointer(rebasing: $0[start..<start + length])) }
        self.length = length
        self.storage = storage
        self.start = start
    }

    /// The UTF-8 bytes of `text`.
    public init(_ text: String) {
        var text = text
        self = text.withUTF8 { ByteString(UnsafeRawBufferPointer($0)) }
    }

    public init(stringLiteral value: String) {
        self.init(value)
    }

    /// The number of bytes.
    @inlinable public var count: Int { length }

    /// The bytes, copied into an array.
    public var bytes: [UInt8] {
        withUnsafeBytes { Array($0.bindMemory(to: UInt8.self)) }
    }

    /// Calls `body` with the bytes.
    @inlinable
    public func withUnsafeBytes<Result>(_ body: (UnsafeRawBufferPointer) throws -> Result) rethrows -> Result {
        if let storage {
            return try storage.withUnsafeBytes { try body(UnsafeRawBufferPointer(rebasing: $0[start..<start + length])) }
        }
        var words = (low, high)
        return try Swift.withUnsafeBytes(of: &words) { try body(UnsafeRawBufferPointer(rebasing: $0[0..<length])) }
    }

    /// The bytes as text (invalid UTF-8 is replaced by U+FFFD).
    public var description: String { withUnsafeBytes { String(decoding: $0, as: UTF8.self) } }

    @inlinable
    public static func == (lhs: ByteString, rhs: ByteString) -> Bool {
        guard lhs.length == rhs.length, lhs.low == rhs.low, lhs.high == rhs.high else { return false }
        if lhs.length <= 16 { return true }
        return lhs.withUnsafeBytes { left in
            rhs.withUnsafeBytes { right in KeyBytes.equal(left.baseAddress!, right.baseAddress!, left.count) }
        }
    }

    /// Hashes every byte: keys that share their first and last 8 bytes
    /// (`/blog/post-1234.html`, `/blog/post-5234.html`) are common in real
    /// data, and hashing only those would pile them into one bucket.
    @inlinable
    public func hash(into hasher: inout Hasher) {
        if length <= 16 {
            hasher.combine(low)
            hasher.combine(high &+ UInt64(truncatingIfNeeded: length))
        } else {
            hasher.combine(withUnsafeBytes { KeyBytes.longHash($0) })
        }
    }

    /// Byte order, like `memcmp` then length. Decided by the first 8 bytes
    /// as one big-endian number for most pairs (sorting millions of words
    /// is mostly this comparison).
    @inlinable
    public static func < (lhs: ByteString, rhs: ByteString) -> Bool {
        if lhs.low != rhs.low { return lhs.low.byteSwapped < rhs.low.byteSwapped }
        if lhs.length <= 16, rhs.length <= 16 {
            if lhs.high != rhs.high { return lhs.high.byteSwapped < rhs.high.byteSwapped }
            return lhs.length < rhs.length
        }
        return lhs.withUnsafeBytes { left in
            rhs.withUnsafeBytes { right in
                let common = Swift.min(left.count, right.count)
                let order = memcmp(left.baseAddress!, right.baseAddress!, common)
                return order != 0 ? order < 0 : left.count < right.count
            }
        }
    }
}
