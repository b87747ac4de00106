@testable import BatchKit
@testable import BatchKitRunner
import Foundation
import TestSupport
import Testing

/// `history` reads `logs/execution_logs.csv` with ``HistoryRows``: fields
/// compared in place, the file in two halves. What it says must be what the
/// plain reading said (``ReferenceHistory``), byte for byte, on every kind of
/// row a history holds.
@Suite struct HistoryRowsTests {
    static let header = "run_id,job,step_id,step_name,attempt,status,started_at,ended_at,duration_s,cpu_s,max_rss_kb,exit_status,reason,message,log_file,host,run_date"
    /// A history of batchkit 0.1: no job, ended_at, reason, message or run_date.
    static let olderHeader = "run_id,step_id,step_name,attempt,status,started_at,duration_s"

    /// `runs` runs of every shape, in the columns of `header`, with line
    /// breaks that alternate between CRLF and LF.
    static func history(runs: Int, header: String = header) -> String {
        let columns = header.split(separator: ",").map(String.init)
        var lines = [header]
        func row(_ fields: [String: String]) {
            lines.append(columns.map { CSV.escape(fields[$0] ?? "") }.joined(separator: ","))
        }
        func time(_ second: Int) -> String {
            // Whole seconds sometimes have no fraction, as some writers wrote them.
            String(format: "2026-%02d-%02dT%02d:%02d:%02d", 1 + second / 2_419_200 % 12, 1 + second / 86_400 % 28,
                   second / 3600 % 24, second / 60 % 60, second % 60) + (second % 7 == 0 ? "Z" : String(format: ".%03dZ", second % 1000))
        }
        var resumable: [(id: String, at: Int)] = []
        for run in 0..<runs {
            let at = run * 900
            let id = run % 13 == 5 ? "2026x\"quoted\"-\(run)" : String(format: "20261124T%06d.%03dZ-%04x", run, run % 1000, run)
            let job = run % 9 == 4 ? "other" : (run % 11 == 3 ? "cafe\u{301}" : (run % 11 == 7 ? "caf\u{E9}" : "j"))
            func step(_ number: Int, _ name: String, attempt: Int = 1, _ status: String, seconds: String, reason: String = "", message: String = "", offset: Int = 0) {
                row(["run_id": id, "job": job, "step_id": "\(number)", "step_name": name, "attempt": "\(attempt)", "status": status,
                     "started_at": time(at + offset), "ended_at": time(at + offset + 30), "duration_s": seconds,
                     "reason": reason, "message": message, "exit_status": status == "FAIL" ? "1" : "0", "host": "vm"])
            }
            if run % 17 == 6 {
                row(["run_id": id, "job": job, "step_id": "0", "step_name": ExecutionRecord.runStepName, "attempt": "0", "status": "FAIL",
                     "started_at": time(at), "ended_at": time(at), "duration_s": "0.000", "reason": "locked",
                     "message": "not started: another run of \(job) is in progress, \"held\" by pid 42"])
                continue
            }
            step(1, "Extract \"raw\", then clean", "PASS", seconds: ["1.250", "12", "0.1234567890123456", "1e1", "", "-0.5"][run % 6])
            if run % 5 == 2 {
                step(2, "Load", "FAIL", seconds: "3.000", reason: "exit",
                     message: "exited with code 1:\nTraceback, \"quoted\"\n20261124T180826.891Z-3d85,j,2,Load,1,PASS,x\nend", offset: 40)
                step(2, "Load", attempt: 2, run % 10 == 2 ? "PASS" : "FAIL", seconds: "2.500", reason: run % 10 == 2 ? "" : "interrupted", offset: 80)
            } else {
                step(2, "Load", run % 4 == 0 ? "CACHED" : "PASS", seconds: "2.\(run % 10)00", message: run % 4 == 0 ? "up to date: passed in run x" : "", offset: 40)
            }
            step(3, run % 19 == 8 ? "Publish (renamed)" : "Publish", run % 23 == 9 ? "S\u{212A}IPPED" : (run % 3 == 0 ? "SKIPPED" : "PASS"),
                 seconds: "0.500", reason: run % 3 == 0 ? "upstream_failed" : "", offset: 120)
            if run % 29 == 10 { lines.append("") }  // an empty line
            if run % 31 == 11 { lines.append("\(id),j,4") }  // a short row
            if run % 37 == 12 { step(4, "Odd", "RUNNING", seconds: "1") }  // not an outcome
            if run % 3 == 1 { resumable.append((id, at)) }
            // A resumed run: an earlier run's step again, after later runs.
            if run % 7 == 6, let earlier = resumable.popLast() {
                row(["run_id": earlier.id, "job": "j", "step_id": "2", "step_name": "Load", "attempt": "3", "status": "PASS",
                     "started_at": time(at + 200), "ended_at": time(at + 260), "duration_s": "60.000"])
            }
        }
        return lines.enumerated().map { $0.element + ($0.offset % 3 == 1 ? "\n" : "\r\n") }.joined()
    }

    /// Everything `history` prints, in every form.
    func outputs(_ history: RunHistory) throws -> [String] {
        [history.render(), history.renderRuns(), String(decoding: try JSONCoding.encoder().encode(history), as: UTF8.self)]
    }

    @Test(arguments: [(header, "j"), (header, "other"), (header, "caf\u{E9}"), (olderHeader, "j")])
    func historySaysWhatThePlainReadingSaid(header: String, job: String) throws {
        let directory = try TemporaryDirectory()
        try directory.write("logs/execution_logs.csv", Self.history(runs: 400, header: header))
        let url = directory.path("logs/execution_logs.csv")
        let base = Date(timeIntervalSince1970: 1_767_225_600)  // 2026-01-01
        for since in [nil, base.addingTimeInterval(86_400 * 2)] {
            let fast = try RunHistory.load(url, job: job, since: since)
            let plain = try ReferenceHistory.load(url, job: job, since: since)
            #expect(try outputs(fast) == outputs(plain), "since \(String(describing: since))")
            #expect(fast.steps.count >= (job == "j" ? 3 : 1))
        }
    }

    /// A file of over a megabyte is read in two halves, through the same
    /// code `history` runs.
    @Test func aLargeHistoryReadInHalvesSaysTheSame() throws {
        let directory = try TemporaryDirectory()
        let text = Self.history(runs: 6_000)
        #expect(text.utf8.count > HistoryRows.splitThreshold)
        try directory.write("logs/execution_logs.csv", text)
        let url = directory.path("logs/execution_logs.csv")
        #expect(try outputs(RunHistory.load(url, job: "j")) == outputs(ReferenceHistory.load(url, job: "j")))
    }

    /// The rows, runs and names a read gives, names resolved (two halves
    /// each keep their own list).
    func read(_ url: URL, splitAfter: Int?) throws -> (rows: [HistoryRows.Row], names: [String], notStarted: [RunHistory.NotStarted], runs: [[String]]) {
        var runs = RunHistory.RunTable()
        let history = try #require(try HistoryRows.read(url, job: "j", cutoff: nil, runs: &runs, splitAfter: splitAfter))
        let rows = history.rows.map { row in var row = row; row.name = 0; return row }
        return (rows, history.rows.map { history.names[Int($0.name)] }, history.notStarted, [runs.ids, runs.starts, runs.ends])
    }

    /// Wherever the split lands, on a line of a quoted message that looks
    /// like a row or between rows, the halves give what one pass gives.
    @Test func everySplitGivesWhatOnePassGives() throws {
        let directory = try TemporaryDirectory()
        let text = Self.history(runs: 40)
        try directory.write("logs/execution_logs.csv", text)
        let url = directory.path("logs/execution_logs.csv")
        let whole = try read(url, splitAfter: nil)
        let lineStarts = [0] + text.utf8.indices.filter { text.utf8[$0] == 0x0A }.map { text.utf8.distance(from: text.utf8.startIndex, to: $0) }
        let scan = try #require(HistoryRows.Scan(header: Self.header.split(separator: ",").map(String.init), job: "j", cutoff: nil))
        let body = Self.header.utf8.count + 2
        var halves = 0, inQuotedMessage = 0
        for offset in lineStarts {
            let split = try read(url, splitAfter: offset)
            #expect(split.rows == whole.rows && split.names == whole.names, "split after \(offset)")
            #expect(split.notStarted == whole.notStarted && split.runs == whole.runs, "split after \(offset)")
            let parts = try Array(text.utf8).withUnsafeBytes { try scan.parts($0, from: body, line: 2, splitAfter: offset).count }
            halves += parts == 2 ? 1 : 0
            if text.utf8.dropFirst(offset + 1).starts(with: "20261124T180826.891Z-3d85".utf8) {
                inQuotedMessage += 1
                #expect(parts == 1, "a split inside a quoted message is not taken")
            }
        }
        #expect(inQuotedMessage > 0, "some splits fall on a line of a message that looks like a row")
        #expect(halves > lineStarts.count / 2, "most splits are taken")
    }

    /// Run ids of another shape (`airflow-…`, or a test's `r1`) still
    /// split, at the first line after the middle.
    @Test func aHistoryOfOtherRunIDsIsSplitToo() throws {
        var text = Self.header + "\n"
        for run in 0..<200 {
            for step in 1...3 {
                text += "airflow-manual__\(run),j,\(step),s\(step),1,PASS,2026-01-01T00:00:\(String(format: "%02d", run % 60))Z,,1.5,,,0,,\"a, message\",,vm,\n"
            }
        }
        let scan = try #require(HistoryRows.Scan(header: Self.header.split(separator: ",").map(String.init), job: "j", cutoff: nil))
        let body = Self.header.utf8.count + 1
        let (whole, halves) = try Array(text.utf8).withUnsafeBytes { bytes in
            (try scan.parts(bytes, from: body, line: 2, splitAfter: nil), try scan.parts(bytes, from: body, line: 2, splitAfter: bytes.count / 2))
        }
        #expect(whole.count == 1 && halves.count == 2)
        func resolved(_ part: HistoryRows.Part) -> [String] {
            part.rows.map { "\(part.runIDs[$0.run]) \($0.step) \(part.names[Int($0.name)]) \($0.status) \($0.seconds)" }
        }
        #expect(resolved(whole[0]) == halves.flatMap(resolved))
    }

    /// A malformed history fails with the line one pass finds, however it
    /// was split.
    @Test(arguments: ["\"never closed\n", "20261124T000000.000Z-0001,j,1,\"x\"y,1,PASS,t,t,1\n"])
    func aMalformedRowIsReportedAtItsLine(bad: String) throws {
        let directory = try TemporaryDirectory()
        let good = Self.history(runs: 20)
        let lines = good.utf8.filter { $0 == 0x0A }.count + 1  // the bad row's
        let text = good + bad + "20261124T000001.000Z-0002,j,1,s,1,PASS,t,t,1\n"
        #expect(throws: CSV.ParseError.self) { try CSV.parse(text) }
        #expect((try? CSV.parse(good)) != nil)
        try directory.write("logs/execution_logs.csv", text)
        let url = directory.path("logs/execution_logs.csv")
        for splitAfter in [nil, 0, good.utf8.count / 2, good.utf8.count - 10] {
            var runs = RunHistory.RunTable()
            let error = #expect(throws: CSVTable.ReadError.self) {
                _ = try HistoryRows.read(url, job: "j", cutoff: nil, runs: &runs, splitAfter: splitAfter)
            }
            #expect(error?.message.hasPrefix("line \(lines):") == true, "\(String(describing: error)), split after \(String(describing: splitAfter))")
        }
        #expect(throws: CSVTable.ReadError.self) { try RunHistory.load(url, job: "j") }
    }

    @Test func aMissingColumnIsNamed() throws {
        let directory = try TemporaryDirectory()
        try directory.write("logs/execution_logs.csv", "run_id,job,step_id,step_name,status,duration_s\nr,j,1,s,PASS,1\n")
        let error = #expect(throws: CSVTable.ReadError.self) { try RunHistory.load(directory.path("logs/execution_logs.csv"), job: "j") }
        #expect(error?.message == "the history has no started_at column")
    }
}
