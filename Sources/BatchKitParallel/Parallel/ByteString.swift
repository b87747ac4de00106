import BatchKit
/// A short run of bytes used as a key — a word, a path, a host — stored
/// inline when it has at most 16 bytes, so that making one to look up a
/// table allocates nothing.
public struct ByteString: Hashable, Sendable, Comparable, CustomStringConvertible, ExpressibleByStringLiteral {
    @usableFromInline var low: UInt64
    @usableFromInline var high: UInt64
    @usableFromInline var length: Int
    /// The bytes, when there are more than 16.
    @usableFromInline var heap: [UInt8]?

    /// Copies `bytes`.
    @inlinable
    public init(_ bytes: UnsafeRawBufferPointer) {
        length = bytes.count
        low = 0
        high = 0
        heap = nil
        if length <= 16 {
            guard let base = bytes.baseAddress else { return }
            withUnsafeMutableBytes(of: &low) { $0.baseAddress!.copyMemory(from: base, byteCount: min(length, 8)) }
            if length > 8 {
                withUnsafeMutableBytes(of: &high) { $0.baseAddress!.copyMemory(from: base + 8, byteCount: length - 8) }
            }
        } else {
            heap = Array(bytes.bindMemory(to: UInt8.self))
            // A cheap summary for hashing and ==; the bytes decide equality.
            low = bytes.loadUnaligned(as: UInt64.self)
            high = bytes.loadUnaligned(fromByteOffset: length - 8, as: UInt64.self)
        }
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
        if let heap { return heap }
        return withUnsafeBytes { Array($0.bindMemory(to: UInt8.self)) }
    }

    /// Calls `body` with the bytes.
    @inlinable
    public func withUnsafeBytes<Result>(_ body: (UnsafeRawBufferPointer) throws -> Result) rethrows -> Result {
        if let heap { return try heap.withUnsafeBytes(body) }
        var words = (low, high)
        return try Swift.withUnsafeBytes(of: &words) { try body(UnsafeRawBufferPointer(rebasing: $0[0..<length])) }
    }

    /// The bytes as text (invalid UTF-8 is replaced by U+FFFD).
    public var description: String { withUnsafeBytes { String(decoding: $0, as: UTF8.self) } }

    @inlinable
    public static func == (lhs: ByteString, rhs: ByteString) -> Bool {
        lhs.length == rhs.length && lhs.low == rhs.low && lhs.high == rhs.high && lhs.heap == rhs.heap
    }

    @inlinable
    public func hash(into hasher: inout Hasher) {
        hasher.combine(low)
        hasher.combine(high &+ UInt64(truncatingIfNeeded: length))
        if let heap, heap.count > 16 { hasher.combine(heap.count) }
    }

    /// Byte order, like `memcmp` then length.
    public static func < (lhs: ByteString, rhs: ByteString) -> Bool {
        lhs.withUnsafeBytes { left in
            rhs.withUnsafeBytes { right in
                left.lexicographicallyPrecedes(right)
            }
        }
    }
}
