@testable import BatchKit
@testable import BatchKitRunner
import Foundation
import TestSupport
import Testing

/// `report.html` and `history.html` as text: the critical path, the
/// elements the page promises, and escaping. (Headless Chromium loads real
/// reports in `HTMLReportBrowserTests`.)
@Suite struct HTMLReportTests {
    static let start = Date(timeIntervalSince1970: 1_800_000_000)

    static func attempt(_ id: StepID, _ name: String, _ number: Int, _ status: Status, from: Double, to: Double, reason: FailureReason = .empty) -> ExecutionRecord {
        ExecutionRecord(
            runID: "r1", job: "job", stepID: id, stepName: name, attempt: number, status: status,
            startedAt: start.addingTimeInterval(from), endedAt: start.addingTimeInterval(to), cpuSeconds: 0.1, maxRSSKilobytes: 2048,
            reason: reason, message: status == .fail ? "exit 1" : "", logFile: "logs/runs/r1/0\(id).log")
    }

    /// 1 → (2 ‖ 3) → 4: 3 is retried and is the longer branch.
    static func steps() -> [StepRun] {
        [
            StepRun(stepID: 1, name: "Extract", records: [attempt(1, "Extract", 1, .pass, from: 0, to: 2)]),
            StepRun(stepID: 2, name: "Short", records: [attempt(2, "Short", 1, .pass, from: 2, to: 3)]),
            StepRun(stepID: 3, name: "Long", records: [
                attempt(3, "Long", 1, .fail, from: 2, to: 4, reason: .timeout), attempt(3, "Long", 2, .pass, from: 5, to: 9),
            ]),
            StepRun(stepID: 4, name: "Load", records: [attempt(4, "Load", 1, .pass, from: 9, to: 10)]),
        ]
    }

    static let parents: [StepID: [StepID]] = [1: [], 2: [1], 3: [1], 4: [2, 3]]

    @Test func theCriticalPathFollowsTheParentThatEndedLast() throws {
        let path = try #require(CriticalPath(steps: Self.steps(), parents: Self.parents, wallSeconds: 10.5, since: Self.start))
        #expect(path.steps.map(\.stepID) == [1, 3, 4])
        #expect(path.seconds == 10)
        #expect(path.sentence == "critical path 01 → 03 → 04: 10.0 s of 10.5 s wall; 03 is 70 % of it")
        #expect(CriticalPath(steps: [], parents: [:], wallSeconds: 1, since: Self.start) == nil)
    }

    func report(_ steps: [StepRun], status: Status = .pass) -> RunReport {
        var report = RunReport(
            job: "nightly", runID: "r1", status: status, startedAt: Self.start, endedAt: Self.start.addingTimeInterval(10.5),
            steps: steps, tests: [CheckResult(name: "rows > 0", status: .pass, message: "12 rows", startedAt: Self.start, endedAt: Self.start)],
            testsNotRun: nil, failureLogTails: [:], logDirectory: "logs/runs/r1", historyFiles: ["logs/execution_logs.csv"],
            notes: [], parameters: ["size": "2GB", "token": "***"], parents: Self.parents)
        report.criticalPath = CriticalPath(steps: steps, parents: Self.parents, wallSeconds: 10.5, since: Self.start)
        return report
    }

    @Test func thePageHasABarPerAttemptTheCriticalPathTheStepsAndTheTests() throws {
        let html = report(Self.steps()).html(trends: StepTrends(points: [
            1: (1...5).map { StepTrends.Point(runID: "r\($0)", seconds: $0 == 5 ? 3 : 1, status: .pass) },
        ]))
        #expect(html.hasPrefix("<!DOCTYPE html>"))
        #expect(html.contains("default-src 'none'"), "the page may fetch nothing")
        #expect(!html.contains("<script"), "no script: what matters reads with JavaScript off")
        #expect(html.components(separatedBy: "<g class=\"bar\"").count - 1 == 5, "one bar per attempt")
        #expect(html.contains("data-step=\"03\" data-attempt=\"1\" data-status=\"FAIL\" data-reason=\"timeout\" data-critical=\"true\""))
        #expect(html.contains("03 Long TIMEOUT"), "a timeout is written, not only coloured")
        #expect(html.components(separatedBy: "class=\"retry-wait\"").count - 1 == 1)
        #expect(html.contains("<p id=\"critical-path\" class=\"critical\">critical path 01 → 03 → 04: 10.0 s of 10.5 s wall; 03 is 70 % of it</p>"))
        #expect(html.contains("<tr data-step=\"02\" data-status=\"PASS\">"))
        #expect(html.contains("data-test-status=\"PASS\""))
        #expect(html.contains("token = ***"), "a secret shows as ***")
        #expect(html.contains("⚠ slow"), "step 01's last run is three times its median")
        #expect(html.contains("<div id=\"dag\" class=\"scroll\" data-source=\"batchkit\">"))
        #expect(html.contains("attempt 1: FAIL (timeout)\nstart 2027-01-15T08:00:02.000Z"), "a bar's title keeps its lines")
        #expect(report(Self.steps()).render().contains("critical path 01 → 03 → 04"), "the text report states it too")
        let json = try report(Self.steps()).json()
        #expect(json.contains("\"criticalPath\""))
    }

    @Test func hostileNamesRenderAsTextNeverAsMarkup() {
        let name = "\"q\" <script>alert(1)</script> & <img src=x onerror=alert(1)> \u{202E}עברית"
        let steps = [StepRun(stepID: 1, name: name, records: [Self.attempt(1, name, 1, .fail, from: 0, to: 1)])]
        var hostile = report(steps, status: .fail)
        hostile = RunReport(
            job: "<b>job</b>", runID: "r1", status: .fail, startedAt: Self.start, endedAt: Self.start.addingTimeInterval(1), steps: steps,
            tests: [], testsNotRun: nil, failureLogTails: [1: ["</pre><script>x()</script>"]], logDirectory: "logs/runs/r1",
            historyFiles: [], notes: ["<i>note</i>"], parameters: ["k": "<v>"], parents: [1: []])
        let html = hostile.html(dagSVG: nil)
        #expect(!html.contains("<script"))
        #expect(!html.contains("<img"))
        #expect(!html.contains("<b>job"))
        #expect(!html.contains("<i>note"))
        #expect(html.contains("&quot;q&quot; &lt;script&gt;alert(1)&lt;/script&gt; &amp; &lt;img src=x onerror=alert(1)&gt;"))
        #expect(html.contains("&lt;/pre&gt;&lt;script&gt;x()&lt;/script&gt;"))
        #expect(HTMLPage.escape("a'b") == "a&#39;b")
    }

    @Test func theHistoryPageListsEveryStepsTrendAndEveryRun() throws {
        let directory = try TemporaryDirectory()
        let layout = RunLayout(projectDirectory: directory.url)
        var rows: [ExecutionRecord] = []
        for run in 1...4 {
            let started = Self.start.addingTimeInterval(Double(run) * 100)
            rows.append(ExecutionRecord(
                runID: "run\(run)", job: "j", stepID: 1, stepName: "One", attempt: 1, status: run == 3 ? .fail : .pass,
                startedAt: started, endedAt: started.addingTimeInterval(Double(run)), reason: run == 3 ? .exit : .empty))
        }
        try ExecutionLog(url: layout.executionLog).append(rows)
        let history = try RunHistory.load(layout.executionLog, testResults: nil, job: "j", since: nil, latest: nil)
        let trends = StepTrends.read(layout, job: "j", limit: Int.max)
        #expect(trends.points[1]?.map(\.seconds) == [1, 2, 3, 4])
        let html = history.html(trends: trends)
        #expect(html.contains("<tr data-step=\"01\" data-status=\"PASS\">"))
        #expect(html.components(separatedBy: "<tr data-run=").count - 1 == 4)
        #expect(html.contains("data-outcome=\"FAIL\""))
        #expect(html.contains("<circle"), "the failed run is a dot on the step's trend")
    }

    @Test func trendsOfABigHistoryReadOnlyItsTail() throws {
        let directory = try TemporaryDirectory()
        let layout = RunLayout(projectDirectory: directory.url)
        var rows: [ExecutionRecord] = []
        for run in 0..<200 {
            let started = Self.start.addingTimeInterval(Double(run) * 100)
            let id = "\(Timestamp.compact(started))-\(String(format: "%04x", run))"
            rows.append(ExecutionRecord(
                runID: id, job: "j", stepID: 1, stepName: "One", attempt: 1, status: .pass, startedAt: started,
                endedAt: started.addingTimeInterval(Double(run)), message: "line one\nline \"two\", with a comma"))
        }
        try ExecutionLog(url: layout.executionLog).append(rows)
        let whole = StepTrends.read(layout, job: "j", limit: 30, tailBytes: nil)
        let tail = StepTrends.read(layout, job: "j", limit: 30, tailBytes: 3_000)
        #expect(whole.points[1]?.count == 30)
        #expect(whole.points[1]?.last?.seconds == 199)
        let recent = try #require(tail.points[1])
        #expect(!recent.isEmpty && recent.count < 30, "only the rows in the last 3,000 bytes")
        #expect(recent.map(\.seconds) == Array(whole.points[1]?.suffix(recent.count) ?? []).map(\.seconds), "the same last runs, none garbled")
    }

    @Test func shortBarsAreLabelledAfterThemWhenTheLaneHasRoomElseOnlyByTheirTitle() throws {
        let steps = [
            StepRun(stepID: 1, name: "Long", records: [Self.attempt(1, "Long", 1, .pass, from: 0, to: 10)]),
            StepRun(stepID: 2, name: "Short", records: [Self.attempt(2, "Short", 1, .pass, from: 0, to: 0.5)]),
            StepRun(stepID: 3, name: "Tiny", records: [Self.attempt(3, "Tiny", 1, .pass, from: 5, to: 5.1)]),
            StepRun(stepID: 4, name: "Load", records: [Self.attempt(4, "Load", 1, .pass, from: 5.12, to: 10)]),
        ]
        let timeline = AttemptTimeline(steps.flatMap(\.records), from: Self.start, critical: []).svg(id: "t").string
        func label(_ text: String) -> Double? {
            guard let match = timeline.firstMatch(of: try! Regex(#"<text class="label" x="([0-9.]+)"[^>]*>\#(text)</text>"#)) else { return nil }
            return Double(match.output[1].substring ?? "")
        }
        func barEnd(_ id: String) -> Double? {
            guard let match = timeline.firstMatch(of: try! Regex(#"(?s)data-step="\#(id)".*?<rect x="([0-9.]+)" y="[0-9.]+" width="([0-9.]+)""#)),
                  let x = Double(match.output[1].substring ?? ""), let width = Double(match.output[2].substring ?? "") else { return nil }
            return x + width
        }
        let short = try #require(label("02 Short PASS"), "the short bar's label is written after it")
        #expect(short > (barEnd("02") ?? .infinity))
        #expect(try #require(label("04 Load PASS")) < (barEnd("04") ?? 0), "a long bar's label is inside it")
        #expect(!timeline.contains("\">03 "), "no room for 03's label: its title has it")
        #expect(timeline.contains("<title>03 Tiny, attempt 1: PASS"))
    }

    @Test(arguments: [(10.0, 2.0), (0.9, 0.2), (0.04, 0.01), (100, 30), (7_200, 1_800), (59, 10)])
    func theAxisHasRoundTicks(span: Double, step: Double) {
        #expect(AttemptTimeline.tickStep(span) == step)
    }

    @Test func theAxisEndsWithTheLastAttemptAndSaysWhatCameAfter() {
        let html = report(Self.steps()).html()
        for label in ["0", "2 s", "4 s", "6 s", "8 s", "10 s"] {
            #expect(html.contains(">\(label)</text>"), "tick \(label)")
        }
        #expect(html.contains("id=\"timeline-tail\">The last attempt ended 10.0 s after the start; the post-job tests and the report brought the run to 10.5 s."))
    }

    @Test func aResumedRunShowsEverySessionsAttempts() {
        var resumed = report(Self.steps().map { step in
            StepRun(stepID: step.stepID, name: step.name, records: step.records.map { record in
                ExecutionRecord(
                    runID: "r1", job: "job", stepID: record.stepID, stepName: record.stepName, attempt: record.attempt, status: record.status,
                    startedAt: record.startedAt.addingTimeInterval(3_600), endedAt: record.endedAt.addingTimeInterval(3_600),
                    reason: record.reason, message: record.message)
            })
        })
        resumed = RunReport(
            job: resumed.job, runID: "r1", status: .pass, startedAt: Self.start.addingTimeInterval(3_600), endedAt: Self.start.addingTimeInterval(3_610.5),
            steps: resumed.steps, tests: [], testsNotRun: nil, failureLogTails: [:], logDirectory: "logs/runs/r1", historyFiles: [], notes: [],
            parents: Self.parents)
        resumed.earlierSessions = [
            RunReport.Session(startedAt: Self.start, attempts: [Self.attempt(1, "Extract", 1, .pass, from: 0, to: 2), Self.attempt(3, "Long", 1, .fail, from: 2, to: 3)]),
            RunReport.Session(startedAt: Self.start.addingTimeInterval(600), attempts: []),
        ]
        let html = resumed.html()
        #expect(html.contains("<h3 class=\"session\">Session 1 of 3, started 2027-01-15T08:00:00.000Z: 2 attempts (1 PASS, 1 FAIL)</h3>"))
        #expect(html.contains("<h3 class=\"session\">Session 2 of 3, started 2027-01-15T08:10:00.000Z: 0 attempts</h3>"))
        #expect(html.contains("<h3 class=\"session\">Session 3 of 3, this one, started 2027-01-15T09:00:00.000Z</h3>"))
        #expect(html.contains("<svg id=\"timeline-session-1\""))
        #expect(html.components(separatedBy: "<g class=\"bar\"").count - 1 == 2 + 5, "every session's attempts")
        #expect(html.contains("(session 3; run started 2027-01-15T08:00:00.000Z)"))
    }

    @Test func aLongCriticalPathIsShortenedAndTimeBetweenItsStepsIsSaid() throws {
        let count = 30
        let steps = (1...count).map { id in
            StepRun(stepID: StepID(id), name: "s\(id)", records: [Self.attempt(StepID(id), "s\(id)", 1, .pass, from: Double(id - 1), to: Double(id - 1) + 0.01)])
        }
        let parents = Dictionary(uniqueKeysWithValues: (1...count).map { (StepID($0), $0 == 1 ? [] : [StepID($0 - 1)]) })
        let path = try #require(CriticalPath(steps: steps, parents: parents, wallSeconds: 30, since: Self.start))
        #expect(path.steps.count == count)
        #expect(path.sentence == "critical path 01 → 02 → 03 → 04 → 05 → … → 26 → 27 → 28 → 29 → 30 (30 steps): 29.0 s of 30.0 s wall; its steps ran 0.30 s of it, the rest went by between them (waiting for a free slot, or for the runner)")
    }

    @Test func theHistoryPageListsTheRunsThatDidNotStart() throws {
        let directory = try TemporaryDirectory()
        let layout = RunLayout(projectDirectory: directory.url)
        try ExecutionLog(url: layout.executionLog).append([
            ExecutionRecord(runID: "run1", job: "j", stepID: 1, stepName: "One", attempt: 1, status: .pass, startedAt: Self.start, endedAt: Self.start.addingTimeInterval(1)),
            ExecutionRecord(
                runID: "run2", job: "j", stepID: ExecutionRecord.runStepID, stepName: ExecutionRecord.runStepName, attempt: 0, status: .fail,
                startedAt: Self.start.addingTimeInterval(10), endedAt: Self.start.addingTimeInterval(11), reason: .locked,
                message: "another run of j <holds> the lock"),
        ])
        let history = try RunHistory.load(layout.executionLog, testResults: nil, job: "j", since: nil, latest: nil)
        let html = history.html(trends: StepTrends.read(layout, job: "j", limit: Int.max))
        #expect(html.contains("<ul id=\"not-started\"><li><code>run2</code>"))
        #expect(html.contains("another run of j &lt;holds&gt; the lock"))
    }

    /// A run reads its steps' earlier runs as it starts (up to the history's
    /// size then), and adds its own attempts at its end: the same trends as
    /// reading the history after the run, a resumed run's sessions included.
    @Test func aRunsTrendsAreTheHistoryBeforeItPlusItsOwnAttempts() throws {
        let directory = try TemporaryDirectory()
        let layout = RunLayout(projectDirectory: directory.url)
        let log = ExecutionLog(url: layout.executionLog)
        func row(_ run: String, _ attempt: Int, _ status: Status, at: Double, seconds: Double) -> ExecutionRecord {
            ExecutionRecord(
                runID: run, job: "j", stepID: 1, stepName: "One", attempt: attempt, status: status,
                startedAt: Self.start.addingTimeInterval(at), endedAt: Self.start.addingTimeInterval(at + seconds))
        }
        try log.append((0..<3).map { row("run\($0)", 1, .pass, at: Double($0) * 100, seconds: 1) })
        // The run's first session failed; it is resumed.
        try log.append([row("run3", 1, .fail, at: 300, seconds: 2)])
        let size = UInt64(try Data(contentsOf: layout.executionLog).count)
        let resumedAt = Self.start.addingTimeInterval(400)
        let thisSession = [row("run3", 2, .pass, at: 400, seconds: 3)]
        try log.append(thisSession)
        let before = StepTrends.read(layout, job: "j", upTo: size)
        #expect(before.points[1]?.map(\.seconds) == [1, 1, 1, 2], "the rows appended after the start are not read")
        let after = before.adding(run: "run3", steps: [StepRun(stepID: 1, name: "One", records: thisSession)], since: resumedAt)
        #expect(after.points == StepTrends.read(layout, job: "j").points)
        #expect(after.points[1]?.last == StepTrends.Point(runID: "run3", seconds: 5, status: .pass))
        let fresh = before.adding(run: "run4", steps: [StepRun(stepID: 1, name: "One", records: [row("run4", 1, .pass, at: 500, seconds: 1)])], since: resumedAt, limit: 3)
        #expect(fresh.points[1]?.map(\.runID) == ["run2", "run3", "run4"], "at most `limit` runs")
    }

    /// The tail of a history is found after a cut whatever the run ids look
    /// like (Airflow's rows share the file), messages over several lines
    /// included, and a cut right at a record's start keeps that record.
    @Test func aHistorysTailIsFoundWhateverItsRunIDs() throws {
        let directory = try TemporaryDirectory()
        let layout = RunLayout(projectDirectory: directory.url)
        let rows = (0..<100).map { run in
            ExecutionRecord(
                runID: "airflow-manual__\(run)", job: "j", stepID: 1, stepName: "One", attempt: 1, status: .pass,
                startedAt: Self.start.addingTimeInterval(Double(run) * 100), endedAt: Self.start.addingTimeInterval(Double(run) * 100 + Double(run)),
                message: "line one\n20270115T080000.000Z-abcd,not,a,record\nline \"three\"")
        }
        try ExecutionLog(url: layout.executionLog).append(rows)
        let whole = try #require(StepTrends.read(layout, job: "j", limit: 100, tailBytes: nil).points[1])
        #expect(whole.count == 100)
        let size = try Data(contentsOf: layout.executionLog).count
        for tail in [1_000, 3_333, 5_000] {
            let recent = try #require(StepTrends.read(layout, job: "j", limit: 100, tailBytes: tail).points[1], "tail \(tail)")
            #expect(!recent.isEmpty && recent.count < 100)
            #expect(recent == Array(whole.suffix(recent.count)), "tail \(tail): the last runs, none garbled")
        }
        // A cut exactly at the start of the last record keeps it.
        let text = try Data(contentsOf: layout.executionLog)
        let lastStart = try #require(text.firstRange(of: Data("\nairflow-manual__99,".utf8))).lowerBound + 1
        let last = StepTrends.read(layout, job: "j", limit: 100, tailBytes: size - lastStart).points[1]
        #expect(last?.map(\.runID) == ["airflow-manual__99"])
    }
}
