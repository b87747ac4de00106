@testable import BatchKit
@testable import BatchKitRunner
import Foundation
import TestSupport
import Testing

@Suite struct RunReportTests {
    static let start = Date(timeIntervalSince1970: 1_800_000_000)

    static func record(_ id: StepID, _ name: String, _ status: Status, _ seconds: Double, message: String = "", cpu: Double? = nil, rss: Int? = nil) -> ExecutionRecord {
        ExecutionRecord(
            runID: "r1", job: "job", stepID: id, stepName: name, attempt: status == .skipped ? 0 : 1,
            status: status, startedAt: start, endedAt: start.addingTimeInterval(seconds),
            cpuSeconds: cpu, maxRSSKilobytes: rss, message: message, logFile: "logs/runs/r1/0\(id).log")
    }

    static func report(status: Status = .fail) -> RunReport {
        RunReport(
            job: "nightly", runID: "r1", status: status, startedAt: start, endedAt: start.addingTimeInterval(1.25),
            steps: [
                StepRun(stepID: 1, name: "Extract", records: [record(1, "Extract", .pass, 1.2, cpu: 0.8, rss: 21_904)]),
                StepRun(stepID: 2, name: "Validate input", records: [record(2, "Validate input", .fail, 0.5, message: "3 of 10 rows rejected", cpu: 0.4, rss: 1_800_000)]),
                StepRun(stepID: 3, name: "Load", records: [record(3, "Load", .skipped, 0, message: "step 02 \"Validate input\" failed")]),
            ],
            tests: [CheckResult(name: "output exists", status: .pass, message: "12 bytes", startedAt: start, endedAt: start)],
            testsNotRun: nil, failureLogTails: [2: ["last line of the log"]],
            logDirectory: "logs/runs/r1", historyFiles: ["logs/execution_logs.csv"], notes: ["a note"],
            parents: [1: [], 2: [1], 3: [2]])
    }

    @Test func showsStatusStepsResourcesTestsTimeDagAndLogs() {
        let text = Self.report().render()
        let lines = text.components(separatedBy: "\n")
        #expect(lines[0] == "nightly  run r1  FAIL  1/3 steps passed in 1.25 s")
        #expect(text.contains("  ID  STEP            STATUS   TRIES  WALL      CPU       PEAK MEM\n"))
        #expect(text.contains("  01  Extract         PASS     1      1.20 s    0.80 s    21.4 MB   ◀ slowest\n"))
        #expect(text.contains("  02  Validate input  FAIL     1      0.50 s    0.40 s    1.7 GB     3 of 10 rows rejected\n"))
        #expect(text.contains("  03  Load            SKIPPED  0      -         -         -          step 02 \"Validate input\" failed\n"))
        #expect(text.contains("02 Validate input failed: 3 of 10 rows rejected\n  | last line of the log\n  log: logs/runs/r1/02.log"))
        #expect(text.contains("Post-job tests  1 passed, 0 failed\n  PASS  output exists  (12 bytes)"))
        #expect(text.contains("Time     1.25 s wall, 1.20 s with steps running: 1.70 s of step time, 1.4× speed-up from running steps in parallel"))
        var second = Self.record(2, "b", .pass, 0.9)
        second.startedAt += 1
        second.endedAt += 1
        let sequential = RunReport(
            job: "j", runID: "r", status: .pass, startedAt: Self.start, endedAt: Self.start.addingTimeInterval(2),
            steps: [StepRun(stepID: 1, name: "a", records: [Self.record(1, "a", .pass, 1)]), StepRun(stepID: 2, name: "b", records: [second])],
            tests: [], testsNotRun: nil, failureLogTails: [:], logDirectory: "l", historyFiles: [], notes: [])
        #expect(sequential.render().contains("Time     2.00 s wall, 1.90 s with steps running, one after another (no parallel speed-up)"))
        #expect(text.contains("  wave 1  01 Extract         PASS\n  wave 2  02 Validate input  FAIL     ← 01\n  wave 3  03 Load            SKIPPED  ← 02\n"))
        #expect(text.contains("Logs     logs/runs/r1/  (report.html, report.txt, report.json, junit.xml)"))
        #expect(text.contains("Note     a note"))
    }

    /// An attempt of step `id` from `from` to `to` seconds after `start`.
    static func attempt(_ id: StepID, _ attempt: Int, _ status: Status, from: Double, to: Double) -> ExecutionRecord {
        ExecutionRecord(
            runID: "r1", job: "job", stepID: id, stepName: "s\(id)", attempt: attempt, status: status,
            startedAt: start.addingTimeInterval(from), endedAt: start.addingTimeInterval(to))
    }

    static func run(startingAt offset: Double, seconds: Double, _ steps: [StepRun]) -> RunReport {
        RunReport(
            job: "j", runID: "r1", status: .pass, startedAt: start.addingTimeInterval(offset),
            endedAt: start.addingTimeInterval(offset + seconds), steps: steps, tests: [], testsNotRun: nil,
            failureLogTails: [:], logDirectory: "l", historyFiles: [], notes: [])
    }

    @Test func stepsThatOverlappedShowASpeedUpHoweverLongTheRunTook() {
        // 04 and 05 ran side by side, then the post-job tests took 8 s: the
        // old rule (step time / wall time) said the steps ran one after another.
        let report = Self.run(startingAt: 0, seconds: 10, [
            StepRun(stepID: 1, name: "s1", records: [Self.attempt(1, 1, .pass, from: 0, to: 0.5)]),
            StepRun(stepID: 4, name: "s4", records: [Self.attempt(4, 1, .pass, from: 0.5, to: 1.5)]),
            StepRun(stepID: 5, name: "s5", records: [Self.attempt(5, 1, .pass, from: 0.6, to: 1.6)]),
        ])
        #expect(report.render().contains(
            "Time     10.0 s wall, 1.60 s with steps running: 2.50 s of step time, 1.6× speed-up from running steps in parallel\n"))
    }

    @Test func stepsOneAfterAnotherShowNoSpeedUpHoweverShortTheRun() {
        // A retry waited 2 s between attempts: wall time covers that, the steps do not overlap.
        let report = Self.run(startingAt: 0, seconds: 4, [
            StepRun(stepID: 1, name: "s1", records: [Self.attempt(1, 1, .fail, from: 0, to: 0.5), Self.attempt(1, 2, .pass, from: 2.5, to: 3)]),
            StepRun(stepID: 2, name: "s2", records: [Self.attempt(2, 1, .pass, from: 3, to: 3.9)]),
        ])
        #expect(report.render().contains("Time     4.00 s wall, 1.90 s with steps running, one after another (no parallel speed-up)\n"))
    }

    @Test func aResumedRunCountsOnlyThisSessionsStepsInItsTimeAndHeadline() {
        // Steps 01 and 02 passed in the first session (0–61 s); this session
        // starts at 100 s and runs 03 (its attempt 2) and then 04.
        let report = Self.run(startingAt: 100, seconds: 0.5, [
            StepRun(stepID: 1, name: "s1", records: [Self.attempt(1, 1, .pass, from: 0, to: 60)]),
            StepRun(stepID: 2, name: "s2", records: [Self.attempt(2, 1, .pass, from: 60, to: 61)]),
            StepRun(stepID: 3, name: "s3", records: [Self.attempt(3, 2, .pass, from: 100.1, to: 100.2)]),
            StepRun(stepID: 4, name: "s4", records: [Self.attempt(4, 1, .pass, from: 100.2, to: 100.4)]),
        ])
        let text = report.render()
        #expect(text.hasPrefix("j  run r1  PASS  4/4 steps passed (2 earlier, 2 in this session of 0.50 s)\n"), "\(text)")
        #expect(text.contains("  01  s1    PASS     1      1 m 00 s  -         -          passed in an earlier session\n"))
        #expect(text.contains("  03  s3    PASS     2      0.10 s"), "TRIES is the run's attempt number, as in the CSV")
        #expect(text.contains("Time     0.50 s wall this session, 0.30 s with steps running, one after another (no parallel speed-up)\n"))
        #expect(!text.contains("×"), "61 s of earlier steps in a 0.5 s session is no speed-up")
        #expect(report.parallelTime.stepSeconds < 0.31)
    }

    @Test func triesIsTheHighestAttemptNumberOfTheRun() {
        // A resumed step shows this session's attempts: numbers 3 and 4 of the run.
        let step = StepRun(stepID: 3, name: "s3", records: [Self.attempt(3, 3, .fail, from: 0, to: 1), Self.attempt(3, 4, .pass, from: 1, to: 2)])
        #expect(step.attempts == 4)
        #expect(StepRun(stepID: 3, name: "s3", records: [Self.attempt(3, 0, .skipped, from: 0, to: 0)]).attempts == 0)
    }

    @Test func theThreeSlowestAreMarkedInABiggerRun() {
        let steps = (1...6).map { id in
            StepRun(stepID: StepID(id), name: "s\(id)", records: [Self.record(StepID(id), "s\(id)", .pass, Double(id))])
        }
        let report = RunReport(
            job: "j", runID: "r", status: .pass, startedAt: Self.start, endedAt: Self.start.addingTimeInterval(10), steps: steps,
            tests: [], testsNotRun: nil, failureLogTails: [:], logDirectory: "l", historyFiles: [], notes: [])
        let text = report.render()
        #expect(text.contains("s6  PASS") && text.contains("◀ slowest"))
        #expect(text.contains("◀ #2 slowest") && text.contains("◀ #3 slowest"))
        #expect(text.components(separatedBy: "◀").count == 4)
    }

    @Test func colourOnlyWhenAsked() {
        #expect(!Self.report().render(style: TerminalStyle(colors: false)).contains("\u{1B}["))
        let coloured = Self.report().render(style: TerminalStyle(colors: true))
        #expect(coloured.contains("\u{1B}[31mFAIL\u{1B}[0m"))
        #expect(coloured.contains("\u{1B}[32mPASS\u{1B}[0m"))
    }

    @Test func noColorAndDumbTerminalsAndPipesGetPlainText() throws {
        #expect(!TerminalStyle.forDescriptor(1, environment: ["NO_COLOR": "1", "TERM": "xterm"]).colors)
        #expect(!TerminalStyle.forDescriptor(1, environment: ["TERM": "dumb"]).colors)
        var fds: [Int32] = [0, 0]
        #expect(pipe(&fds) == 0)
        defer { close(fds[0]); close(fds[1]) }
        #expect(!TerminalStyle.forDescriptor(fds[1], environment: ["TERM": "xterm"]).colors)
    }

    @Test func jsonRoundTrips() throws {
        let report = Self.report()
        let decoded = try JSONCoding.decoder().decode(RunReport.self, from: Data(try report.json().utf8))
        #expect(decoded.render() == report.render())
        #expect(decoded.steps.map(\.status) == [.pass, .fail, .skipped])
        let object = try JSONSerialization.jsonObject(with: Data(try report.json().utf8)) as? [String: Any]
        #expect(object?["runID"] as? String == "r1")
        #expect(object?["status"] as? String == "FAIL")
    }

    /// report.json is encoded a few steps at a time and spliced; the bytes
    /// are the ones a single `encode` gives, for any chunk size.
    @Test(arguments: [1, 2, 3, 200])
    func theJSONEncodedInChunksIsTheJSONEncodedWhole(stepsPerChunk: Int) throws {
        var report = Self.report()
        report.steps += (4...7).map { id in
            StepRun(stepID: StepID(id), name: "step \"\(id)\"\n  \"steps\" : [\n\n  ]",
                    records: [Self.record(StepID(id), "s\(id)", .pass, 0.25, message: "line one\nline two")])
        }
        let whole = Array(try JSONCoding.encoder().encode(report)) + Array("\n".utf8)
        let chunked = try report.jsonBytes(stepsPerChunk: stepsPerChunk)
        #expect(chunked == whole, "\(String(decoding: chunked, as: UTF8.self))")
        #expect(try JSONCoding.decoder().decode(RunReport.self, from: Data(chunked)).steps.map(\.name) == report.steps.map(\.name))
    }

    @Test func savedReportsCanBeLoaded() throws {
        let directory = try TemporaryDirectory()
        let layout = RunLayout(projectDirectory: directory.url)
        try RunRecorder.saveReport(Self.report(), layout: layout)
        for file in ["report.txt", "report.json", "junit.xml"] {
            #expect(FileManager.default.fileExists(atPath: layout.runDirectory(Self.report().runID).appendingPathComponent(file).path))
        }
        #expect(try RunReport.load(layout.reportJSON(Self.report().runID)).render() == Self.report().render())
    }

    @Test(arguments: [
        (0.5, "0.50 s"), (12.34, "12.3 s"), (245, "4 m 05 s"), (3725, "1 h 02 m"), (0, "0.00 s"), (0.125, "0.12 s"), (0.135, "0.14 s"),
        (9.999, "10.00 s"), (59.96, "60.0 s"), (7.05, "7.05 s"), (86_399, "23 h 59 m"), (12.35, "12.3 s"), (0.005, "0.01 s"),
        (2.675, "2.67 s"), (0.015, "0.01 s"), (0.375, "0.38 s"), (10.25, "10.2 s"), (-0.001, "-0.00 s"),
    ])
    func durationsReadNaturally(seconds: Double, text: String) {
        #expect(DurationFormat.seconds(seconds) == text)
    }

    @Test(arguments: [(512, "512 KB"), (21_904, "21.4 MB"), (1_800_000, "1.7 GB")])
    func memoryReadsNaturally(kilobytes: Int, text: String) {
        #expect(RunReport.memory(kilobytes) == text)
    }
}
