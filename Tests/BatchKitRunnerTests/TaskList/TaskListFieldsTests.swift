@testable import BatchKit
@testable import BatchKitRunner
import Foundation
import Testing

/// PyRunner's field rules: quotes protect `|` and `,` and stay in the
/// field; batchkit's `\|` keeps working; ARGUMENTS become `self.argv`.
@Suite struct TaskListFieldsTests {
    let file = URL(fileURLWithPath: "/apps/sample/config/tasks.lst")

    func parse(_ text: String, environment: [String: String] = ["APP_LOG_DIR": "/apps/sample/logs"]) throws(TaskList.ParseError) -> TaskList {
        try TaskList(text: text, file: file, environment: environment, interpreter: "/usr/bin/python3")
    }

    @Test(arguments: [
        ("1|-1|1|0|a|sh -c 'a | b'|", ["1", "-1", "1", "0", "a", "sh -c 'a | b'", ""]),
        ("1|-1|1|0|a|echo \"x|y\" \\| tr x z|", ["1", "-1", "1", "0", "a", "echo \"x|y\" | tr x z", ""]),
        ("1|-1|1|0|a|echo it's | b", ["1", "-1", "1", "0", "a", "echo it's", "b"]),
        ("1|-1|1|0|a|sh -c 'x \\| y'|", ["1", "-1", "1", "0", "a", "sh -c 'x | y'", ""]),
    ])
    func quotesProtectBarsAndStayInTheField(line: String, fields: [String]) {
        #expect(TaskListFields.split(line) == fields)
    }

    @Test(arguments: [
        ("", [String]()),
        ("a,b", ["a", "b"]),
        (" a , b ", ["a", "b"]),
        ("\"x,y\",z", ["x,y", "z"]),
        ("'x,y',z", ["'x,y'", "z"]),
        ("a,,b", ["a", "b"]),
        ("a, ,b", ["a", "", "b"]),
        ("\"quoted\"", ["quoted"]),
    ])
    func argumentsSplitOnCommasOutsideQuotes(field: String, argv: [String]) {
        #expect(TaskListFields.arguments(field) == argv)
    }

    @Test func aPythonListBecomesPythonTasks() throws {
        let list = try parse("""
            #PYTHON
            #ID|PARENT_IDS|MAX_ATTEMPTS|RETRY_WAIT_TIME|PROCESS_NAME|MODULE_NAME|WORKER_NAME|ARGUMENTS|LOGFILE
            1|-1|2|5|Start|workers|Start|"2026-01-01,x",y|$ENV{APP_LOG_DIR}/start.log
            2|1|1|0|Load|etl.steps|Load
            3|2|1|0|Score|workers|Score|||90s|512MB

            """, environment: ["APP_LOG_DIR": "/apps/sample/logs", "APP_WORKER_DIR": "/apps/sample/python"])
        #expect(list.kind == .python)
        let steps = Dictionary(uniqueKeysWithValues: list.job.steps.map { ($0.id, $0) })
        guard case .python(let start)? = steps[1]?.action, case .python(let load)? = steps[2]?.action,
              case .python(let score)? = steps[3]?.action else {
            Issue.record("not Python tasks: \(list.job.steps.map(\.action))")
            return
        }
        #expect(start == PythonTask(
            module: "workers", worker: "Start", arguments: ["2026-01-01,x", "y"], workerDirectory: "/apps/sample/python",
            interpreter: "/usr/bin/python3"))
        #expect(steps[1]?.policy == StepPolicy(maxAttempts: 2, retryWait: 5))
        #expect(steps[1]?.mirrorLog?.path == "/apps/sample/logs/start.log")
        #expect(load.module == "etl.steps" && load.arguments.isEmpty && steps[2]?.mirrorLog == nil)
        #expect(score.worker == "Score")
        #expect(steps[3]?.policy == StepPolicy(maxAttempts: 1, timeout: 90, memory: .megabytes(512)))
    }

    @Test(arguments: [
        ("1|-1|1|0|a|my-module|W|", "tasks.lst:2: MODULE_NAME \"my-module\" is not a Python module name"),
        ("1|-1|1|0|a|workers|9W|", "tasks.lst:2: WORKER_NAME \"9W\" is not a Python class name"),
        ("1|-1|1|0|a|workers", "tasks.lst:2: expected 7 to 13 fields (ID|PARENT_IDS|MAX_ATTEMPTS|RETRY_WAIT_TIME|PROCESS_NAME|MODULE_NAME|WORKER_NAME|ARGUMENTS|LOGFILE[|TIMEOUT[|MEMORY[|READS[|WRITES]]]]), found 6"),
        ("1|-1|1|0|a|workers|W|||soon", "tasks.lst:2: TIMEOUT \"soon\" is not a duration"),
        ("1|-1|1|0|a|workers|W||||lots", "tasks.lst:2: MEMORY \"lots\" is not a memory size"),
    ])
    func aMalformedPythonLineSaysWhatAndWhere(line: String, message: String) {
        do {
            _ = try parse("#PYTHON\n\(line)\n")
            Issue.record("accepted")
        } catch {
            #expect(error.problems.first?.hasPrefix(message) == true, "\(error.problems)")
        }
    }

    /// PyRunner reads the mode up to a `|`, so `#SHELL|…` headers work.
    @Test func theHeaderMayCarryColumnsAfterABar() throws {
        #expect(try parse("#PYTHON|ID|PARENT_IDS\n1|-1|1|0|a|workers|W\n").kind == .python)
        #expect(try parse("#SHELL|x\n1|-1|1|0|a|true|\n").kind == .shell)
    }

    @Test func workersComeFromAppWorkerDirThenTheAppsPythonFolderThenTheListsFolder() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("batchkit-workerdir-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: directory) }
        let list = directory.appendingPathComponent("config")
        try FileManager.default.createDirectory(at: list, withIntermediateDirectories: true)
        #expect(TaskList.workerDirectory(environment: ["APP_WORKER_DIR": "/w"], listFolder: list) == "/w")
        #expect(TaskList.workerDirectory(environment: ["APP_ROOT_DIR": directory.path], listFolder: list) == list.path)
        try FileManager.default.createDirectory(at: directory.appendingPathComponent("python"), withIntermediateDirectories: true)
        #expect(TaskList.workerDirectory(environment: ["APP_ROOT_DIR": directory.path], listFolder: list)
            == directory.appendingPathComponent("python").path)
        #expect(TaskList.workerDirectory(environment: [:], listFolder: list) == list.path)
    }
}
