import BatchKit
import Foundation

/// One run as `history --runs` lists it: how it ended, when it started, how
/// long it took, and what failed — from `logs/execution_logs.csv` and
/// `logs/test_results.csv`.
public struct RunSummary: Sendable, Codable, Equatable {
    /// How a run ended.
    public enum Outcome: String, Sendable, Codable, CaseIterable {
        /// Every step it ran passed, and every post-job test.
        case pass = "PASS"
        /// A step or a post-job test failed.
        case fail = "FAIL"
        /// A signal stopped it, or its runner died (`--resume` continues it).
        case interrupted
        /// Another run held the lock, or `--wait-for` timed out: nothing ran.
        case notStarted = "not started"
        /// Its state says it is running: it still is, or its runner died and
        /// no run of the job has started since (`--resume` continues it).
        case unfinished
    }

    /// A step whose final attempt in the run failed.
    public struct FailedStep: Sendable, Codable, Equatable {
        public var stepID: StepID
        public var name: String
        public var reason: FailureReason
    }

    public var runID: String
    public var outcome: Outcome
    /// The first start the history shows for the run, as it writes it
    /// (ISO-8601, UTC).
    public var startedAt: String
    /// From its first start to its last end, in seconds (a resumed run's
    /// includes the time between its sessions).
    public var seconds: Double
    /// Steps whose final attempt failed, by id.
    public var failedSteps: [FailedStep]
    /// Post-job tests whose latest result failed.
    public var failedTests: [String]
    /// Why a run did not start (`locked`, `wait timeout`, and the message).
    public var notStartedBecause: String?

    /// What failed, for the list: steps with their reasons, then tests (raw
    /// text: the caller shows it through ``VisibleText``).
    var failures: String {
        if let notStartedBecause { return notStartedBecause }
        if outcome == .unfinished && failedSteps.isEmpty { return "running now, or its runner died (--resume continues it)" }
        var parts = failedSteps.map { "\($0.stepID.display) \($0.name) (\($0.reason.rawValue))" }
        if !failedTests.isEmpty {
            parts.append("test\(failedTests.count == 1 ? "" : "s") " + failedTests.joined(separator: ", "))
        }
        return parts.joined(separator: "; ")
    }

    /// Seconds since 1970 of a time in the history's own format,
    /// `2026-11-21T13:45:01.123Z`, read without a date formatter (a history
    /// holds thousands of runs); other ISO-8601 forms go to
    /// ``Timestamp/parse(_:)``.
    static func epochSeconds(_ text: String) -> Double? {
        let bytes = Array(text.utf8)
        guard bytes.count == 24, bytes[4] == UInt8(ascii: "-"), bytes[10] == UInt8(ascii: "T"),
              bytes[19] == UInt8(ascii: "."), bytes[23] == UInt8(ascii: "Z")
        else { return Timestamp.parse(text)?.timeIntervalSince1970 }
        func number(_ range: Range<Int>) -> Int? {
            var value = 0
            for index in range {
                guard (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(bytes[index]) else { return nil }
                value = value * 10 + Int(bytes[index] - UInt8(ascii: "0"))
            }
            return value
        }
        guard let year = number(0..<4), let month = number(5..<7), let day = number(8..<10), let hour = number(11..<13),
              let minute = number(14..<16), let second = number(17..<19), let millis = number(20..<23), (1...12).contains(month)
        else { return Timestamp.parse(text)?.timeIntervalSince1970 }
        // Days from 1970-01-01 to the civil date (the proleptic Gregorian calendar).
        let shifted = month <= 2 ? year - 1 : year
        let era = (shifted >= 0 ? shifted : shifted - 399) / 400
        let yearOfEra = shifted - era * 400
        let dayOfYear = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        let days = era * 146_097 + dayOfEra - 719_468
        return Double(((days * 24 + hour) * 60 + minute) * 60 + second) + Double(millis) / 1000
    }
}
