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
        #expect(html.contains("<div id=\"dag\" data-source=\"batchkit\">"))
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
}
