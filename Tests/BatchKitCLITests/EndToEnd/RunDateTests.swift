@testable import BatchKit
@testable import BatchKitRunner
import Foundation
import TestSupport
import Testing

/// Run dates and backfills, through the real binary.
@Suite struct RunDateEndToEndTests {
    /// Step 1 notes the run date; step 2 fails for 2026-11-03 until `fixed` exists.
    static let tasks = """
        #SHELL
        1|-1|1|0|extract|echo "$BATCHKIT_RUN_DATE" >> dates.txt|
        2|1|1|0|load|./load.sh|

        """

    func prepare() throws -> TemporaryDirectory {
        let directory = try TemporaryDirectory()
        try directory.write("t.lst", Self.tasks)
        try directory.write("load.sh", "#!/bin/sh\n[ \"$BATCHKIT_RUN_DATE\" != 2026-11-03 ] || [ -f fixed ]\n")
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: directory.path("load.sh").path)
        return directory
    }

    func run(_ directory: TemporaryDirectory, _ arguments: [String], environment: [String: String] = [:]) async throws -> CommandResult {
        try await runProgram(try batchkitBinary(), ["run", "t.lst"] + arguments, in: directory.url, environment: environment)
    }

    @Test func theRunDateDefaultsToTodayInTheJobsTimeZoneAndIsRecorded() async throws {
        let directory = try prepare()
        let zone = "Pacific/Kiritimati"  // UTC+14: a different day from UTC for ten hours of every day
        let result = try await run(directory, [], environment: ["TZ": zone])
        #expect(result.status == 0, "\(result.stdout)\(result.stderr)")
        let today = RunDate.today(in: try #require(TimeZone(identifier: zone))).description
        #expect(try directory.read("dates.txt") == today + "\n")
        #expect(result.stdout.contains("Date     \(today)"))
        let rows = try ExecutionLog(url: directory.path("logs/execution_logs.csv")).readAll()
        #expect(rows.allSatisfy { $0.runDate?.description == today })
        let header = try directory.read("logs/execution_logs.csv").split(separator: "\r\n").first ?? ""
        #expect(header.hasSuffix(",host,run_date"), "a new column, at the end")
        let report = try RunReport.load(RunLayout(projectDirectory: directory.url).reportJSON(try #require(rows.first?.runID)))
        #expect(report.runDate?.description == today)
    }

    /// "timeZone" in config/base.json is the job's: it wins over $TZ, for
    /// the default date and for today/yesterday.
    @Test func theConfiguredTimeZoneIsTheJobs() async throws {
        let directory = try prepare()
        try directory.write("config/base.json", #"{"timeZone": "Pacific/Kiritimati"}"#)
        // UTC+14 against UTC-11: always different days.
        let result = try await run(directory, [], environment: ["TZ": "Pacific/Pago_Pago"])
        #expect(result.status == 0, "\(result.stdout)\(result.stderr)")
        let today = RunDate.today(in: try #require(TimeZone(identifier: "Pacific/Kiritimati")))
        #expect(try directory.read("dates.txt") == today.description + "\n")
        let plan = try await run(directory, ["--dry-run", "--date", "yesterday"], environment: ["TZ": "Pacific/Pago_Pago"])
        #expect(plan.stdout.contains("Run date \(today.adding(days: -1))"), "\(plan.stdout)")
    }

    @Test func anUnknownTimeZoneIsADefinitionErrorBeforeAnythingRuns() async throws {
        let directory = try prepare()
        try directory.write("config/base.json", #"{"timeZone": "Europe/Pari"}"#)
        let result = try await run(directory, [])
        #expect(result.status == 64, "\(result.stderr)")
        #expect(result.stderr.contains(#"config/base.json: "timeZone": "Europe/Pari" is not a time zone (did you mean Europe/Paris?)"#), "\(result.stderr)")
        #expect(!FileManager.default.fileExists(atPath: directory.path("dates.txt").path))
        #expect(!FileManager.default.fileExists(atPath: directory.path("logs/execution_logs.csv").path))
    }

    @Test func aBackfillRunsEachDateStopsAtTheFirstFailureAndResumeGoesOn() async throws {
        let directory = try prepare()
        // A declared parameter, given with --param: every date gets it, those after the resume too.
        try directory.write("config/base.json", #"{"params": {"level": {"type": "int", "default": 7}}}"#)
        try directory.write("load.sh", "#!/bin/sh\necho \"$BATCHKIT_RUN_DATE $BATCHKIT_PARAM_LEVEL\" >> levels.txt\n[ \"$BATCHKIT_RUN_DATE\" != 2026-11-03 ] || [ -f fixed ]\n")
        let first = try await run(directory, ["--date", "2026-11-01..2026-11-05", "--param", "level=9"])
        #expect(first.status == 1, "\(first.stdout)\(first.stderr)")
        #expect(try directory.read("dates.txt") == "2026-11-01\n2026-11-02\n2026-11-03\n")
        #expect(first.stderr.contains("backfill stopped: the run at 2026-11-03 failed; not run yet: 2026-11-04..2026-11-05. Fix it, then continue with: batchkit run t.lst --resume"), "\(first.stderr)")
        let refused = try await run(directory, ["--resume", "--date", "2026-11-04"])
        #expect(refused.status == 64 && refused.stderr.contains("leave out --date"), "\(refused.stderr)")

        try directory.write("fixed", "")
        let resumed = try await run(directory, ["--resume"])
        #expect(resumed.status == 0, "\(resumed.stdout)\(resumed.stderr)")
        #expect(try directory.read("dates.txt") == (1...5).map { "2026-11-0\($0)\n" }.joined(), "11-03 is finished without rerunning step 1, then 11-04 and 11-05")
        #expect(resumed.stderr.contains("backfill 2026-11-03..2026-11-05: 3 runs passed, one per date"), "\(resumed.stderr)")
        #expect(try directory.read("levels.txt") == ["01", "02", "03", "03", "04", "05"].map { "2026-11-\($0) 9\n" }.joined(), "the dates after the resumed one keep --param level=9")
        let rows = try ExecutionLog(url: directory.path("logs/execution_logs.csv")).readAll()
        var byRun: [String: Set<String>] = [:]
        for row in rows { byRun[row.runID, default: []].insert(row.runDate?.description ?? "") }
        #expect(byRun.count == 5 && byRun.values.allSatisfy { $0.count == 1 }, "one run per date, each with its own rows: \(byRun)")
        #expect(Set(byRun.values.flatMap { $0 }) == Set((1...5).map { "2026-11-0\($0)" }))
    }

    /// A backfill of some steps stays one: the dates after a resumed one run
    /// the same steps, not the whole job.
    @Test func aPartialBackfillResumedStaysPartial() async throws {
        let directory = try prepare()
        let first = try await run(directory, ["--only", "2", "--date", "2026-11-02..2026-11-04"])
        #expect(first.status == 1, "\(first.stdout)\(first.stderr)")
        try directory.write("fixed", "")
        let resumed = try await run(directory, ["--resume"])
        #expect(resumed.status == 0, "\(resumed.stdout)\(resumed.stderr)")
        #expect(!FileManager.default.fileExists(atPath: directory.path("dates.txt").path), "step 1 was never selected")
        let rows = try ExecutionLog(url: directory.path("logs/execution_logs.csv")).readAll()
        #expect(rows.allSatisfy { $0.stepID == 2 }, "\(rows.map { "\($0.runDate?.description ?? "-") \($0.stepID)" })")
        #expect(Set(rows.compactMap { $0.runDate?.description }) == ["2026-11-02", "2026-11-03", "2026-11-04"])
    }

    @Test(arguments: [
        ("2026-11-31", "\"2026-11-31\" is not a calendar date"),
        ("2026-11-07..2026-11-01", "the range runs backwards; give the earlier date first (2026-11-01..2026-11-07)"),
        ("2026-11-01...2026-11-02", "give a date like 2026-11-23, today, yesterday, or a range"),
    ])
    func aBadDateIsAUsageError(text: String, message: String) async throws {
        let directory = try prepare()
        let result = try await run(directory, ["--date", text])
        #expect(result.status == 64, "\(result.stderr)")
        #expect(result.stderr.contains(message), "\(result.stderr)")
        #expect(!FileManager.default.fileExists(atPath: directory.path("logs").path))
    }

    @Test func yesterdayIsTheDayBeforeToday() async throws {
        let directory = try prepare()
        let result = try await run(directory, ["--date", "yesterday"], environment: ["TZ": "UTC"])
        #expect(result.status == 0, "\(result.stderr)")
        let today = RunDate.today(in: try #require(TimeZone(identifier: "UTC")))
        // Around midnight the two clocks may straddle the day: accept the day before either.
        let expected = [today.adding(days: -1).description, today.adding(days: -2).description]
        #expect(expected.contains(try directory.read("dates.txt").trimmingCharacters(in: .newlines)))
    }

    /// A history written before the run_date column: it gets the column (one
    /// whole-file replace, a durable write the crash point covers), earlier
    /// rows keep their fields, and Python's csv reads every row.
    @Test func anOlderHistoryGetsTheNewColumnAndSurvivesACrashRightAfter() async throws {
        let directory = try prepare()
        let old = Array(ExecutionLog.columns.dropLast())
        let oldRow = ["r0", "t", "1", "extract", "1", "PASS", "2026-01-01T00:00:00.000Z", "2026-01-01T00:00:01.000Z",
                      "1.000", "", "", "0", "", "said \"hi\", then\nleft", "logs/runs/r0/01_extract.log", "box"]
        try directory.write("logs/execution_logs.csv", CSV.encodeRecord(old) + CSV.encodeRecord(oldRow))
        // Write 1 is the new header; the runner is killed right after it.
        let killed = try await run(directory, ["--date", "2026-11-01"], environment: ["BATCHKIT_CRASH_AFTER_WRITE": "1"])
        #expect(killed.status == 128 + SIGKILL)
        let again = try await run(directory, ["--date", "2026-11-01"])
        #expect(again.status == 0, "\(again.stdout)\(again.stderr)")
        let table = try CSVTable.read(directory.path("logs/execution_logs.csv"))
        #expect(table.header == ExecutionLog.columns)
        #expect(table.rows.first == oldRow + [""], "the earlier row is kept, its run_date empty")
        #expect(table.rows.dropFirst().allSatisfy { $0.last == "2026-11-01" })
        let python = try await runProgram("/usr/bin/env", ["python3", "-c", "import csv,sys; rows=list(csv.reader(open(sys.argv[1], newline=''))); assert all(len(r)==17 for r in rows), rows; print(len(rows))", directory.path("logs/execution_logs.csv").path], in: directory.url)
        #expect(python.status == 0 && python.stdout.trimmingCharacters(in: .whitespacesAndNewlines) == "\(table.rows.count + 1)", "\(python.stdout)\(python.stderr)")
    }
}
