import BatchKit
import Foundation
import Testing

/// `Timestamp.parse` reads the history's dates by hand and the rare other
/// ISO-8601 forms through Foundation, with the same results.
@Suite struct TimestampParseTests {
    @Test func readsWhatItWritesToTheMillisecond() {
        for seconds in [0.0, 1_700_000_000.123, 1_795_000_000.5, 951_782_400.999, -86_400.25] {
            let date = Date(timeIntervalSince1970: seconds)
            let text = Timestamp.iso8601(date)
            let parsed = Timestamp.parse(text)
            #expect(parsed.map { abs($0.timeIntervalSince1970 - seconds) < 0.0005 } == true, "\(text)")
        }
    }

    @Test func readsOtherFormsAndRefusesNonsense() {
        #expect(Timestamp.parse("2026-11-24T17:00:00Z") == Date(timeIntervalSince1970: 1_795_539_600))
        #expect(Timestamp.parse("2026-11-24T17:00:00.5Z")?.timeIntervalSince1970 == 1_795_539_600.5)
        #expect(Timestamp.parse("2026-11-24T18:00:00+01:00") == Date(timeIntervalSince1970: 1_795_539_600))
        // A fraction too long for the fast path (which must not overflow) goes to Foundation.
        #expect(Timestamp.parse("2026-11-24T17:00:00.1234567890123456789012Z").map { Int($0.timeIntervalSince1970) } == 1_795_539_600)
        #expect(Timestamp.parse("2026-13-24T17:00:00Z") == nil)
        #expect(Timestamp.parse("yesterday") == nil)
    }
}

@Suite struct TimestampFormatTests {
    @Test func writesFixedWidthDigits() {
        let date = Date(timeIntervalSince1970: 946_782_245.007)
        #expect(Timestamp.iso8601(date) == "2000-01-02T03:04:05.007Z")
        #expect(Timestamp.compact(date) == "20000102T030405.007Z")
        #expect(Timestamp.iso8601(Date(timeIntervalSince1970: 1_795_539_599.9996)) == "2026-11-24T17:00:00.000Z", "rounded, carried into the seconds")
    }
}
