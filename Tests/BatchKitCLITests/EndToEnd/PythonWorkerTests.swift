import BatchKit
import BatchKitRunner
import Foundation
import TestSupport
import Testing

/// `#PYTHON` task lists of our own workers, through the real binary, each
/// test once per Python: with batchkit's own `pyrunner` module (no PyRunner
/// installed), with PyRunner 4.4.1 and with the newest 5.x from PyPI.
@Suite struct PythonWorkerTests {
    /// A PyRunner app in a temporary folder: `python/workers.py` (the
    /// default worker folder, `$APP_ROOT_DIR/python`) and `tasks.lst`.
    struct App {
        let directory: TemporaryDirectory
        let python: String

        init(_ python: String, workers: String, tasks: String) throws {
            directory = try TemporaryDirectory()
            self.python = python
            try directory.write("python/workers.py", "import json, os, sys\nfrom pyrunner import Worker\n\n" + workers)
            try directory.write("tasks.lst", "#PYTHON\n#ID|PARENT_IDS|MAX_ATTEMPTS|RETRY_WAIT_TIME|PROCESS_NAME|MODULE_NAME|WORKER_NAME|ARGUMENTS|LOGFILE\n" + tasks)
        }

        func run(_ extra: [String] = [], environment: [String: String] = [:]) async throws -> CommandResult {
            try await runProgram(try batchkitBinary(), ["run", "tasks.lst", "--python", python] + extra, in: directory.url, environment: environment)
        }

        func rows() throws -> [ExecutionRecord] {
            try ExecutionLog(url: directory.path("logs/execution_logs.csv")).readAll()
        }

        /// The log of the last attempt of step `id`.
        func log(_ id: StepID) throws -> String {
            let row = try #require(try rows().last { $0.stepID == id })
            return try directory.read(row.logFile)
        }

        func read(_ relative: String) throws -> String { try directory.read(relative) }
    }

    /// Appends a word to `calls.txt`, so a test sees which hooks ran, in order.
    static let recorder = """
        def note(word):
            with open(os.path.join(os.path.dirname(__file__), "..", "calls.txt"), "a") as f:
                f.write(word + "\\n")


        """

    @Test(arguments: PythonFlavor.allCases)
    func theLifecycleRunsInPyRunnersOrderAndTheReturnCodeDecides(flavor: PythonFlavor) async throws {
        guard let python = await flavor.interpreter(for: "the Worker lifecycle") else { return }
        let app = try App(python, workers: Self.recorder + """
            class Passes(Worker):
                def run(self):
                    note("passes.run " + type(self).__mro__[1].__module__)
                def on_success(self): note("passes.on_success")
                def on_fail(self): note("passes.on_fail")
                def on_exit(self): note("passes.on_exit")

            class Returns(Worker):
                def run(self):
                    note("returns.run")
                    return 2
                def on_success(self): note("returns.on_success")
                def on_fail(self):
                    note("returns.on_fail")
                    return 0

            class SetsRetcode(Worker):
                def run(self):
                    self.retcode = 3
                def on_exit(self): note("setsretcode.on_exit " + str(self.retcode))

            class ExitDecides(Worker):
                def run(self): pass
                def on_exit(self): return 7

            """, tasks: """
            1|-1|1|0|passes|workers|Passes
            2|-1|1|0|returns|workers|Returns
            3|-1|1|0|sets retcode|workers|SetsRetcode
            4|-1|1|0|exit decides|workers|ExitDecides

            """)
        let result = try await app.run(["--jobs", "1"])
        #expect(result.status == 1, "\(result.stdout)\(result.stderr)")
        let base = flavor == .batchkit ? "_batchkit_lifecycle" : "pyrunner.worker.abstract"
        #expect(try app.read("calls.txt") == """
            passes.run \(base)
            passes.on_success
            passes.on_exit
            returns.run
            returns.on_fail
            setsretcode.on_exit 3

            """)
        let rows = Dictionary(uniqueKeysWithValues: try app.rows().map { ($0.stepID, $0) })
        #expect(rows[1]?.status == .pass && rows[1]?.exitStatus == "0")
        // on_fail's return value does not change the code, as in PyRunner.
        #expect(rows[2]?.status == .fail && rows[2]?.exitStatus == "2" && rows[2]?.message.contains("return code 2") == true)
        #expect(rows[3]?.status == .fail && rows[3]?.exitStatus == "3")
        #expect(rows[4]?.status == .fail && rows[4]?.exitStatus == "7")
    }

    @Test(arguments: PythonFlavor.allCases)
    func anExceptionInEachHookGivesItsCodeAndTheTracebackIsInTheLog(flavor: PythonFlavor) async throws {
        guard let python = await flavor.interpreter(for: "exceptions in worker hooks") else { return }
        let app = try App(python, workers: """
            class InRun(Worker):
                def run(self): raise ValueError("boom in run")

            class InSuccess(Worker):
                def run(self): pass
                def on_success(self): raise KeyError("boom in on_success")

            class InFail(Worker):
                def run(self): return 1
                def on_fail(self): raise RuntimeError("boom in on_fail")

            class InExit(Worker):
                def run(self): pass
                def on_exit(self): raise OSError("boom in on_exit")

            """, tasks: """
            1|-1|1|0|in run|workers|InRun
            2|-1|1|0|in on_success|workers|InSuccess
            3|-1|1|0|in on_fail|workers|InFail
            4|-1|1|0|in on_exit|workers|InExit

            """)
        let result = try await app.run()
        #expect(result.status == 1, "\(result.stdout)\(result.stderr)")
        let rows = Dictionary(uniqueKeysWithValues: try app.rows().map { ($0.stepID, $0) })
        for (id, code, hook) in [(StepID(1), "901", "run"), (2, "902", "on_success"), (3, "903", "on_fail"), (4, "904", "on_exit")] {
            #expect(rows[id]?.status == .fail)
            #expect(rows[id]?.exitStatus == code, "step \(id): \(String(describing: rows[id]))")
            #expect(rows[id]?.message.contains("return code \(code)") == true)
            let log = try app.log(id)
            #expect(log.contains("Traceback (most recent call last)"), "step \(id): \(log)")
            #expect(log.contains("boom in \(hook)"), "step \(id): \(log)")
        }
    }

    @Test(arguments: PythonFlavor.allCases)
    func theContextCrossesAJoinAndIsKeptAcrossResume(flavor: PythonFlavor) async throws {
        guard let python = await flavor.interpreter(for: "the shared context") else { return }
        let app = try App(python, workers: Self.recorder + """
            class Start(Worker):
                def run(self):
                    note("start")
                    self.context["run_date_str"] = "2026-11-24"

            class Left(Worker):
                def run(self):
                    note("left")
                    self.context["left"] = {"rows": 3, "date": self.context["run_date_str"]}

            class Right(Worker):
                def run(self):
                    note("right")
                    self.context["right"] = [1.5, None, True]

            class Join(Worker):
                def run(self):
                    note("join")
                    if not os.path.exists(os.path.join(os.path.dirname(__file__), "..", "allow")):
                        return 1
                    with open(os.path.join(os.path.dirname(__file__), "..", "joined.json"), "w") as f:
                        json.dump({k: self.context[k] for k in ["run_date_str", "left", "right"]}, f, sort_keys=True)

            """, tasks: """
            1|-1|1|0|start|workers|Start
            2|1|1|0|left|workers|Left
            3|1|1|0|right|workers|Right
            4|2,3|1|0|join|workers|Join

            """)
        let first = try await app.run()
        #expect(first.status == 1, "\(first.stdout)\(first.stderr)")
        try app.directory.write("allow", "")
        let resumed = try await app.run(["--resume"])
        #expect(resumed.status == 0, "\(resumed.stdout)\(resumed.stderr)")
        #expect(try app.read("joined.json") == #"{"left": {"date": "2026-11-24", "rows": 3}, "right": [1.5, null, true], "run_date_str": "2026-11-24"}"#)
        let calls = try app.read("calls.txt").split(separator: "\n")
        #expect(calls.filter { $0 == "join" }.count == 2)
        #expect(calls.filter { $0 == "start" }.count == 1, "a resume does not rerun what passed")
        #expect(Set(try app.rows().map(\.runID)).count == 1)
    }

    @Test(arguments: PythonFlavor.allCases)
    func argvIsSplitOnCommasOutsideQuotes(flavor: PythonFlavor) async throws {
        guard let python = await flavor.interpreter(for: "worker arguments") else { return }
        let app = try App(python, workers: """
            class Args(Worker):
                def run(self):
                    with open(os.path.join(os.path.dirname(__file__), "..", "argv.json"), "w") as f:
                        json.dump(self.argv, f)

            """, tasks: """
            1|-1|1|0|args|workers|Args| plain , "a,b" ,'c,d',$ENV{APP_ROOT_DIR}|

            """)
        let result = try await app.run()
        #expect(result.status == 0, "\(result.stdout)\(result.stderr)")
        let argv = try JSONDecoder().decode([String].self, from: Data(try app.read("argv.json").utf8))
        #expect(argv == ["plain", "a,b", "'c,d'", app.directory.url.standardizedFileURL.path])
    }

    @Test(arguments: PythonFlavor.allCases)
    func theLoggerAndPrintWriteTheStepsLog(flavor: PythonFlavor) async throws {
        guard let python = await flavor.interpreter(for: "the worker's logger") else { return }
        let app = try App(python, workers: """
            class Logs(Worker):
                def run(self):
                    self.logger.info("an info line")
                    self.logger.warn("a warn line")
                    self.logger.warning("a warning line")
                    self.logger.error("an error line")
                    self.logger.debug("a debug line")
                    print("a printed line")

            """, tasks: """
            1|-1|1|0|logs|workers|Logs||$ENV{APP_LOG_DIR}/logs.log

            """)
        let result = try await app.run()
        #expect(result.status == 0, "\(result.stdout)\(result.stderr)")
        let log = try app.log(1)
        let lines = log.split(separator: "\n")
        for (level, text) in [("INFO", "an info line"), ("WARN", "a warn line"), ("WARN", "a warning line"), ("ERROR", "an error line"), ("DEBUG", "a debug line")] {
            let line = lines.first { $0.contains(text) }
            #expect(line?.contains(level) == true, "\(text): \(log)")
            // Timestamped: the line holds today's date.
            #expect(line?.contains(Timestamp.iso8601(Date()).prefix(10)) == true, "\(text): \(log)")
        }
        #expect(log.contains("a printed line"))
        #expect(try app.read("logs/logs.log").contains("an error line"), "LOGFILE gets the attempt's log")
    }

    @Test(arguments: PythonFlavor.allCases)
    func theProfilesVariablesReachEnvAndTheWorkers(flavor: PythonFlavor) async throws {
        guard let python = await flavor.interpreter(for: "the app profile") else { return }
        let app = try App(python, workers: """
            class Env(Worker):
                def run(self):
                    with open(os.path.join(os.environ["APP_OUT_DIR"], "seen.txt"), "w") as f:
                        f.write(os.environ["APP_GREETING"] + "|" + ",".join(self.argv))

            """, tasks: """
            1|-1|1|0|env|workers|Env|$ENV{APP_GREETING}|$ENV{APP_OUT_DIR}/env.log

            """)
        try app.directory.write("app_profile", """
            export APP_OUT_DIR=\(app.directory.path("out").path)
            export APP_GREETING="hello from the profile"
            NOT_APP=1
            mkdir -p "$APP_OUT_DIR"
            echo "profile output is not a variable"

            """)
        let result = try await app.run(["--profile", "app_profile"])
        #expect(result.status == 0, "\(result.stdout)\(result.stderr)")
        #expect(try app.read("out/seen.txt") == "hello from the profile|hello from the profile")
        #expect(FileManager.default.fileExists(atPath: app.directory.path("out/env.log").path), "$ENV{APP_OUT_DIR} in LOGFILE")
    }

    @Test(arguments: PythonFlavor.allCases)
    func aClassThatIsNotAWorkerRunsToo(flavor: PythonFlavor) async throws {
        guard let python = await flavor.interpreter(for: "a plain class as a worker") else { return }
        let app = try App(python, workers: Self.recorder + """
            class Plain:
                def run(self):
                    self.logger.info("plain class")
                    self.context["plain"] = self.argv[0]
                def on_success(self):
                    note("plain.on_success")

            class After(Worker):
                def run(self):
                    note("after " + self.context["plain"])

            """, tasks: """
            1|-1|1|0|plain|workers|Plain|x
            2|1|1|0|after|workers|After

            """)
        let result = try await app.run()
        #expect(result.status == 0, "\(result.stdout)\(result.stderr)")
        #expect(try app.read("calls.txt") == "plain.on_success\nafter x\n")
        #expect(try app.log(1).contains("plain class"))
    }

    @Test(arguments: PythonFlavor.allCases)
    func aValueJSONCannotHoldFailsNamingTheKeyAndTheType(flavor: PythonFlavor) async throws {
        guard let python = await flavor.interpreter(for: "context values") else { return }
        let app = try App(python, workers: """
            import datetime

            class SetsADate(Worker):
                def run(self):
                    self.context["when"] = datetime.date(2026, 11, 24)

            class MutatesASet(Worker):
                def run(self):
                    self.context["items"] = []
                    self.context["items"].append({1, 2})

            """, tasks: """
            1|-1|1|0|date|workers|SetsADate
            2|-1|1|0|set|workers|MutatesASet

            """)
        let result = try await app.run()
        #expect(result.status == 1, "\(result.stdout)\(result.stderr)")
        let rows = Dictionary(uniqueKeysWithValues: try app.rows().map { ($0.stepID, $0) })
        #expect(rows[1]?.status == .fail)
        #expect(rows[1]?.message.contains("context value 'when' is a datetime.date") == true, "\(String(describing: rows[1]?.message))")
        #expect(rows[2]?.status == .fail)
        #expect(rows[2]?.message.contains("context value 'items' is a list") == true, "\(String(describing: rows[2]?.message))")
        #expect(try app.log(1).contains("'when'"))
    }

    /// Seed 001's app, with the downloads, MySQL and Parquet replaced by
    /// local files, run with its profile the way PyRunner runs it.
    @Test(arguments: PythonFlavor.allCases)
    func theSeedsSampleAppRunsEndToEnd(flavor: PythonFlavor) async throws {
        guard let python = await flavor.interpreter(for: "seed 001's sample app") else { return }
        let directory = try TemporaryDirectory()
        let root = directory.url.path
        try directory.write("config/app_profile", """
            export APP_ROOT_DIR=\(root)
            export APP_LOG_DIR=$APP_ROOT_DIR/logs
            export APP_WORKER_DIR=$APP_ROOT_DIR/python
            export APP_DATA_DIR=$APP_ROOT_DIR/data

            """)
        try directory.write("python/workers.py", Self.seedWorkers)
        try directory.write("config/my_sample_app.lst", Self.seedList)
        let result = try await runProgram(
            try batchkitBinary(),
            ["run", "config/my_sample_app.lst", "--profile", "config/app_profile", "--workdir", root, "--python", python],
            in: directory.url)
        #expect(result.status == 0, "\(result.stdout)\(result.stderr)")
        let today = try directory.read("data/start_date.txt")
        #expect(try directory.read("data/extract_\(today).json") == #"[{"id": "1", "city": "Oslo"}, {"id": "2", "city": "Lima"}]"#)
        #expect(try directory.read("data/table.jsonl") == "{\"id\": \"1\", \"amount\": \"10\"}\n{\"id\": \"2\", \"amount\": \"32\"}\n")
        #expect(try directory.read("logs/end.log").contains("Successfully completed daily data download for \(today)"))
        let rows = try ExecutionLog(url: directory.path("logs/execution_logs.csv")).readAll()
        #expect(rows.map(\.status) == Array(repeating: .pass, count: 6))
        #expect(rows.first?.stepID == 1 && rows.last?.stepID == 6)
        let dag = try await runProgram(
            try batchkitBinary(), ["run", "config/my_sample_app.lst", "--workdir", root, "--python", python, "dag", "--format", "mermaid"],
            in: directory.url)
        #expect(dag.status == 0 && dag.stdout.contains("s4 --> s6") && dag.stdout.contains("s5 --> s6"), "\(dag.stdout)\(dag.stderr)")
    }

    static let seedWorkers = """
        import csv, json, os
        from datetime import datetime
        from pyrunner import Worker

        DATA = os.environ["APP_DATA_DIR"]

        def landing(name):
            return os.path.join(DATA, "landing", name)

        class Start(Worker):
            def run(self):
                self.logger.info("Starting example batch process")
                run_date_str = datetime.now().strftime("%Y-%m-%d")
                os.makedirs(os.path.join(DATA, "landing"), exist_ok=True)
                with open(os.path.join(DATA, "start_date.txt"), "w") as f:
                    f.write(run_date_str)
                self.context["run_date_str"] = run_date_str

        class DownloadFile1(Worker):
            def run(self):
                self.logger.info("Initiating File Download 1")
                with open(landing("data1.csv"), "w") as f:
                    f.write("id,amount\\n1,10\\n2,32\\n")

        class DownloadFile2(Worker):
            def run(self):
                self.logger.info("Initiating File Download 2")
                with open(landing("data2.csv"), "w") as f:
                    f.write("id,city\\n1,Oslo\\n2,Lima\\n")

        class LoadMySQL(Worker):
            def run(self):
                self.logger.info("Loading MySQL table")
                with open(landing("data1.csv")) as f, open(os.path.join(DATA, "table.jsonl"), "w") as out:
                    for row in csv.DictReader(f):
                        out.write(json.dumps(row) + "\\n")

        class WriteParquet(Worker):
            def run(self):
                self.logger.info("Writing Parquet file")
                run_date_str = self.context["run_date_str"]
                with open(landing("data2.csv")) as f, open(os.path.join(DATA, "extract_{}.json".format(run_date_str)), "w") as out:
                    json.dump(list(csv.DictReader(f)), out)

        class End(Worker):
            def run(self):
                self.logger.info("Completed example batch process")
                run_date_str = self.context["run_date_str"]
                self.logger.info("Successfully completed daily data download for {}".format(run_date_str))

        """

    static let seedList = """
        #PYTHON
        #ID|PARENT_IDS|MAX_ATTEMPTS|RETRY_WAIT_TIME|PROCESS_NAME          |MODULE_NAME|WORKER_NAME  |ARGUMENTS|LOGFILE
        1  |-1        |1           |0              |Start Job Notification|workers    |Start        |         |$ENV{APP_LOG_DIR}/start.log
        2  |1         |1           |0              |Download File 1       |workers    |DownloadFile1|         |$ENV{APP_LOG_DIR}/download_1.log
        3  |1         |1           |0              |Download File 2       |workers    |DownloadFile2|         |$ENV{APP_LOG_DIR}/download_2.log
        4  |2         |1           |0              |Load MySQL Table      |workers    |LoadMySQL    |         |$ENV{APP_LOG_DIR}/load_mysql.log
        5  |3         |1           |0              |Write Parquet File    |workers    |WriteParquet |         |$ENV{APP_LOG_DIR}/write_parquet.log
        6  |4,5       |1           |0              |End Job Notification  |workers    |End          |         |$ENV{APP_LOG_DIR}/end.log

        """
}
