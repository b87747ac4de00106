@testable import BatchKit
@testable import BatchKitRunner
import Foundation
import TestSupport
import Testing

/// JUnit XML, checked by a real XML parser (Python's), not by string matching.
@Suite struct JUnitReportTests {
    /// A quote a combining mark or an emoji modifier follows is one
    /// `Character` with it; the escaper works on scalars, so it is escaped.
    @Test func quotesThatAMarkOrModifierFollowsAreEscapedForARealParser() async throws {
        guard let python = requireTool("python3", for: "parsing JUnit XML with a real parser") else { return }
        let directory = try TemporaryDirectory()
        let name = "say \"\u{301}hi\" & \"\u{1F3FB}<b>"
        let base = RunReportTests.report()
        let report = RunReport(
            job: name, runID: base.runID, status: base.status, startedAt: base.startedAt, endedAt: base.endedAt,
            steps: base.steps, tests: [CheckResult(name: name, status: .fail, message: name, startedAt: base.startedAt, endedAt: base.endedAt)],
            testsNotRun: nil, failureLogTails: [:], logDirectory: base.logDirectory, historyFiles: base.historyFiles, notes: [])
        try Data(JUnitReport(report).xml().utf8).write(to: directory.path("junit.xml"))
        try directory.write("expected.txt", name)
        try directory.write("check.py", """
            import sys, xml.etree.ElementTree as ET
            root = ET.parse(sys.argv[1]).getroot()
            name = open(sys.argv[2], encoding="utf-8").read()
            assert root.get("name") == name, root.get("name")
            case = root.findall("testsuite")[1].find("testcase")
            assert case.get("name") == name and case.find("failure").get("message") == name
            print("ok")
            """)
        let result = try await runProgram(python, [directory.path("check.py").path, directory.path("junit.xml").path, directory.path("expected.txt").path], in: directory.url)
        #expect(result.stdout == "ok\n", "\(result.stdout)\(result.stderr)")
    }

    @Test func aRealParserReadsSuitesCasesFailuresAndSkips() async throws {
        guard let python = requireTool("python3", for: "parsing JUnit XML with a real parser") else { return }
        let directory = try TemporaryDirectory()
        var report = RunReportTests.report()
        report = RunReport(
            job: "night & <day>", runID: report.runID, status: report.status, startedAt: report.startedAt, endedAt: report.endedAt,
            steps: report.steps, tests: report.tests + [CheckResult(name: "totals \"add\" up", status: .fail, message: "1 ≠ 2 <oops> & \u{01}bell", startedAt: report.startedAt, endedAt: report.endedAt)],
            testsNotRun: nil, failureLogTails: [2: ["ends with ]]> and \u{1B}[31mansi"]], logDirectory: report.logDirectory,
            historyFiles: report.historyFiles, notes: [])
        try Data(JUnitReport(report).xml().utf8).write(to: directory.path("junit.xml"))
        let script = """
            import sys, xml.etree.ElementTree as ET
            root = ET.parse(sys.argv[1]).getroot()
            assert root.tag == "testsuites", root.tag
            assert root.get("name") == "night & <day>"
            assert root.get("tests") == "5" and root.get("failures") == "2", root.attrib
            steps, tests = root.findall("testsuite")
            cases = steps.findall("testcase")
            assert [c.get("name") for c in cases] == ["01 Extract", "02 Validate input", "03 Load"]
            assert cases[1].find("failure").get("message") == "3 of 10 rows rejected"
            assert "ends with ]]>" in cases[1].find("failure").text
            assert cases[2].find("skipped") is not None
            assert steps.find("properties/property").get("value") == "r1"
            failing = tests.findall("testcase")[1]
            assert failing.get("name") == 'totals "add" up'
            assert failing.find("failure").get("message") == "1 ≠ 2 <oops> & bell"
            print("ok")
            """
        try directory.write("check.py", script)
        let result = try await runProgram(python, [directory.path("check.py").path, directory.path("junit.xml").path], in: directory.url)
        #expect(result.status == 0, "\(result.stdout)\(result.stderr)")
        #expect(result.stdout == "ok\n")
    }
}
