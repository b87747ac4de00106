import BatchKit
import BatchKitRunner
import Foundation
import TestSupport
import Testing

/// `report.html` as a browser reads it: real runs of the real binary, each
/// report loaded in headless Chromium, its DOM checked against the run's CSV
/// rows and its net log checked for requests.
@Suite(.serialized) struct HTMLReportBrowserTests {
    /// Runs `list` as `t.lst` to its end and loads its report.
    func runAndLoad(_ list: String, in directory: TemporaryDirectory, with chromium: HeadlessChromium) async throws -> (CommandResult, BrowserReport) {
        try directory.write("t.lst", list)
        let run = try await runProgram(try batchkitBinary(), ["run", "t.lst"], in: directory.url)
        return (run, try await BrowserReport.load(lastRunIn: directory.url, with: chromium))
    }

    @Test func aRunWithARetryAFailedBranchAndATimeout() async throws {
        guard let chromium = requireChromium(for: "loading report.html in a browser") else { return }
        let directory = try TemporaryDirectory()
        let (run, report) = try await runAndLoad("""
            #SHELL
            1|-1|1|0|start|echo start|
            2|1|2|1|flaky|[ -f tried ] && exit 0; touch tried; echo first try fails; exit 3|
            3|1|1|0|broken|echo broken on purpose >&2; exit 2|
            4|3|1|0|after broken|echo never|
            5|1|1|0|slow|echo sleeping; sleep 5||1s
            6|2|1|0|end|echo end|

            """, in: directory, with: chromium)
        #expect(run.status == 1, "\(run.stdout)\(run.stderr)")
        report.expectMatches(status: "FAIL", steps: ["01": "PASS", "02": "PASS", "03": "FAIL", "04": "SKIPPED", "05": "FAIL", "06": "PASS"])
        let bars = report.bars
        #expect(bars.filter { $0.step == "02" }.map { "\($0.attempt) \($0.status) \($0.reason)" } == ["1 FAIL exit", "2 PASS "])
        #expect(bars.first { $0.step == "05" }.map { "\($0.status) \($0.reason)" } == "FAIL timeout")
        #expect(report.count(#"<line class="retry-wait""#) == 1, "one wait between the two attempts of 02")
        for step in ["03", "05"] {
            #expect(report.dom.contains(try Regex(#"<section class="failure" data-step="\#(step)">.*?<pre>[^<]+</pre>"#)), "failure of \(step) with its log tail")
        }
        #expect(report.dom.contains("broken on purpose"))
        #expect(report.count(#"<section class="failure""#) == 2)
        let notRun = try #require(report.element(id: "not-run", tag: "p"))
        #expect(notRun.contains("04 after broken") && !notRun.contains("06 end"), "\(notRun)")
        #expect(report.element(id: "tests", tag: "p")?.hasPrefix("Not run: ") == true)
    }

    @Test func anInterruptedRun() async throws {
        guard let chromium = requireChromium(for: "loading report.html in a browser") else { return }
        let directory = try TemporaryDirectory()
        try directory.write("t.lst", """
            #SHELL
            1|-1|1|0|first|echo first|
            2|1|1|0|long|touch started; sleep 30|
            3|2|1|0|last|echo last|

            """)
        let (process, _) = try await startBatchkit(["run", "t.lst"], in: directory)
        try await waitFor(directory.path("started"))
        #expect(kill(process.processIdentifier, SIGINT) == 0)
        #expect(await process.exitCode() == 130)
        let report = try await BrowserReport.load(lastRunIn: directory.url, with: chromium)
        report.expectMatches(status: "INTERRUPTED", steps: ["01": "PASS", "02": "FAIL", "03": "SKIPPED"])
        #expect(report.bars.first { $0.step == "02" }?.reason == "interrupted")
        #expect(report.dom.contains(#"<header class="banner b-interrupted""#))
        #expect(report.element(id: "not-run", tag: "p")?.contains("03 last") == true)
    }

    @Test func aDagOf200Steps() async throws {
        guard let chromium = requireChromium(for: "loading report.html in a browser") else { return }
        let directory = try TemporaryDirectory()
        // A binary tree: step i waits for step i / 2.
        let lines = (1...200).map { "\($0)|\($0 == 1 ? "-1" : String($0 / 2))|1|0|step \($0)|true|" }
        let (run, report) = try await runAndLoad("#SHELL\n" + lines.joined(separator: "\n") + "\n", in: directory, with: chromium)
        #expect(run.status == 0, "\(run.stdout)\(run.stderr)")
        report.expectMatches(status: "PASS", steps: Dictionary(uniqueKeysWithValues: (1...200).map { (StepID($0).display, "PASS") }))
        #expect(report.count(#"<tr data-step=""#) == 200)
        #expect(report.count(#"<g class="bar""#) == 200)
        #expect(report.element(id: "not-run", tag: "p") == nil)
    }

    @Test func aFailedRunResumedToItsEnd() async throws {
        guard let chromium = requireChromium(for: "loading report.html in a browser") else { return }
        let directory = try TemporaryDirectory()
        let list = """
            #SHELL
            1|-1|1|0|first|echo first|
            2|1|1|0|needs fix|if [ ! -f fixed ]; then echo not fixed >&2; exit 4; fi|
            3|2|1|0|last|echo last|

            """
        let (failed, before) = try await runAndLoad(list, in: directory, with: chromium)
        #expect(failed.status == 1, "\(failed.stdout)\(failed.stderr)")
        before.expectMatches(status: "FAIL", steps: ["01": "PASS", "02": "FAIL", "03": "SKIPPED"])
        try directory.write("fixed", "")
        let resumed = try await runProgram(try batchkitBinary(), ["run", "t.lst", "--resume"], in: directory.url)
        #expect(resumed.status == 0, "\(resumed.stdout)\(resumed.stderr)")
        let report = try await BrowserReport.load(lastRunIn: directory.url, with: chromium)
        // One bar per attempt of the run, both sessions: 02's failure is still shown.
        report.expectMatches(status: "PASS", steps: ["01": "PASS", "02": "PASS", "03": "PASS"])
        #expect(report.count(#"<h3 class="session""#) == 2)
        #expect(report.count(#"<svg id="timeline-session-1""#) == 1)
        #expect(report.bars.filter { $0.step == "02" }.map { "\($0.attempt) \($0.status)" } == ["1 FAIL", "2 PASS"])
    }

    /// Names a page must show as text, never as markup.
    static let hostileNames = [
        #"say "hi" & 'bye'"#, "<script>alert(1)</script>", "&amp;", "<img src=x onerror=alert(1)>",
        "مرحبا بالعالم", "שלום \u{202E}gpj.exe",
    ]

    @Test func hostileStepNamesAreText() async throws {
        guard let chromium = requireChromium(for: "loading report.html in a browser") else { return }
        let directory = try TemporaryDirectory()
        let lines = Self.hostileNames.enumerated().map { "\($0.offset + 1)|\($0.offset == 0 ? "-1" : String($0.offset))|1|0|\($0.element)|true|" }
        let (run, report) = try await runAndLoad("#SHELL\n" + lines.joined(separator: "\n") + "\n", in: directory, with: chromium)
        #expect(run.status == 0, "\(run.stdout)\(run.stderr)")
        report.expectMatches(status: "PASS", steps: Dictionary(uniqueKeysWithValues: (1...Self.hostileNames.count).map { (StepID($0).display, "PASS") }))
        let lowercased = report.dom.lowercased()
        #expect(!lowercased.contains("<script"), "no script element")
        #expect(!lowercased.contains("<img"), "no img element")
        if let override = report.dom.firstRange(of: "\u{202E}") {
            let before = report.dom[..<override.lowerBound].suffix(160)
            Issue.record("a raw U+202E is in the page (a bidi override is obeyed, not shown as an escape), after: \(before)")
        }
        for (index, name) in Self.hostileNames.enumerated() {
            // Chromium writes text with &, < and > escaped; U+202E is shown by batchkit as \u{202E}.
            let shown = name.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
                .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\u{202E}", with: #"\u{202E}"#)
            let row = try #require(report.row(StepID(index + 1).display))
            #expect(row.contains("<td>\(shown)</td>"), "step \(index + 1)'s name as text in its row: \(row)")
        }
    }

    @Test func theNetLogCheckSeesARequest() async throws {
        guard let chromium = requireChromium(for: "loading report.html in a browser") else { return }
        let directory = try TemporaryDirectory()
        try directory.write("page.html", #"<!DOCTYPE html><html><body><img src="http://127.0.0.1:9/x.png"></body></html>"#)
        let page = try await chromium.load(directory.path("page.html"))
        #expect(page.requestedURLs == ["http://127.0.0.1:9/x.png"], "a page's request is caught, so an empty list means something")
    }
}

/// A run's `report.html` as Chromium read it.
struct BrowserReport {
    let dom: String
    let requestedURLs: [String]
    let rows: [ExecutionRecord]

    /// Loads the report of the last run recorded under `root`.
    static func load(lastRunIn root: URL, with chromium: HeadlessChromium) async throws -> BrowserReport {
        let all = try ExecutionLog(url: root.appendingPathComponent("logs/execution_logs.csv")).readAll()
        let runID = try #require(all.last?.runID)
        let page = try await chromium.load(root.appendingPathComponent("logs/runs/\(runID)/report.html"))
        return BrowserReport(dom: page.dom, requestedURLs: page.requestedURLs, rows: all.filter { $0.runID == runID })
    }

    /// How many times `fragment` occurs in the DOM.
    func count(_ fragment: String) -> Int { dom.ranges(of: fragment).count }

    /// The inner HTML of the first `<tag id="id" …>`.
    func element(id: String, tag: String) -> String? {
        guard let regex = try? Regex(#"<\#(tag) id="\#(id)"[^>]*>(.*?)</\#(tag)>"#),
              let match = dom.firstMatch(of: regex), let inner = match.output[1].substring else { return nil }
        return String(inner)
    }

    /// The `<tr>` of step `id` in `#steps`.
    func row(_ id: String) -> String? {
        guard let regex = try? Regex(#"<tr data-step="\#(id)".*?</tr>"#), let match = dom.firstMatch(of: regex) else { return nil }
        return String(match.output[0].substring ?? "")
    }

    /// The value of `name` in an opening `tag`.
    static func attribute(_ name: String, of tag: Substring) -> String? {
        guard let regex = try? Regex(#"\s\#(name)="([^"]*)""#), let match = tag.firstMatch(of: regex) else { return nil }
        return match.output[1].substring.map(String.init)
    }

    /// The opening tags whose start is `prefix`.
    func openingTags(_ prefix: String) -> [Substring] {
        dom.ranges(of: prefix).map { range in
            let end = dom[range.lowerBound...].firstIndex(of: ">") ?? dom.endIndex
            return dom[range.lowerBound..<end]
        }
    }

    /// The timeline's bars, in the page's order.
    var bars: [(step: String, attempt: Int, status: String, reason: String, critical: Bool)] {
        openingTags(#"<g class="bar""#).map { tag in
            (Self.attribute("data-step", of: tag) ?? "", Int(Self.attribute("data-attempt", of: tag) ?? "") ?? 0,
             Self.attribute("data-status", of: tag) ?? "", Self.attribute("data-reason", of: tag) ?? "",
             Self.attribute("data-critical", of: tag) == "true")
        }
    }

    /// The checks every report passes: no request besides its own file; the
    /// status; each step's row with its status; one bar per attempt of the
    /// run's CSV rows; the critical path's steps outlined; the DAG; the tests.
    func expectMatches(status: String, steps: [String: String], sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(requestedURLs.isEmpty, "the page requested \(requestedURLs)", sourceLocation: sourceLocation)
        #expect(openingTags(#"<header "#).first.flatMap { Self.attribute("data-status", of: $0) } == status, sourceLocation: sourceLocation)
        #expect(dom.contains(#"id="status""#), sourceLocation: sourceLocation)
        var shown: [String: String] = [:]
        for tag in openingTags(#"<tr data-step=""#) {
            shown[Self.attribute("data-step", of: tag) ?? ""] = Self.attribute("data-status", of: tag) ?? ""
        }
        #expect(shown == steps, "steps and statuses in #steps", sourceLocation: sourceLocation)
        #expect(count(#"<table id="steps""#) == 1, sourceLocation: sourceLocation)
        let attempts = rows.filter { $0.attempt > 0 }.map { "\($0.stepID.display) \($0.attempt) \($0.status.rawValue)" }.sorted()
        #expect(bars.map { "\($0.step) \($0.attempt) \($0.status)" }.sorted() == attempts, "one bar per attempt", sourceLocation: sourceLocation)
        #expect(count(#"<svg id="timeline""#) == (attempts.isEmpty ? 0 : 1), sourceLocation: sourceLocation)
        // The critical path: its sentence, and exactly its steps' bars outlined.
        if let sentence = element(id: "critical-path", tag: "p") {
            #expect(sentence.hasPrefix("critical path "), "\(sentence)", sourceLocation: sourceLocation)
            // A long path is shortened: `01 → 02 → … → 99 → 100 (40 steps)`.
            var chain = String(sentence.dropFirst("critical path ".count).prefix { $0 != ":" })
            var length: Int?
            if let count = chain.firstMatch(of: /\s\((\d+) steps\)$/) {
                length = Int(count.output.1)
                chain.removeSubrange(count.range)
            }
            let path = Set(chain.components(separatedBy: " → ").filter { $0 != "…" })
            let outlined = Set(bars.filter(\.critical).map(\.step))
            #expect(path.isSubset(of: Set(steps.keys)), "\(sentence)", sourceLocation: sourceLocation)
            if let length {
                #expect(path.isSubset(of: outlined) && outlined.count == length, "\(sentence)", sourceLocation: sourceLocation)
            } else {
                #expect(outlined == path, "\(sentence)", sourceLocation: sourceLocation)
            }
        } else {
            Issue.record("no #critical-path", sourceLocation: sourceLocation)
        }
        #expect(dom.contains(try! Regex(#"<div id="dag" class="scroll" data-source="(graphviz|batchkit)"><svg"#)), "the DAG", sourceLocation: sourceLocation)
        #expect(dom.contains(#"<table id="tests""#) || dom.contains(#"<p id="tests""#), "the tests", sourceLocation: sourceLocation)
        #expect(count(#"<section class="failure""#) == steps.values.filter { $0 == "FAIL" }.count, sourceLocation: sourceLocation)
    }
}
