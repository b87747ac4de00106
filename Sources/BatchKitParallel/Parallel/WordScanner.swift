import BatchKit

/// Finds words eight bytes at a time. A word is a run of bytes between
/// ASCII whitespace — space, `\t`, `\n`, `\v`, `\f`, `\r` — exactly as
/// Python's `bytes.split()` and `wc -w` in the C locale count them. Every
/// other byte belongs to a word: bytes of multi-byte UTF-8 (so no character
/// is ever cut, and a no-break space U+00A0 joins words), invalid UTF-8,
/// and control bytes such as `\0` or `\x1c`.
///
/// Each step loads 8 bytes as one `UInt64` and marks its whitespace bytes
/// with a few bit operations (no branch per byte), then jumps to the next
/// word start or end by counting trailing zero bits.
@usableFromInline
enum WordScanner {
    @usableFromInline static let lowSevenBits: UInt64 = 0x7F7F_7F7F_7F7F_7F7F
    @usableFromInline static let highBits: UInt64 = 0x8080_8080_8080_8080
    @usableFromInline static let spaces: UInt64 = 0x2020_2020_2020_2020

    /// `0x80` in each byte of `x` that is ASCII whitespace, 0 in the others.
    /// Exact per byte: no sum carries into the next byte.
    @inlinable @inline(__always)
    static func whitespace(_ x: UInt64) -> UInt64 {
        let low = x & lowSevenBits
        let notSpace = (low ^ spaces) &+ lowSevenBits  // high bit set unless low == 0x20
        let atLeast9 = low &+ 0x7777_7777_7777_7777  // high bit set when low >= 0x09
        let atLeast14 = low &+ 0x7272_7272_7272_7272  // high bit set when low >= 0x0E
        return (~notSpace | (atLeast9 & ~atLeast14)) & ~x & highBits
    }

    /// Whether `byte` is ASCII whitespace (the same test, one byte).
    @inlinable @inline(__always)
    static func isWhitespace(_ byte: UInt8) -> Bool {
        byte == 0x20 || (byte >= 0x09 && byte <= 0x0D)
    }

    /// Calls `body` with each word of `base[0..<count]`, in order.
    ///
    /// - Parameter padded: Whether the 16 bytes after `count` may be read
    ///   (and hold whitespace or the rest of a line that ends in `\n`
    ///   before `count`): the loads then need no bounds test.
    @inlinable @inline(__always)
    static func forEachWord(
        _ base: UnsafeRawPointer, count: Int, padded: Bool, _ body: (UnsafeRawBufferPointer) throws -> Void
    ) rethrows {
        var position = 0
        while position < count {
            // To the next word's first byte.
            let other = ~whitespace(load(base, position, count, padded: padded)) & highBits
            if other == 0 {
                position &+= 8
                continue
            }
            let start = position &+ other.trailingZeroBitCount &>> 3
            if start >= count { return }
            // To the whitespace after it (the padding, or the end, has some).
            position = start
            while true {
                let space = whitespace(load(base, position, count, padded: padded))
                if space != 0 {
                    position &+= space.trailingZeroBitCount &>> 3
                    break
                }
                position &+= 8
            }
            if position > count { position = count }
            try body(UnsafeRawBufferPointer(start: base + start, count: position &- start))
        }
    }

    /// The 8 bytes at `offset`; past `count`, spaces (unless `padded`, when
    /// the bytes there are read as they are).
    @inlinable @inline(__always)
    static func load(_ base: UnsafeRawPointer, _ offset: Int, _ count: Int, padded: Bool) -> UInt64 {
        if padded || offset &+ 8 <= count {
            return base.loadUnaligned(fromByteOffset: offset, as: UInt64.self)
        }
        let left = count &- offset  // 0…7
        let (bytes, _) = KeyBytes.prefix(UnsafeRawBufferPointer(start: base + offset, count: left))
        return bytes | spaces << UInt64(truncatingIfNeeded: left &* 8)
    }

    /// The number of `\n` in `base[0..<count]`.
    @inlinable
    static func lineFeeds(_ base: UnsafeRawPointer, count: Int) -> Int {
        var lines = 0
        var offset = 0
        while offset &+ 8 <= count {
            let x = base.loadUnaligned(fromByteOffset: offset, as: UInt64.self) ^ 0x0A0A_0A0A_0A0A_0A0A
            // High bit set in each byte that was 0x0A.
            let zero = ~(((x & lowSevenBits) &+ lowSevenBits) | x) & highBits
            lines &+= zero.nonzeroBitCount
            offset &+= 8
        }
        while offset < count {
            if base.load(fromByteOffset: offset, as: UInt8.self) == 0x0A { lines &+= 1 }
            offset &+= 1
        }
        return lines
    }
}
