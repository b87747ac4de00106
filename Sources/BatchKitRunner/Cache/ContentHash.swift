#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import BatchKit
import Foundation

/// A 128-bit content hash that is the same in every process and on every
/// machine: MurmurHash3's x64 128-bit variant, written here in Swift and fed
/// in pieces (``ContentHasher``). Swift's `Hasher` is seeded per process, so
/// it cannot say whether a file changed since an earlier run.
///
/// It detects change, not tampering: it is not cryptographic, and someone
/// who wants two different files with one hash can make them. For files that
/// simply change, the chance that some two of `n` different contents share a
/// hash is about n² / 2¹²⁹ (for a billion versions, 1 in 10²⁰).
public struct ContentHash: Hashable, Sendable, CustomStringConvertible, Codable {
    public let high: UInt64
    public let low: UInt64

    public init(high: UInt64, low: UInt64) {
        self.high = high
        self.low = low
    }

    /// 32 lowercase hexadecimal digits.
    public var description: String { Self.hex(high) + Self.hex(low) }

    /// Reads the 32 hexadecimal digits ``description`` writes.
    public init?(hex text: some StringProtocol) {
        guard text.utf8.count == 32, let high = UInt64(text.prefix(16), radix: 16), let low = UInt64(text.suffix(16), radix: 16) else {
            return nil
        }
        self.init(high: high, low: low)
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        let text = try container.decode(String.self)
        guard let hash = ContentHash(hex: text) else {
            throw DecodingError.dataCorruptedError(in: container, debugDescription: "not a content hash: \(text)")
        }
        self = hash
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(description)
    }

    /// The hash of `text`'s UTF-8 bytes.
    public static func of(_ text: String) -> ContentHash {
        var hasher = ContentHasher()
        hasher.update(text)
        return hasher.finalize()
    }

    /// The hash of a list of texts, each one's length included, so
    /// `["ab", "c"]` and `["a", "bc"]` differ.
    public static func of(parts: [String]) -> ContentHash {
        var hasher = ContentHasher()
        for part in parts {
            hasher.update(String(part.utf8.count))
            hasher.update(":")
            hasher.update(part)
        }
        return hasher.finalize()
    }

    private static func hex(_ value: UInt64) -> String {
        let digits = String(value, radix: 16)
        return String(repeating: "0", count: 16 - digits.count) + digits
    }
}

/// Feeds bytes to the ``ContentHash`` algorithm piece by piece: the result
/// is the same however the bytes are cut.
public struct ContentHasher: Sendable {
    private var h1: UInt64 = 0
    private var h2: UInt64 = 0
    private var length: UInt64 = 0
    /// Bytes not yet making a 16-byte block.
    private var pending: (UInt64, UInt64) = (0, 0)
    private var pendingCount = 0

    private static let c1: UInt64 = 0x87c3_7b91_1142_53d5
    private static let c2: UInt64 = 0x4cf5_ad43_2745_937f

    public init() {}

    @inline(__always)
    private mutating func block(_ k1: UInt64, _ k2: UInt64) {
        var k1 = k1 &* Self.c1
        k1 = (k1 << 31) | (k1 >> 33)
        k1 = k1 &* Self.c2
        h1 ^= k1
        h1 = (h1 << 27) | (h1 >> 37)
        h1 = h1 &+ h2
        h1 = h1 &* 5 &+ 0x52dc_e729
        var k2 = k2 &* Self.c2
        k2 = (k2 << 33) | (k2 >> 31)
        k2 = k2 &* Self.c1
        h2 ^= k2
        h2 = (h2 << 31) | (h2 >> 33)
        h2 = h2 &+ h1
        h2 = h2 &* 5 &+ 0x3849_5ab5
    }

    /// Adds `text`'s UTF-8 bytes.
    public mutating func update(_ text: String) {
        var text = text
        text.withUTF8 { update(UnsafeRawBufferPointer($0)) }
    }

    /// Adds `bytes`.
    public mutating func update(_ bytes: UnsafeRawBufferPointer) {
        guard let base = bytes.baseAddress, !bytes.isEmpty else { return }
        var offset = 0
        let count = bytes.count
        length &+= UInt64(count)
        // Finish a block begun by an earlier piece, a byte at a time.
        while pendingCount > 0, pendingCount < 16, offset < count {
            put(base.load(fromByteOffset: offset, as: UInt8.self))
            offset += 1
        }
        if pendingCount == 16 {
            block(pending.0, pending.1)
            pending = (0, 0)
            pendingCount = 0
        }
        // Whole blocks straight from the buffer (little-endian words).
        while count - offset >= 16 {
            let k1 = UInt64(littleEndian: base.loadUnaligned(fromByteOffset: offset, as: UInt64.self))
            let k2 = UInt64(littleEndian: base.loadUnaligned(fromByteOffset: offset + 8, as: UInt64.self))
            block(k1, k2)
            offset += 16
        }
        while offset < count {
            put(base.load(fromByteOffset: offset, as: UInt8.self))
            offset += 1
        }
    }

    @inline(__always)
    private mutating func put(_ byte: UInt8) {
        if pendingCount < 8 {
            pending.0 |= UInt64(byte) << (8 * UInt64(pendingCount))
        } else {
            pending.1 |= UInt64(byte) << (8 * UInt64(pendingCount - 8))
        }
        pendingCount += 1
        if pendingCount == 16 {
            block(pending.0, pending.1)
            pending = (0, 0)
            pendingCount = 0
        }
    }

    /// The hash of every byte added.
    public func finalize() -> ContentHash {
        var h1 = h1, h2 = h2
        if pendingCount > 0 {
            var k1 = pending.0, k2 = pending.1
            if pendingCount > 8 {
                k2 = k2 &* Self.c2
                k2 = (k2 << 33) | (k2 >> 31)
                k2 = k2 &* Self.c1
                h2 ^= k2
            }
            k1 = k1 &* Self.c1
            k1 = (k1 << 31) | (k1 >> 33)
            k1 = k1 &* Self.c2
            h1 ^= k1
        }
        h1 ^= length
        h2 ^= length
        h1 = h1 &+ h2
        h2 = h2 &+ h1
        h1 = Self.mix(h1)
        h2 = Self.mix(h2)
        h1 = h1 &+ h2
        h2 = h2 &+ h1
        return ContentHash(high: h1, low: h2)
    }

    @inline(__always)
    private static func mix(_ value: UInt64) -> UInt64 {
        var k = value
        k ^= k >> 33
        k = k &* 0xff51_afd7_ed55_8ccd
        k ^= k >> 33
        k = k &* 0xc4ce_b9fe_1a85_ec53
        k ^= k >> 33
        return k
    }

    /// The hash of the file at `path`, read in 1 MiB pieces.
    ///
    /// - Throws: ``FileProblem`` when it cannot be opened or read.
    public static func hashFile(atPath path: String, buffer: UnsafeMutableRawBufferPointer) throws(FileProblem) -> ContentHash {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { throw FileProblem(path: path, code: errno) }
        defer { close(descriptor) }
        var hasher = ContentHasher()
        while true {
            let count = read(descriptor, buffer.baseAddress, buffer.count)
            if count == 0 { break }
            if count < 0 {
                if errno == EINTR { continue }
                throw FileProblem(path: path, code: errno)
            }
            hasher.update(UnsafeRawBufferPointer(rebasing: buffer[0..<count]))
        }
        return hasher.finalize()
    }
}

/// A file the cache could not read.
public struct FileProblem: Error, Sendable, Equatable, CustomStringConvertible {
    public let path: String
    public let code: Int32
    public var description: String { ErrorDescription.posix(code, path: path) }
}
