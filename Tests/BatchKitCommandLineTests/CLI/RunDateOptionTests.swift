@testable import BatchKitCommandLine
import BatchKit
import Testing

@Suite struct RunDateOptionTests {
    let today = RunDate("2026-11-24")!

    @Test func daysAndRanges() throws {
        #expect(try RunDateOption.dates("2026-11-23", today: today, command: "x").map(\.description) == ["2026-11-23"])
        #expect(try RunDateOption.dates("today", today: today, command: "x").map(\.description) == ["2026-11-24"])
        #expect(try RunDateOption.dates("yesterday", today: today, command: "x").map(\.description) == ["2026-11-23"])
        #expect(try RunDateOption.dates("2026-11-22..today", today: today, command: "x").map(\.description) == ["2026-11-22", "2026-11-23", "2026-11-24"])
        #expect(try RunDateOption.dates("2026-11-23..2026-11-23", today: today, command: "x").count == 1)
    }

    @Test(arguments: ["2026-11-25..2026-11-24", "..2026-11-24", "2026-11-24..", "2026-11-24.2026-11-25", "2016-01-01..2026-11-24", "tomorrow"])
    func refused(text: String) {
        #expect(throws: UsageError.self) { try RunDateOption.dates(text, today: today, command: "x") }
    }
}
