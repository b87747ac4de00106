@testable import BatchKit
import Foundation
import TestSupport
import Testing

@Suite struct RunReportTests {
    func report(status: Status = .fail) -> RunReport {
        let start = Date(timeIntervalSince1970: 1_800_000_000)
        func record(_ id: Int, _ name: String, _ status: Status, _ seconds: Double, message: String = "") -> ExecutionRecord {
            ExecutionRecord(
                runID: "r1", job: "job", stepID: id, stepName: name, attempt: status == .skipped ? 0 : 1,
                status: status, startedAt: start, endedAt: start.addingTimeInterval(seconds), message: message,
                logFile: "logs/runs/r1/0\(id).log")
        }
        return RunReport(
            job: "nightly", runID: "r1", status: status, startedAt: start, endedAt: start.addingTimeInterval(3.25),
            steps: [
                StepRun(stepID: 1, name: "Extract", records: [record(1, "Extract", .pass, 1.2)]),
                StepRun(stepID: 2, name: "Validate input", records: [record(2, "Validate input", .fail, 0.5, message: "3 of 10 rows rejected")]),
                StepRun(stepID: 3, name: "Load", records: [record(3, "Load", .skipped, 0, message: "step 02 \"Validate input\" failed")]),
            ],
            tests: [CheckResult(name: "output exists", status: .pass, message: "12 bytes", startedAt: start, endedAt: start)],
            testsNotRun: nil, failureLogTails: ["2": ["last line of the log"]],
            logDirectory: "logs/runs/r1", historyFiles: ["logs/execution_logs.csv"], notes: ["a note"])
    }

    @Test func showsStatusStepsTimesTestsAndLogs() {
        let text = report().render()
        let lines = text.components(separatedBy: "\n")
        #expect(lines[0] == "nightly  run r1  FAIL  1/3 steps passed in 3.25 s")
        #expect(text.contains("  01  Extract         PASS     1         1.20 s"))
        #expect(text.contains("  02  Validate input  FAIL     1         0.50 s     3 of 10 rows rejected"))
        #expect(text.contains("  03  Load            SKIPPED  0         -          step 02 \"Validate input\" failed"))
        #expect(text.contains("02 Validate input failed: 3 of 10 rows rejected\n  | last line of the log\n  log: logs/runs/r1/02.log"))
        #expect(text.contains("Post-job tests  1 passed, 0 failed\n  PASS  output exists  (12 bytes)"))
        #expect(text.contains("Logs     logs/runs/r1/"))
        #expect(text.contains("Note     a note"))
    }

    @Test func colourOnlyWhenAsked() {
        #expect(!report().render(style: TerminalStyle(colors: false)).contains("\u{1B}["))
        let coloured = report().render(style: TerminalStyle(colors: true))
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

    @Test(arguments: [(0.5, "0.50 s"), (12.34, "12.3 s"), (245, "4 m 05 s"), (3725, "1 h 02 m")])
    func durationsReadNaturally(seconds: Double, text: String) {
        #expect(DurationFormat.seconds(seconds) == text)
    }
}
