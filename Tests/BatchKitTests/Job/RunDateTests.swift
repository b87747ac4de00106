import BatchKit
import Foundation
import Testing

@Suite struct RunDateTests {
    @Test(arguments: ["2026-11-23", "2024-02-29", "2000-02-29", "1999-12-31"])
    func calendarDatesRead(text: String) throws {
        #expect(try #require(RunDate(text)).description == text)
    }

    @Test(arguments: ["2026-02-29", "1900-02-29", "2026-13-01", "2026-11-31", "2026-1-05", "26-11-23", "2026-11-23x", "", "yesterday", "２０２６-11-23"])
    func anythingElseDoesNot(text: String) {
        #expect(RunDate(text) == nil)
    }

    @Test func daysAddAcrossMonthsYearsAndLeapDays() throws {
        let date = try #require(RunDate("2024-02-28"))
        #expect(date.adding(days: 1).description == "2024-02-29")
        #expect(date.adding(days: 2).description == "2024-03-01")
        #expect(try #require(RunDate("2026-12-31")).adding(days: 1).description == "2027-01-01")
        #expect(try #require(RunDate("2026-01-01")).adding(days: -1).description == "2025-12-31")
        #expect(try #require(RunDate("2026-10-30")).through(try #require(RunDate("2026-11-02"))).map(\.description)
            == ["2026-10-30", "2026-10-31", "2026-11-01", "2026-11-02"])
    }

    @Test func todayIsTheDayInTheJobsTimeZone() throws {
        // 2026-11-23 23:30 UTC is already the 24th in Auckland and still the 23rd in New York.
        let moment = Date(timeIntervalSince1970: 1_795_476_600)
        #expect(RunDate.today(in: try #require(TimeZone(identifier: "UTC")), now: moment).description == "2026-11-23")
        #expect(RunDate.today(in: try #require(TimeZone(identifier: "Pacific/Auckland")), now: moment).description == "2026-11-24")
        #expect(RunDate.today(in: try #require(TimeZone(identifier: "America/New_York")), now: moment).description == "2026-11-23")
    }

    @Test func encodesAsItsText() throws {
        let date = try #require(RunDate("2026-11-23"))
        #expect(String(decoding: try JSONEncoder().encode([date]), as: UTF8.self) == #"["2026-11-23"]"#)
        #expect(try JSONDecoder().decode([RunDate].self, from: Data(#"["2026-11-23"]"#.utf8)) == [date])
        #expect(throws: DecodingError.self) { try JSONDecoder().decode([RunDate].self, from: Data(#"["23/11/2026"]"#.utf8)) }
    }
}
