@testable import BatchKit
@testable import BatchKitRunner
import Foundation
import TestSupport
import Testing

@Suite struct CSVHistoryFileTests {
    func record(_ step: StepID, _ status: Status = .pass, message: String = "") -> ExecutionRecord {
        let start = Date(timeIntervalSince1970: 1_800_000_000)
        return ExecutionRecord(
            runID: "r1", job: "job", stepID: step, stepName: "Step \(step)", attempt: 1, status: status,
            startedAt: start, endedAt: start.addingTimeInterval(1.5), cpuSeconds: 0.25, maxRSSKilobytes: 1024,
            exitStatus: "0", message: message, logFile: "logs/runs/r1/0\(step).log", host: "box")
    }

    @Test func headerIsWrittenOnceAndRowsAreAppended() throws {
        let directory = try TemporaryDirectory()
        let log = ExecutionLog(url: directory.path("logs/execution_logs.csv"))
        try log.append([record(1)])
        let first = try directory.read("logs/execution_logs.csv")
        try log.append([record(2, .fail, message: "boom, \"quoted\"\nsecond line")])
        let second = try directory.read("logs/execution_logs.csv")

        #expect(second.hasPrefix(first), "existing rows must never be rewritten")
        #expect(first.hasPrefix(ExecutionLog.columns.joined(separator: ",") + "\r\n"))
        #expect(second.components(separatedBy: "run_id,").count == 2, "one header only")
        let back = try log.readAll()
        #expect(back.map(\.stepID) == [1, 2])
        #expect(back[1].message == "boom, \"quoted\"\nsecond line")
        #expect(back.allSatisfy { $0.host == "box" }, "the last column survives the CRLF header")
        #expect(back[0].durationSeconds == 1.5)
        #expect(back[0].cpuSeconds == 0.25)
    }

    @Test func aForeignHeaderIsNeverAppendedTo() throws {
        let directory = try TemporaryDirectory()
        let foreign = "status,run_id,step_id,started_at,ended_at,old_column\r\n"
        try directory.write("h.csv", foreign)
        let file = CSVHistoryFile(url: directory.path("h.csv"), columns: ExecutionLog.columns)
        #expect(throws: CSVHistoryFile.Unusable.foreign(firstLine: foreign.trimmingCharacters(in: .newlines))) { try file.checkAppendable() }
        #expect(throws: CSVHistoryFile.WriteError.self) { try ExecutionLog(url: directory.path("h.csv")).append([record(3)]) }
        #expect(try directory.read("h.csv") == foreign)
    }

    @Test func aNewerBatchkitsExtraColumnsAreKeptAndLeftEmpty() throws {
        let directory = try TemporaryDirectory()
        try directory.write("h.csv", (ExecutionLog.columns + ["added_later"]).joined(separator: ",") + "\r\n")
        let file = CSVHistoryFile(url: directory.path("h.csv"), columns: ExecutionLog.columns)
        try file.checkAppendable()
        try ExecutionLog(url: directory.path("h.csv")).append([record(3)])
        let lines = try directory.read("h.csv").components(separatedBy: "\r\n")
        #expect(lines[1].hasPrefix("r1,job,3,") && lines[1].hasSuffix(",box,,"), "run_date empty, then the newer column empty")
    }

    @Test func aTornLastLineDoesNotSwallowTheNextRow() throws {
        let directory = try TemporaryDirectory()
        let log = ExecutionLog(url: directory.path("h.csv"))
        try log.append([record(1)])
        let handle = try FileHandle(forWritingTo: directory.path("h.csv"))
        try handle.seekToEnd()
        try handle.write(contentsOf: Data("r1,job,2,Torn".utf8))
        try handle.close()
        try log.append([record(3)])
        let lines = try directory.read("h.csv").components(separatedBy: "\r\n")
        #expect(lines[2] == "r1,job,2,Torn")
        #expect(lines[3].hasPrefix("r1,job,3,"))
    }

    @Test func timestampsAreISO8601UTCWithMilliseconds() {
        let date = Date(timeIntervalSince1970: 1_800_000_000.123)
        #expect(Timestamp.iso8601(date) == "2027-01-15T08:00:00.123Z")
        #expect(Timestamp.parse("2027-01-15T08:00:00.123Z").map { abs($0.timeIntervalSince(date)) < 0.001 } == true)
        #expect(Timestamp.compact(date) == "20270115T080000.123Z")
    }

    @Test func runIDsSortByTime() {
        let early = RunLayout.newRunID(at: Date(timeIntervalSince1970: 1_800_000_000))
        let late = RunLayout.newRunID(at: Date(timeIntervalSince1970: 1_800_000_000.002))
        #expect(early < late)
        #expect(early.count == "20270115T080000.000Z-0000".count)
    }
}
