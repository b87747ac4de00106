@testable import BatchKit
import Foundation
import Testing

@Suite struct ByteCountTests {
    @Test func unitsAreDecimalOrBinaryAsNamed() {
        #expect(ByteCount.kilobytes(3).bytes == 3_000)
        #expect(ByteCount.megabytes(512).bytes == 512_000_000)
        #expect(ByteCount.gigabytes(2).bytes == 2_000_000_000)
        #expect(ByteCount.kibibytes(3).bytes == 3 * 1024)
        #expect(ByteCount.mebibytes(512).bytes == 512 * 1024 * 1024)
        #expect(ByteCount.gibibytes(2).bytes == 2 * 1024 * 1024 * 1024)
        #expect(ByteCount.bytes(7) == ByteCount(bytes: 7))
        #expect(ByteCount.megabytes(1) < .mebibytes(1))
    }

    @Test func hugeAmountsSaturateInsteadOfTrapping() {
        #expect(ByteCount.gigabytes(.max).bytes == .max)
        #expect(ByteCount.gigabytes(.min).bytes == .min)
    }

    static let sizes: [(String, Int64)] = [
        ("512MB", 512_000_000), ("512mb", 512_000_000), ("2GiB", 2 << 30), ("1.5GB", 1_500_000_000),
        ("64 KiB", 64 << 10), ("300000000", 300_000_000), ("1G", 1_000_000_000),
    ]

    @Test(arguments: sizes)
    func sizesParseAsParametersDo(text: String, bytes: Int64) {
        #expect(ByteCount(text)?.bytes == bytes)
        #expect(Parameters.byteCount(text) == bytes)
    }

    @Test(arguments: ["", "lots", "-5MB", "5XB", "1e400GB", "inf"])
    func nonsenseDoesNotParse(text: String) {
        #expect(ByteCount(text) == nil)
    }

    static let descriptions: [(ByteCount, String)] = [
        (.megabytes(512), "512 MB"), (.gibibytes(2), "2 GiB"), (.mebibytes(100), "100 MiB"),
        (.gigabytes(2), "2 GB"), (.megabytes(1500), "1.5 GB"), (.bytes(612_400_000), "612.4 MB"),
        (.bytes(512), "512 bytes"), (.kibibytes(1024 * 1024), "1 GiB"), (.gigabytes(1_000_000), "1 PB"),
    ]

    @Test(arguments: descriptions)
    func descriptionsReadAsTheyWereWritten(amount: ByteCount, text: String) {
        #expect(amount.description == text)
    }

    @Test func aUsageIsShownInItsCapsUnits() {
        #expect(ByteCount.mebibytes(512).describe(.kibibytes(627_098)) == "612.4 MiB")
        #expect(ByteCount.megabytes(512).describe(.bytes(612_000_000)) == "612 MB")
    }

    @Test func itIsOneNumberInJSON() throws {
        let data = try JSONEncoder().encode(ByteCount.megabytes(512))
        #expect(String(decoding: data, as: UTF8.self) == "512000000")
        #expect(try JSONDecoder().decode(ByteCount.self, from: data) == .megabytes(512))
    }
}
