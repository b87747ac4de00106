import Foundation

/// An amount of memory, such as a step's memory cap:
///
/// ```swift
/// Step("Score", memory: .megabytes(512)) { … }      // 512 MB = 512,000,000 bytes
/// Step("Join", memory: .gibibytes(2)) { … }         // 2 GiB = 2 × 1024³ bytes
/// ```
///
/// Decimal units (`kilobytes`, `megabytes`, `gigabytes`) are powers of 1000
/// and binary units (`kibibytes`, `mebibytes`, `gibibytes`) powers of 1024,
/// as in a task list's `512MB` and `2GiB` (see ``init(_:)``). Amounts past
/// `Int64` saturate; validation reports them.
public struct ByteCount: Sendable, Hashable, Comparable, Codable, CustomStringConvertible {
    /// The amount in bytes.
    public let bytes: Int64

    /// An amount of `bytes` bytes.
    public init(bytes: Int64) {
        self.bytes = bytes
    }

    /// Parses a size such as `512MB`, `2GiB`, `1.5GB` or `300000000` (bytes),
    /// as `--param` sizes are parsed; `nil` for anything else.
    public init?(_ text: String) {
        guard let bytes = Parameters.byteCount(text) else { return nil }
        self.bytes = bytes
    }

    public static func bytes(_ count: Int64) -> ByteCount { ByteCount(bytes: count) }
    /// `count` × 1000 bytes.
    public static func kilobytes(_ count: Int) -> ByteCount { scaled(count, 1000) }
    /// `count` × 1000² bytes.
    public static func megabytes(_ count: Int) -> ByteCount { scaled(count, 1_000_000) }
    /// `count` × 1000³ bytes.
    public static func gigabytes(_ count: Int) -> ByteCount { scaled(count, 1_000_000_000) }
    /// `count` × 1024 bytes.
    public static func kibibytes(_ count: Int) -> ByteCount { scaled(count, 1 << 10) }
    /// `count` × 1024² bytes.
    public static func mebibytes(_ count: Int) -> ByteCount { scaled(count, 1 << 20) }
    /// `count` × 1024³ bytes.
    public static func gibibytes(_ count: Int) -> ByteCount { scaled(count, 1 << 30) }

    private static func scaled(_ count: Int, _ unit: Int64) -> ByteCount {
        let (product, overflow) = Int64(count).multipliedReportingOverflow(by: unit)
        return ByteCount(bytes: overflow ? (count < 0 ? .min : .max) : product)
    }

    /// Kilobytes as `/proc` counts them (1024 bytes), rounded up.
    package var kibibytesRoundedUp: Int64 { bytes / 1024 + (bytes % 1024 > 0 ? 1 : 0) }

    public static func < (lhs: ByteCount, rhs: ByteCount) -> Bool { lhs.bytes < rhs.bytes }

    /// `512 MB`, `2 GiB`, `612.4 MB`: binary units when the amount is a whole
    /// number of them and not of the decimal ones (so a cap reads as it was
    /// written), decimal units otherwise.
    public var description: String {
        ByteCount.describe(bytes, binary: ByteCount.isBinary(bytes))
    }

    /// `amount` in the units `self` is best written in, so that a usage and
    /// its cap compare at a glance: `612.4 MiB` against `512 MiB`.
    package func describe(_ amount: ByteCount) -> String {
        ByteCount.describe(amount.bytes, binary: ByteCount.isBinary(bytes))
    }

    private static func isBinary(_ bytes: Int64) -> Bool {
        bytes >= 1024 && bytes % 1024 == 0 && bytes % 1000 != 0
    }

    private static func describe(_ bytes: Int64, binary: Bool) -> String {
        let base: Double = binary ? 1024 : 1000
        let units = binary ? ["KiB", "MiB", "GiB", "TiB", "PiB"] : ["KB", "MB", "GB", "TB", "PB"]
        guard Double(bytes) >= base else { return "\(bytes) bytes" }
        var value = Double(bytes)
        var unit = -1
        while value >= base, unit < units.count - 1 {
            value /= base
            unit += 1
        }
        let whole = value.rounded()
        let text = abs(value - whole) < 0.005 ? String(Int64(whole)) : String(format: "%.1f", value)
        return "\(text) \(units[unit])"
    }

    // A single number in JSON (a Slurm spec file): `"memory": 512000000`.
    public init(from decoder: any Decoder) throws {
        bytes = try decoder.singleValueContainer().decode(Int64.self)
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(bytes)
    }
}
