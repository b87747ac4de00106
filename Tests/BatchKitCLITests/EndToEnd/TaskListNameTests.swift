import BatchKit
import BatchKitRunner
import BatchKitCommandLine
import Foundation
import TestSupport
import Testing

/// Step names and fields that are long, hostile or unusual, through the real
/// `batchkit run FILE.lst`.
@Suite struct TaskListNameTests {
    func batchkit(_ arguments: [String], in directory: TemporaryDirectory) async throws -> CommandResult {
        try await runProgram(try batchkitBinary(), arguments, in: directory.url)
    }

    func history(_ directory: TemporaryDirectory) throws -> [ExecutionRecord] {
        try ExecutionLog(url: directory.path("logs/execution_logs.csv")).readAll()
    }

    /// A name of 249 characters or more used to make a log file name over
    /// 255 bytes: every attempt failed with "cannot start /usr/bin/setpriv:
    /// File name too long", and so did every --resume.
    @Test func stepsWithVeryLongNamesRunAndResume() async throws {
        let long = String(repeating: "n", count: 300), accented = String(repeating: "é", count: 200)
        let directory = try TemporaryDirectory()
        try directory.write("t.lst", "#SHELL\n1|-1|1|0|\(long)|echo one|\n2|1|1|0|\(accented)|[ -f allow ] && echo two|\n")
        let first = try await batchkit(["run", "t.lst"], in: directory)
        #expect(first.status == 1, "step 2 fails until allowed")
        var rows = try history(directory)
        #expect(rows.map(\.status) == [.pass, .fail])
        #expect(rows[1].reason == .exit, "\(rows[1].message)")
        try directory.write("allow", "")
        let resumed = try await batchkit(["run", "t.lst", "--resume"], in: directory)
        #expect(resumed.status == 0, "\(resumed.stdout)\(resumed.stderr)")
        rows = try history(directory)
        #expect(rows.map(\.status) == [.pass, .fail, .pass])
        #expect(rows.map(\.stepName) == [long, accented, accented], "the history keeps the whole names")
        for row in rows {
            let file = URL(fileURLWithPath: row.logFile).lastPathComponent
            #expect(file.utf8.count <= 255)
            #expect(FileManager.default.fileExists(atPath: directory.path(row.logFile).path), "\(row.logFile)")
        }
        #expect(URL(fileURLWithPath: rows[0].logFile).lastPathComponent == "01_" + String(repeating: "n", count: 83) + "_a4cf91b7088f4495.log")
        #expect(URL(fileURLWithPath: rows[2].logFile).lastPathComponent == "02_" + String(repeating: "e", count: 83) + "_a08b0ac566be65cd.attempt-2.log")
        #expect(try String(contentsOf: directory.path(rows[2].logFile), encoding: .utf8).contains("two"))
    }

    /// An escape sequence or carriage return in a name reaches the terminal
    /// as text (`\u{1B}`, `\r`), never raw; the CSV keeps the real name.
    @Test func controlCharactersInNamesAreShownEscapedEverywhere() async throws {
        let name = "title\u{1B}]0;pwned\u{07} clear\u{1B}[2J back\rover"
        let shown = #"title\u{1B}]0;pwned\u{7} clear\u{1B}[2J back\rover"#
        let directory = try TemporaryDirectory()
        try directory.write("t.lst", "#SHELL\n1|-1|1|0|\(name)|exit 3|\n2|1|1|0|after|true|\n")
        let run = try await batchkit(["run", "t.lst"], in: directory)
        #expect(run.status == 1)
        let outputs = [
            run,
            try await batchkit(["run", "t.lst", "history"], in: directory),
            try await batchkit(["run", "t.lst", "report"], in: directory),
            try await batchkit(["run", "t.lst", "dag", "--format", "text"], in: directory),
            try await batchkit(["run", "t.lst", "steps"], in: directory),
            try await batchkit(["run", "t.lst", "--dry-run"], in: directory),
        ]
        for output in outputs {
            let text = output.stdout + output.stderr
            #expect(text.contains(shown), "\(text)")
            #expect(!text.unicodeScalars.contains { $0 == "\u{1B}" || $0 == "\u{07}" || $0 == "\r" }, "nothing raw reaches the terminal: \(text.debugDescription)")
        }
        #expect(run.stderr.contains("FAIL    01 \(shown)  "), "the progress line")
        #expect(run.stderr.contains("SKIPPED 02 after  step 01 \"\(shown)\" failed"), "a message naming the step")
        #expect(try directory.read("logs/runs/\(try history(directory)[0].runID)/report.txt").contains(shown))
        #expect(try history(directory).map(\.stepName) == [name, "after"], "the CSV keeps the real name")

        try directory.write("dup.lst", "#SHELL\n1|-1|1|0|\(name)|true|\n1|-1|1|0|again|true|\n")
        let invalid = try await batchkit(["run", "dup.lst"], in: directory)
        #expect(invalid.status == 64)
        #expect(invalid.stderr.contains("steps \"\(shown)\" (dup.lst:2) and \"again\" (dup.lst:3) both have id 1"), "\(invalid.stderr)")
        #expect(!invalid.stderr.unicodeScalars.contains { $0 == "\u{1B}" || $0 == "\r" })

        // A job name (the task list's file name) is shown the same way.
        try directory.write("j\u{1B}[2J.lst", "#SHELL\n1|-1|1|0|a|true|\n")
        for arguments in [[], ["history"], ["version"], ["--help"], ["--bogus"]] {
            let output = try await batchkit(["run", "j\u{1B}[2J.lst"] + arguments, in: directory)
            let text = output.stdout + output.stderr
            #expect(text.contains(#"j\u{1B}[2J"#), "\(arguments): \(text)")
            #expect(!text.unicodeScalars.contains("\u{1B}"), "\(arguments): \(text.debugDescription)")
        }
    }

    /// A NUL used to cut the command silently (`echo x\0y` ran `echo x`).
    @Test func aNULInAFieldIsRefusedNamingTheFileLineAndField() async throws {
        let directory = try TemporaryDirectory()
        try directory.write("t.lst", "#SHELL\n1|-1|1|0|a|echo x\0y > out.txt|\n")
        let result = try await batchkit(["run", "t.lst"], in: directory)
        #expect(result.status == 64)
        #expect(result.stderr == "error: invalid task list: t.lst:2: SHELL_COMMAND holds a NUL character (byte 0) after \"echo x\", which would cut the text there; remove it\n")
        #expect(!FileManager.default.fileExists(atPath: directory.path("out.txt").path), "nothing ran")
        #expect(!FileManager.default.fileExists(atPath: directory.path("logs/execution_logs.csv").path))
    }

    /// A `"` that a combining mark follows is one `Character` with it, and
    /// was written into the CSV unescaped: Python read another name, and
    /// `history` failed with "unexpected text after a closing quote". The
    /// same name broke `dot`.
    @Test func aNameWithAQuoteThatAMarkFollowsRunsAndItsHistoryParses() async throws {
        guard let python = requireTool("python3", for: "reading the history with Python's csv module") else { return }
        let names = ["say \"\u{301}hi", "\"\u{1F3FB}\","]
        let directory = try TemporaryDirectory()
        try directory.write("t.lst", "#SHELL\n1|-1|1|0|\(names[0])|echo hi|\n2|1|1|0|\(names[1])|echo there|\n")
        let run = try await batchkit(["run", "t.lst"], in: directory)
        #expect(run.status == 0, "\(run.stdout)\(run.stderr)")
        try directory.write("names.py", """
            import csv, json
            with open("logs/execution_logs.csv", newline="", encoding="utf-8") as f:
                print(json.dumps([row["step_name"] for row in csv.DictReader(f, strict=True)]))
            """)
        let read = try await runProgram(python, ["names.py"], in: directory.url)
        #expect(read.status == 0, "\(read.stderr)")
        let parsed = try JSONDecoder().decode([String].self, from: Data(read.stdout.utf8))
        #expect(parsed.map { Array($0.unicodeScalars) } == names.map { Array($0.unicodeScalars) })

        let history = try await batchkit(["run", "t.lst", "history"], in: directory)
        #expect(history.status == 0, "\(history.stderr)")
        #expect(history.stdout.contains(names[0]))

        let dag = try await batchkit(["run", "t.lst", "dag", "--format", "dot"], in: directory)
        #expect(dag.status == 0)
        guard let dot = requireTool("dot", for: "rendering the DAG with Graphviz") else { return }
        try directory.write("dag.dot", dag.stdout)
        let rendered = try await runProgram(dot, ["-Tsvg", "dag.dot", "-o", "dag.svg"], in: directory.url)
        #expect(rendered.status == 0, "\(rendered.stderr)\n\(dag.stdout)")
    }
}
