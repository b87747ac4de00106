import BatchKit
import BatchKitRunner
import BatchKitCommandLine
import Foundation
import TestSupport
import Testing

/// The whole product path with real parts: the real `batchkit` binary makes a
/// job in a temp folder; its own `run.sh` builds and runs it with the real
/// toolchain; its own `swift test` passes; Graphviz renders its DAG.
@Suite(.serialized) struct GeneratedJobEndToEndTests {
    @Test func newRunFailAddStepAndUnitTests() async throws {
        let directory = try TemporaryDirectory()
        let created = try await runProgram(try batchkitBinary(), ["new", "e2e-job"], in: directory.url)
        #expect(created.status == 0, "\(created.stderr)")
        let job = directory.path("e2e-job")
        func run(_ arguments: [String] = []) async throws -> CommandResult {
            try await runProgram("/bin/bash", ["./run.sh"] + arguments, in: job)
        }
        func read(_ path: String) throws -> String {
            try String(contentsOf: job.appendingPathComponent(path), encoding: .utf8)
        }
        let dot = requireTool("dot", for: "rendering the generated job's DAG to SVG")

        // 1. A first run builds the job (with no network, when this machine
        //    lets us take it away) and passes every step and test.
        let offline = try await runProgram("/usr/bin/env", ["unshare", "-n", "true"], in: job).status == 0
        if !offline {
            if isCI {
                Issue.record("CI must be able to run `unshare -n` (as root) to prove jobs build offline")
            } else {
                FileHandle.standardError.write(Data("\n*** NOTE: `unshare -n` is not permitted here, so the offline build is not proven by this run ***\n\n".utf8))
            }
        }
        let first = await offline
            ? try await runProgram("/usr/bin/env", ["unshare", "-n", "/bin/bash", "./run.sh"], in: job)
            : try run()
        #expect(first.status == 0, "stdout:\n\(first.stdout)\nstderr:\n\(first.stderr)")
        #expect(first.stdout.contains("PASS  5/5 steps passed"))
        for line in ["01  Extract          PASS     1", "02  Extract regions  PASS     1", "03  Validate input   PASS     1",
                     "04  Transform        PASS     1", "05  Load             PASS     1"] {
            #expect(first.stdout.contains(line), "missing \(line)")
        }
        #expect(first.stdout.contains("Post-job tests  8 passed, 0 failed"))
        // The fan-in: both extracts start the run, Validate input waits for both.
        #expect(first.stdout.contains("  wave 1  01 Extract          PASS\n          02 Extract regions  PASS\n  wave 2  03 Validate input   PASS     ← 01, 02\n"), "\(first.stdout)")
        // The declared parameter, with its default, is what Validate input used.
        #expect(first.stdout.contains("Params\n  max_rejected_percent = 10  (config/base.json)\n"), "\(first.stdout)")
        #expect(first.stdout.contains("Logs     logs/runs/"))
        #expect(first.stderr.contains("Building e2e-job for the first time (95 s on 2 cores when measured; later runs start at once)..."))
        #expect(first.stderr.contains("\n  10 s  "), "a cold build shows how far it is every 10 s: \(first.stderr)")
        #expect(first.stderr.contains("\nBuilt in "), "\(first.stderr)")
        #expect(first.stderr.contains("START   01 Extract"))
        #expect(!first.stdout.contains("\u{1B}["), "no colour when stdout is not a terminal")

        let history = try read("logs/execution_logs.csv")
        #expect(history.hasPrefix(ExecutionLog.columns.joined(separator: ",") + "\r\n"))
        // The two extracts run side by side, so their rows come in the order they end.
        let rows = try ExecutionLog(url: job.appendingPathComponent("logs/execution_logs.csv")).readAll()
            .sorted { $0.stepID < $1.stepID }
        #expect(rows.map(\.stepID) == [1, 2, 3, 4, 5])
        #expect(rows.map(\.stepName) == ["Extract", "Extract regions", "Validate input", "Transform", "Load"])
        #expect(rows.allSatisfy { $0.status == .pass && $0.job == "e2e-job" && $0.attempt == 1 })
        #expect(rows.allSatisfy { ($0.maxRSSKilobytes ?? 0) > 1_000 && $0.cpuSeconds != nil }, "each Swift step reports its own peak memory")
        #expect(Set(rows.map(\.runID)).count == 1)
        let runID = try #require(rows.first?.runID)
        #expect(try read(rows[0].logFile).contains("extracted 41 rows from 1 file(s)"))
        #expect(try read("logs/runs/\(runID)/report.txt") == String(first.stdout.dropFirst()))
        // The same run's report.html, as a browser reads it: every step passed, the 8 tests passed.
        if let chromium = requireChromium(for: "loading the etl job's report.html in a browser") {
            let page = try await BrowserReport.load(lastRunIn: job, with: chromium)
            page.expectMatches(status: "PASS", steps: ["01": "PASS", "02": "PASS", "03": "PASS", "04": "PASS", "05": "PASS"])
            #expect(page.count(#"<tr data-test-status="PASS">"#) == 8 && page.count("<tr data-test-status=") == 8, "the post-job tests in #tests")
            #expect(page.element(id: "critical-path", tag: "p") != nil)
            #expect(page.dom.contains(#"<div id="dag" class="scroll" data-source="graphviz">"#) == (dot != nil))
        }
        #expect(try read(rows[1].logFile).contains("4 regions: North, South, East, West"))
        #expect(try read("logs/test_results.csv").components(separatedBy: ",PASS,").count == 9)
        #expect(try read("data/output/daily_revenue.csv").hasPrefix("date,region,orders,units,revenue\r\n"))
        let summary = try read("data/output/summary.json")
        #expect(summary.contains("\"rejectedOrders\" : 4"))
        #expect(summary.contains("\"extractedRows\" : 41"), "Load read what Extract put in the shared context")

        let readme = try read("README.md")
        #expect(readme.contains("```mermaid"))
        #expect(readme.contains("s1[\"01 Extract\"]"))
        #expect(try read("docs/dag.dot").contains("01 Extract\\nPASS"))
        #expect(readme.contains("## Results and history"), "the rest of the README is kept")
        #expect(readme.contains("s1 --> s3") && readme.contains("s2 --> s3"), "the README's DAG shows the fan-in: \(readme)")
        #expect(try read("docs/dag.dot").contains("s1 -> s3;"))
        #expect(try read("docs/dag.dot").contains("s2 -> s3;"))
        if dot != nil {
            #expect(readme.contains("![DAG of e2e-job](docs/dag.svg)"))
            #expect(try read("docs/dag.svg").contains("<svg"))
        }

        // 2. A warm run does not rebuild and only appends to the history.
        let warm = try await run()
        #expect(warm.status == 0)
        #expect(!warm.stderr.contains("uilding"), "nothing changed, so nothing is rebuilt")
        let afterWarm = try read("logs/execution_logs.csv")
        #expect(afterWarm.hasPrefix(history), "existing rows are never rewritten")
        #expect(try ExecutionLog(url: job.appendingPathComponent("logs/execution_logs.csv")).readAll().count == 10)
        // Nothing changed, so every step is up to date (CACHED) and none runs;
        // the post-job tests still run, on the outputs, and pass.
        #expect(warm.stdout.contains("PASS  5/5 steps passed (5 up to date, CACHED) in "), "\(warm.stdout)")
        #expect(!warm.stderr.contains("START   "), "no step starts: \(warm.stderr)")
        let warmRunID = try #require(try ExecutionLog(url: job.appendingPathComponent("logs/execution_logs.csv")).readAll().last?.runID)
        #expect(warmRunID != runID)
        #expect(try Self.statuses(ofRun: warmRunID, in: job) == [1: .cached, 2: .cached, 3: .cached, 4: .cached, 5: .cached])
        #expect(try Self.testStatuses(ofRun: warmRunID, in: job) == Array(repeating: "PASS", count: 8))

        // 2b. A new region: --explain names the changed input; Extract regions
        //     and Validate input (whose input, the staged regions, changed) run.
        //     What Validate input wrote is the same, so Transform and Load stay
        //     CACHED, and Extract, which reads no region, too.
        let regions = job.appendingPathComponent("data/input/regions.csv")
        try Data((try read("data/input/regions.csv") + "Central,Czechia,Jana Novak\n").utf8).write(to: regions)
        let explained = try await run(["--explain"])
        #expect(explained.status == 0, "\(explained.stderr)")
        #expect(explained.stdout.contains("  02 Extract regions  run      input data/input/regions.csv changed\n"), "\(explained.stdout)")
        // A CACHED run records no new pass: Extract is still up to date from the first run.
        #expect(explained.stdout.contains("  01 Extract          cached   up to date: nothing it depends on changed since it passed in run \(runID)\n"),
                "\(explained.stdout)")
        #expect(explained.stdout.contains("  03 Validate input   run      parent 02 will run and its outputs may change\n"), "\(explained.stdout)")
        #expect(try ExecutionLog(url: job.appendingPathComponent("logs/execution_logs.csv")).readAll().count == 10, "--explain runs nothing")
        let newRegion = try await run()
        #expect(newRegion.status == 0, "\(newRegion.stdout)\n\(newRegion.stderr)")
        #expect(newRegion.stdout.contains("PASS  5/5 steps passed (3 up to date, CACHED) in "), "\(newRegion.stdout)")
        let newRegionRunID = try #require(try ExecutionLog(url: job.appendingPathComponent("logs/execution_logs.csv")).readAll().last?.runID)
        #expect(try Self.statuses(ofRun: newRegionRunID, in: job) == [1: .cached, 2: .pass, 3: .pass, 4: .cached, 5: .cached])
        #expect(try Self.testStatuses(ofRun: newRegionRunID, in: job) == Array(repeating: "PASS", count: 8))
        #expect(try read("data/staging/regions.csv").contains("Central,Czechia,Jana Novak"))
        // --force runs a step that is up to date.
        let forced = try await run(["--force", "4"])
        #expect(forced.status == 0, "\(forced.stdout)\n\(forced.stderr)")
        let forcedRunID = try #require(try ExecutionLog(url: job.appendingPathComponent("logs/execution_logs.csv")).readAll().last?.runID)
        #expect(try Self.statuses(ofRun: forcedRunID, in: job) == [1: .cached, 2: .cached, 3: .cached, 4: .pass, 5: .cached])

        // 3. Bad input fails validation: later steps are SKIPPED, the run exits 1.
        var bad = "order_id,order_date,region,product,quantity,unit_price\n"
        for index in 0..<20 { bad += "9\(index),not-a-date,North,Widget,1,1.00\n" }
        try Data(bad.utf8).write(to: job.appendingPathComponent("data/input/orders_extra.csv"))
        let failed = try await run()
        #expect(failed.status == 1)
        #expect(failed.stdout.contains("FAIL  2/5 steps passed"))
        #expect(failed.stdout.contains("03 Validate input failed: 24 of 61 orders rejected (39%), more than max_rejected_percent (10%)"), "\(failed.stdout)")
        #expect(failed.stdout.contains("04  Transform        SKIPPED"))
        #expect(failed.stdout.contains("Post-job tests  not run"))
        // Extract regions, whose input is as it was, is up to date.
        let failedRows = try ExecutionLog(url: job.appendingPathComponent("logs/execution_logs.csv")).readAll().suffix(5)
            .sorted { $0.stepID < $1.stepID }
        #expect(failedRows.map(\.status) == [.pass, .cached, .fail, .skipped, .skipped])
        #expect(failedRows.dropFirst(2).first?.reason == .error)
        #expect(try read("README.md") == readme, "the README changes only when the steps do")
        #expect(try read("docs/dag.dot").contains("03 Validate input\\nFAIL"))
        // The parameter, raised for one run, lets the same input through; a
        // value that is not a whole number stops the run before anything runs.
        let raised = try await run(["--param", "max_rejected_percent=40", "--to", "3"])
        #expect(raised.status == 0, "\(raised.stdout)\n\(raised.stderr)")
        #expect(raised.stdout.contains("max_rejected_percent = 40  (--param)"), "\(raised.stdout)")
        let illTyped = try await run(["--param", "max_rejected_percent=lots"])
        #expect(illTyped.status == 64)
        #expect(illTyped.stderr.contains("max_rejected_percent"), "\(illTyped.stderr)")
        try FileManager.default.removeItem(at: job.appendingPathComponent("data/input/orders_extra.csv"))

        // 4. A failure at the last step, then --resume: only what did not pass
        //    runs, under the same run id, with the shared context restored.
        try FileManager.default.removeItem(at: job.appendingPathComponent("data/output"))
        try Data("in the way".utf8).write(to: job.appendingPathComponent("data/output"))
        let loadFailed = try await run()
        #expect(loadFailed.status == 1)
        #expect(loadFailed.stdout.contains("05  Load             FAIL"))
        let failedRunID = try #require(try ExecutionLog(url: job.appendingPathComponent("logs/execution_logs.csv")).readAll().last?.runID)
        try FileManager.default.removeItem(at: job.appendingPathComponent("data/output"))
        let resumed = try await run(["--resume"])
        #expect(resumed.status == 0, "\(resumed.stdout)\n\(resumed.stderr)")
        #expect(resumed.stdout.contains("run \(failedRunID)  PASS  5/5 steps passed"))
        #expect(resumed.stdout.contains("resumed run \(failedRunID)"))
        #expect(resumed.stdout.contains("PASS  5/5 steps passed (4 earlier, 1 in this session of "), "\(resumed.stdout)")
        #expect(resumed.stdout.contains("  05  Load             PASS     2 "), "attempt 2 of the run, as in the CSV: \(resumed.stdout)")
        #expect(!resumed.stderr.contains("START   01"), "steps that passed are not rerun")
        let resumedRows = try ExecutionLog(url: job.appendingPathComponent("logs/execution_logs.csv")).readAll().filter { $0.runID == failedRunID }
        #expect(resumedRows.map(\.stepID).sorted() == [1, 2, 3, 4, 5, 5])
        #expect(resumedRows.last?.attempt == 2)
        #expect(try read("data/output/summary.json").contains("\"extractedRows\" : 41"), "the context survived the resume")
        let nothing = try await run(["--resume"])
        #expect(nothing.status == 0)
        #expect(nothing.stdout.contains("nothing to resume: the last run, \(failedRunID), passed"))

        // 5. A numbered file missing from the step list is reported before anything runs.
        let rowCount = try ExecutionLog(url: job.appendingPathComponent("logs/execution_logs.csv")).readAll().count
        let orphan = job.appendingPathComponent("Sources/E2eJob/06_orphan.swift")
        try Data("import BatchKit\nextension Step { static let orphan = Step(\"Orphan\") { _ in } }\n".utf8).write(to: orphan)
        let mismatch = try await run()
        #expect(mismatch.status == 64)
        #expect(mismatch.stderr.contains("Rebuilding e2e-job (sources changed)"))
        #expect(mismatch.stderr.contains("Sources/E2eJob/06_orphan.swift is a numbered step file, but no step from it is in the job's `steps:` list"))
        #expect(try ExecutionLog(url: job.appendingPathComponent("logs/execution_logs.csv")).readAll().count == rowCount)
        try FileManager.default.removeItem(at: orphan)

        // 6. `batchkit add step` wires steps in. Each crash of a Swift step is a
        //    FAIL with its real cause, and the runner carries on; a partial run
        //    (--only) does not wait for the steps it leaves out.
        let crashes = [
            ("Trap", "print(\"printed before the trap\"); fatalError(\"model missing\")"),
            ("Segfault", "UnsafeMutablePointer<Int>(bitPattern: 8)!.pointee = 1"),
            ("Abort", "abort()"),
            ("Exit three", "exit(3)"),
            ("Killed", "kill(getpid(), SIGKILL)"),
            ("Index", "let rows = [Int](repeating: 1, count: Int(context.attempt) - 1); context.log.info(\"\\(rows[0])\")"),
            ("Unwrap", "let first = [Int](repeating: 1, count: Int(context.attempt) - 1).first; context.log.info(\"\\(first! + 1)\")"),
        ]
        for (index, (name, body)) in crashes.enumerated() {
            let added = try await runProgram(try batchkitBinary(), ["add", "step", name, "--after", "5"], in: job)
            #expect(added.status == 0, "\(added.stderr)")
            let file = job.appendingPathComponent("Sources/E2eJob/\(StepID(index + 6).display)_\(StepFileName.slug(name)).swift")
            let text = try String(contentsOf: file, encoding: .utf8)
                .split(separator: "\n", omittingEmptySubsequences: false)
                .map { $0.contains("nothing to do yet") ? "        \(body)" : String($0) }
                .joined(separator: "\n")
            try Data(text.replacingOccurrences(of: "import Foundation", with: "import Foundation\n#if canImport(Glibc)\nimport Glibc\n#endif").utf8).write(to: file)
        }
        // Steps with memory caps (built with the crashes, in the same rebuild): one
        // killed above its cap, one whose single huge allocation the hard limit
        // refuses (a Swift runtime failure), one within its cap.
        let capped = [
            ("Over cap", "150", "let buffer = [UInt8](repeating: UInt8(context.attempt), count: 400_000_000); try await Task.sleep(for: .seconds(30)); context.log.info(\"\\(buffer[Int.random(in: 0..<buffer.count)])\")"),
            ("Huge allocation", "150", "let huge = [UInt8](repeating: 1, count: 8_000_000_000); context.log.info(\"\\(huge[Int.random(in: 0..<huge.count)])\")"),
            ("Within cap", "100", "let buffer = [UInt8](repeating: 1, count: 20_000_000); context.log.info(\"\\(buffer[Int.random(in: 0..<buffer.count)])\")"),
        ]
        for (index, (name, megabytes, body)) in capped.enumerated() {
            let added = try await runProgram(try batchkitBinary(), ["add", "step", name, "--after", "5"], in: job)
            #expect(added.status == 0, "\(added.stderr)")
            let file = job.appendingPathComponent("Sources/E2eJob/\(index + 13)_\(StepFileName.slug(name)).swift")
            let source = try String(contentsOf: file, encoding: .utf8)
            #expect(source.contains(", after: [5],\n        reads: [],\n        writes: []) { context in"), "\(source)")
            let text = source
                .replacingOccurrences(of: "writes: []) { context in", with: "writes: [], memory: .megabytes(\(megabytes))) { context in")
                .split(separator: "\n", omittingEmptySubsequences: false)
                .map { $0.contains("nothing to do yet") ? "        \(body)" : String($0) }
                .joined(separator: "\n")
            try Data(text.utf8).write(to: file)
        }
        // A post-job test that traps when data/trap-in-checks exists (same rebuild).
        let checksFile = job.appendingPathComponent("Sources/E2eJob/PostJobTests.swift")
        let checks = try String(contentsOf: checksFile, encoding: .utf8)
        let trapCheck = """
        let postJobTests: [Check] = [
            Check("no trap unless asked") { context in
                let fields = ((try? String(contentsOf: context.path("data/trap-in-checks"), encoding: .utf8)) ?? "").split(separator: ",")
                return fields.isEmpty ? "not asked" : String(fields[1])
            },
        """
        #expect(checks.contains("let postJobTests: [Check] = [\n"))
        try Data(checks.replacingOccurrences(of: "let postJobTests: [Check] = [\n", with: trapCheck + "\n").utf8).write(to: checksFile)
        // A Swift step and a shell step that note the run date they get (in the same rebuild).
        let dated = try await runProgram(try batchkitBinary(), ["add", "step", "Dated", "--after", "5"], in: job)
        #expect(dated.status == 0, "\(dated.stderr)")
        let datedFile = job.appendingPathComponent("Sources/E2eJob/16_dated.swift")
        try Data(try String(contentsOf: datedFile, encoding: .utf8)
            .replacingOccurrences(of: "        context.log.info(\"dated: nothing to do yet\")",
                                  with: "        try Data(\"\\(context.runDate)\\n\".utf8).write(to: context.path(\"swift-date.txt\"))").utf8).write(to: datedFile)
        let jobFile = job.appendingPathComponent("Sources/E2eJob/Job.swift")
        let listEnd = "    ],\n    tests: postJobTests"
        #expect(try read("Sources/E2eJob/Job.swift").contains(listEnd))
        try Data(try read("Sources/E2eJob/Job.swift").replacingOccurrences(of: listEnd, with: """
                    Step(id: 20, name: "Shell date", parents: [5], source: "Job.swift", action: .shell("echo \\"$BATCHKIT_RUN_DATE\\" > shell-date.txt")),
            \(listEnd)
            """).utf8).write(to: jobFile)
        let plan = try await run(["--dry-run", "--from", "5", "--exclude", "10"])
        #expect(plan.status == 0, "\(plan.stderr)")
        #expect(plan.stdout.contains("Would run 12 step(s) in 2 wave(s)"), "\(plan.stdout)")
        #expect(plan.stdout.contains("wave 1: 05 Load\n  wave 2: 06 Trap, 07 Segfault, 08 Abort, 09 Exit three, 11 Index, 12 Unwrap, 13 Over cap, 14 Huge allocation, 15 Within cap, 16 Dated, 20 Shell date\n"), "\(plan.stdout)")
        #expect(plan.stdout.contains("04 Transform: not downstream of --from 5"))
        #expect(plan.stdout.contains("10 Killed: in --exclude"))
        let crashed = try await run(["--only", "6,7,8,9,10,11,12", "--jobs", "2"])
        #expect(crashed.status == 1, "\(crashed.stderr)")
        #expect(!crashed.stderr.contains("START   05"))
        let crashRows = Dictionary(
            try ExecutionLog(url: job.appendingPathComponent("logs/execution_logs.csv")).readAll().suffix(7).map { ($0.stepID, $0) },
            uniquingKeysWith: { $1 })
        #expect(crashRows.values.allSatisfy { $0.status == .fail })
        #expect(["SIGILL", "SIGTRAP"].contains(crashRows[6]?.exitStatus ?? ""))
        // A crash says what and where: the trap's message and the job's own
        // line, from Swift's backtracer (release build, as ./run.sh builds).
        #expect(crashRows[6]?.message.hasPrefix("crashed at Sources/E2eJob/06_trap.swift:") == true, "\(crashRows[6]?.message ?? "")")
        #expect(crashRows[6]?.message.hasSuffix(": model missing (\(crashRows[6]?.exitStatus ?? ""))") == true, "\(crashRows[6]?.message ?? "")")
        #expect(crashRows[11]?.message.hasPrefix("crashed at Sources/E2eJob/11_index.swift:") == true, "\(crashRows[11]?.message ?? "")")
        #expect(crashRows[11]?.message.contains(": Index out of range (SIG") == true, "\(crashRows[11]?.message ?? "")")
        #expect(crashRows[12]?.message.hasPrefix("crashed at Sources/E2eJob/12_unwrap.swift:") == true, "\(crashRows[12]?.message ?? "")")
        #expect(crashRows[12]?.message.contains(": Unexpectedly found nil while unwrapping an Optional value (SIG") == true,
                "\(crashRows[12]?.message ?? "")")
        #expect(crashRows[7]?.message.hasPrefix("crashed at Sources/E2eJob/07_segfault.swift:") == true, "\(crashRows[7]?.message ?? "")")
        // abort() dies inside the C library, which the backtracer cannot unwind
        // (no frame pointers): no line, but still what happened.
        #expect(crashRows[8]?.message.hasPrefix("crashed") == true && crashRows[8]?.message.hasSuffix("(SIGABRT)") == true,
                "\(crashRows[8]?.message ?? "")")
        let indexLog = try read(crashRows[11]?.logFile ?? "")
        #expect(indexLog.contains("ERROR backtrace, innermost call first; all of it in logs/runs/"), "\(indexLog)")
        #expect(indexLog.contains("\n    Sources/E2eJob/11_index.swift:"), "\(indexLog)")
        #expect(crashed.stdout.contains("11 Index failed: crashed at Sources/E2eJob/11_index.swift:"), "the report says it too: \(crashed.stdout)")
        #expect(try read(crashRows[6]?.logFile ?? "").contains("printed before the trap"), "print() output survives a crash")
        #expect(crashRows[7]?.exitStatus == "SIGSEGV")
        #expect(crashRows[8]?.exitStatus == "SIGABRT")
        #expect(crashRows[9]?.exitStatus == "3" && crashRows[9]?.reason == .exit)
        #expect(crashRows[10]?.exitStatus == "SIGKILL")
        #expect(crashed.stdout.contains("partial run: not run 01, 02, 03, 04, 05"))
        let overCap = try await run(["--only", "13,14,15", "--jobs", "1"])
        #expect(overCap.status == 1, "\(overCap.stderr)")
        let cappedRows = Dictionary(
            try ExecutionLog(url: job.appendingPathComponent("logs/execution_logs.csv")).readAll().suffix(3).map { ($0.stepID, $0) },
            uniquingKeysWith: { $1 })
        #expect(cappedRows[13]?.reason == .memory && cappedRows[13]?.exitStatus == "SIGKILL", "\(cappedRows[13]?.message ?? "")")
        #expect(cappedRows[13]?.message.contains("above its memory cap of 150 MB, so its process group was killed") == true)
        #expect((cappedRows[13]?.durationSeconds ?? 99) < 20, "killed, not left to sleep")
        #expect(cappedRows[14]?.reason == .memory, "\(cappedRows[14]?.message ?? "")")
        #expect(cappedRows[14]?.message.contains("failed to allocate") == true, "Swift's own words, from the log")
        #expect(cappedRows[15]?.status == .pass, "\(cappedRows[15]?.message ?? "") \(overCap.stdout)")
        // The run date reaches a Swift step as context.runDate and a shell step as $BATCHKIT_RUN_DATE.
        let datedRun = try await run(["--only", "16,20", "--date", "2026-11-01"])
        #expect(datedRun.status == 0, "\(datedRun.stdout)\n\(datedRun.stderr)")
        #expect(try read("swift-date.txt") == "2026-11-01\n")
        #expect(try read("shell-date.txt") == "2026-11-01\n")
        #expect(datedRun.stdout.contains("Date     2026-11-01  (the run date"), "\(datedRun.stdout)")
        let datedRows = try ExecutionLog(url: job.appendingPathComponent("logs/execution_logs.csv")).readAll().suffix(2)
        #expect(Set(datedRows.map(\.stepID)) == [16, 20] && datedRows.allSatisfy { $0.runDate?.description == "2026-11-01" })

        // 7. Post-job tests alone: they fail the run when the outputs are wrong.
        await #expect(try run(["--tests-only"]).status == 0)
        let output = job.appendingPathComponent("data/output/daily_revenue.csv")
        let good = try Data(contentsOf: output)
        try Data("date,region,orders,units,revenue\r\n".utf8).write(to: output)
        let broken = try await run(["--tests-only"])
        #expect(broken.status == 1)
        #expect(broken.stdout.contains("FAIL  post-job tests only"))
        #expect(broken.stdout.contains("FAIL  data/output/daily_revenue.csv has at least 1 row: data/output/daily_revenue.csv has 0 rows"))
        #expect(broken.stdout.contains("FAIL  revenue in the output equals the valid orders' revenue"))
        #expect(try read("logs/test_results.csv").contains(",FAIL,"))
        try good.write(to: output)
        let runList = try await run(["history", "--runs"])
        #expect(runList.status == 0, "\(runList.stderr)")
        let listed = runList.stdout.split(separator: "\n").map(String.init)
        #expect(listed.contains { $0.contains("  \(failedRunID)  PASS  ") }, "the resumed run passed: \(runList.stdout)")
        #expect(listed.contains { $0.contains("  FAIL  ") && $0.contains("  03 Validate input (error)") }, "\(runList.stdout)")
        #expect(listed.last.map { $0.contains("  FAIL  ") && $0.contains("  tests ") && $0.contains("data/output/daily_revenue.csv has at least 1 row") } == true,
                "the --tests-only run whose tests failed: \(runList.stdout)")

        // A post-job test that crashes says what and where too.
        try Data("x".utf8).write(to: job.appendingPathComponent("data/trap-in-checks"))
        let trapped = try await run(["--tests-only"])
        #expect(trapped.status == 1)
        #expect(trapped.stdout.contains("the post-job tests crashed at Sources/E2eJob/PostJobTests.swift:"), "\(trapped.stdout)")
        #expect(trapped.stdout.contains(": Index out of range (SIG"), "\(trapped.stdout)")
        try FileManager.default.removeItem(at: job.appendingPathComponent("data/trap-in-checks"))

        // 8. The other commands.
        let mermaid = try await run(["dag", "--format", "mermaid"])
        #expect(mermaid.status == 0 && mermaid.stdout.hasPrefix("flowchart LR"))
        let steps = try await run(["steps"])
        #expect(steps.stdout.contains("02  Extract regions  (after: -; Sources/E2eJob/02_extract_regions.swift)"), "\(steps.stdout)")
        #expect(steps.stdout.contains("03  Validate input  (after: 01,02; Sources/E2eJob/03_validate_input.swift)"), "\(steps.stdout)")
        #expect(steps.stdout.contains("06  Trap  (after: 05; Sources/E2eJob/06_trap.swift)"))
        #expect(steps.stdout.contains("13  Over cap  (after: 05; Sources/E2eJob/13_over_cap.swift; memory 150 MB)"))
        // `add step` listed every added step in the README's Steps table.
        let stepsTable = try read("README.md")
        #expect(stepsTable.contains("| `Sources/E2eJob/06_trap.swift` | Trap | 05 | — | — |\n"), "\(stepsTable)")
        #expect(stepsTable.contains("| `Sources/E2eJob/15_within_cap.swift` | Within cap | 05 | — | — |\n| `Sources/E2eJob/16_dated.swift` | Dated | 05 | — | — |\n\n"), "\(stepsTable)")
        let help = try await run(["--help"])
        #expect(help.status == 0 && help.stdout.contains("USAGE: ./run.sh"))
        // The job binary's help is the one HelpAgreementTests checks through a task list, less batchkit run's own options.
        try directory.write("t.lst", "#SHELL\n1|-1|1|0|hello|echo hi|\n")
        let listHelp = try await runProgram(try batchkitBinary(), ["run", "t.lst", "--help"], in: directory.url)
        let jobSections = HelpAgreementTests.sections(help.stdout)
        let listSections = HelpAgreementTests.sections(listHelp.stdout)
        for title in HelpAgreementTests.sectionCommands.keys.sorted() {
            let listed = HelpAgreementTests.optionRows(listSections[title] ?? "").filter { !HelpAgreementTests.ownOptions.contains($0.name) }
            #expect(HelpAgreementTests.optionRows(jobSections[title] ?? "") == listed, "\(title)")
        }
        #expect(jobSections["COMMANDS"]?.contains("run (default)   Run the steps, then the post-job tests; print the report.") == true)
        #expect(help.stdout.contains("logs/test_results.csv     one row per post-job test per run"))
        let usage = try await run(["--bogus"])
        #expect(usage.status == 64 && usage.stderr.contains("unknown option --bogus"))

        // 9. `schedule`'s crontab line runs the job through its run.sh as cron
        //    would (almost no environment, started elsewhere), appending to
        //    logs/schedule.log; `prune` removes old run folders, never the history.
        let scheduled = try await run(["schedule", "--cron", "0 2 * * *", "--", "--only", "1"])
        #expect(scheduled.status == 0, "\(scheduled.stderr)")
        let line = scheduled.stdout.split(separator: "\n").first { !$0.hasPrefix("#") }.map(String.init) ?? ""
        #expect(line.hasPrefix("0 2 * * * cd \(job.path) && PATH="))
        #expect(line.hasSuffix(" \(job.path)/run.sh run --only 1 >> \(job.path)/logs/schedule.log 2>&1 # batchkit-schedule e2e-job \(job.path)"))
        let rowsBeforeCron = try ExecutionLog(url: job.appendingPathComponent("logs/execution_logs.csv")).readAll().count
        let byCron = try await runProgram(
            "/usr/bin/env", ["-i", "HOME=/", "PATH=/usr/bin:/bin", "/bin/sh", "-c", cronCommand(of: line)], in: URL(fileURLWithPath: "/"))
        #expect(byCron.status == 0 && byCron.stdout.isEmpty && byCron.stderr.isEmpty)
        let cronRows = try ExecutionLog(url: job.appendingPathComponent("logs/execution_logs.csv")).readAll().dropFirst(rowsBeforeCron)
        #expect(cronRows.map(\.stepID) == [1] && cronRows.first?.status.isSuccess == true)
        #expect(try read("logs/schedule.log").contains("run \(cronRows.first?.runID ?? "?")  PASS"))
        let historyBeforePrune = try read("logs/execution_logs.csv")
        let runsBeforePrune = try FileManager.default.contentsOfDirectory(atPath: job.appendingPathComponent("logs/runs").path).count
        let pruned = try await run(["prune", "--keep-runs", "2"])
        #expect(pruned.status == 0, "\(pruned.stderr)")
        #expect(pruned.stdout.contains("(tests only, started "), "--tests-only runs, which keep no state, are attributed by their report")
        #expect(pruned.stdout.contains("removed \(runsBeforePrune - 2) run folders, "), "\(pruned.stdout)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: job.appendingPathComponent("logs/runs").path).count == 2)
        #expect(try read("logs/execution_logs.csv") == historyBeforePrune)

        // 10. The generated project's own unit tests pass.
        let unitTests = try await runProgram("/usr/bin/env", ["swift", "test"], in: job)
        #expect(unitTests.status == 0, "\(unitTests.stdout)\n\(unitTests.stderr)")
    }

    /// The data-parallel templates: each builds, runs on its sample, runs on
    /// a generated input given as a parameter, and its own unit tests (which
    /// compare the MapReduce results with a simple reference) pass.
    @Test(arguments: [("wordcount", "the total equals a plain sequential recount"), ("logs", "every line is a request or a malformed line")])
    func dataParallelTemplatesRunAndTheirTestsPass(template: String, check: String) async throws {
        let directory = try TemporaryDirectory()
        let created = try await runProgram(try batchkitBinary(), ["new", "mr-\(template)", "--template", template], in: directory.url)
        #expect(created.status == 0, "\(created.stderr)")
        let job = directory.path("mr-\(template)")
        // A partial run before any full one: the step needs what step 1 sets, and says so.
        let alone = try await runProgram("/bin/bash", ["./run.sh", "--only", "2"], in: job)
        #expect(alone.status == 1, "stdout:\n\(alone.stdout)\nstderr:\n\(alone.stderr)")
        #expect(alone.stdout.contains("context value \"input_files\" is not set"), "\(alone.stdout)")
        #expect(alone.stdout.contains("none for 01, which passed in no earlier run"), "\(alone.stdout)")
        let sample = try await runProgram("/bin/bash", ["./run.sh"], in: job)
        #expect(sample.status == 0, "stdout:\n\(sample.stdout)\nstderr:\n\(sample.stderr)")
        #expect(sample.stdout.contains("PASS  3/3 steps passed"))
        #expect(sample.stdout.contains("PASS  \(check)"))
        // A second full run with nothing changed runs no step (all CACHED);
        // the post-job tests still run and pass.
        func lastRunID() throws -> String {
            try #require(try ExecutionLog(url: job.appendingPathComponent("logs/execution_logs.csv")).readAll().last?.runID)
        }
        let cached = try await runProgram("/bin/bash", ["./run.sh"], in: job)
        #expect(cached.status == 0, "stdout:\n\(cached.stdout)\nstderr:\n\(cached.stderr)")
        #expect(cached.stdout.contains("PASS  3/3 steps passed (3 up to date, CACHED) in "), "\(cached.stdout)")
        let cachedRunID = try lastRunID()
        #expect(try Self.statuses(ofRun: cachedRunID, in: job) == [1: .cached, 2: .cached, 3: .cached])
        let tests = try Self.testStatuses(ofRun: cachedRunID, in: job)
        #expect(!tests.isEmpty && tests.allSatisfy { $0 == "PASS" }, "\(tests)")
        // Now step 2 alone gets the input files the last full run's step 1 found.
        func counts() throws -> [Substring] {
            try String(contentsOf: job.appendingPathComponent("data/output/summary.json"), encoding: .utf8)
                .split(separator: "\n").filter { !$0.contains("\"seconds\"") }
        }
        let before = try counts()
        // Step 2 is up to date, so it is forced to run here.
        let rerun = try await runProgram("/bin/bash", ["./run.sh", "--only", "2", "--force"], in: job)
        #expect(rerun.status == 0, "stdout:\n\(rerun.stdout)\nstderr:\n\(rerun.stderr)")
        #expect(rerun.stdout.contains("partial run: shared values from steps left out: 01 Prepare input ("), "\(rerun.stdout)")
        #expect(rerun.stdout.contains("input_files) from run "), "\(rerun.stdout)")
        #expect(try counts() == before, "the same input, the same counts")

        // One more line in the input (sample.txt has no line end at its end,
        // and keeps none): --explain names it, and every step,
        // all of them downstream of it, runs again.
        let input = template == "wordcount" ? "data/input/sample.txt" : "data/input/access.log"
        let line = template == "wordcount"
            ? "\none more line of words" : "203.0.113.9 - - [21/Nov/2026:02:13:45 +0000] \"GET /index.html HTTP/1.1\" 200 5123\n"
        let inputText = try String(contentsOf: job.appendingPathComponent(input), encoding: .utf8)
        try Data((inputText + line).utf8).write(to: job.appendingPathComponent(input))
        let explained = try await runProgram("/bin/bash", ["./run.sh", "--explain"], in: job)
        #expect(explained.status == 0, "\(explained.stderr)")
        #expect(explained.stdout.split(separator: "\n").contains { $0.hasPrefix("  01 Prepare input ") && $0.hasSuffix("  run      input \(input) changed") },
                "\(explained.stdout)")
        let edited = try await runProgram("/bin/bash", ["./run.sh"], in: job)
        #expect(edited.status == 0, "stdout:\n\(edited.stdout)\nstderr:\n\(edited.stderr)")
        #expect(try Self.statuses(ofRun: try lastRunID(), in: job) == [1: .pass, 2: .pass, 3: .pass])
        #expect(try counts() != before, "the added line was counted")

        let generated = try await runProgram("/bin/bash", ["./run.sh", "--param", "size=3MB"], in: job)
        #expect(generated.status == 0, "stdout:\n\(generated.stdout)\nstderr:\n\(generated.stderr)")
        // The report aligns the names: wordcount also shows its top_n.
        let size = template == "wordcount" ? "  size  =" : "  size ="
        #expect(generated.stdout.contains("\(size) 3MB  (--param)"), "\(generated.stdout)")
        let summary = try String(contentsOf: job.appendingPathComponent("data/output/summary.json"), encoding: .utf8)
        #expect(summary.contains("_3000000."), "the generated input was used")
        if template == "wordcount" {
            // top_n is declared with a default, which the step reads without an optional.
            func topWords() throws -> Int {
                try String(contentsOf: job.appendingPathComponent("data/output/top_words.txt"), encoding: .utf8).split(separator: "\n").count
            }
            #expect(generated.stdout.contains("  top_n = 20  (config/base.json)"), "\(generated.stdout)")
            #expect(try topWords() == 20)
            let three = try await runProgram("/bin/bash", ["./run.sh", "--only", "3", "--param", "top_n=3"], in: job)
            #expect(three.status == 0, "stdout:\n\(three.stdout)\nstderr:\n\(three.stderr)")
            #expect(try topWords() == 3)
        }
        let bad = try await runProgram("/bin/bash", ["./run.sh", "--param", "size=lots"], in: job)
        #expect(bad.status == 64, "a parameter config/base.json declares is checked before anything runs")
        #expect(bad.stderr.contains("--param size=lots is not a size such as 200MB or 2GB; config/base.json declares size as size"))
        let unknown = try await runProgram("/bin/bash", ["./run.sh", "--param", "sise=3MB"], in: job)
        #expect(unknown.status == 64)
        #expect(unknown.stderr.contains("--param sise: unknown parameter (did you mean size?)"))

        // Declared secret, the size still reaches the Swift step (context.parameters),
        // and the run records and shows it as ***.
        let config = job.appendingPathComponent("config/base.json")
        let declared = try String(contentsOf: config, encoding: .utf8)
        try Data(declared.replacingOccurrences(of: #""size": {"type": "size","#, with: #""size": {"type": "size", "secret": true,"#).utf8).write(to: config)
        let secret = try await runProgram("/bin/bash", ["./run.sh", "--param", "size=2MB"], in: job)
        #expect(secret.status == 0, "stdout:\n\(secret.stdout)\nstderr:\n\(secret.stderr)")
        #expect(secret.stdout.contains("\(size) ***  (--param)"), "\(secret.stdout)")
        #expect(try String(contentsOf: job.appendingPathComponent("data/output/summary.json"), encoding: .utf8).contains("_2000000."), "the step read the real size")
        let secretRun = try #require(try ExecutionLog(url: job.appendingPathComponent("logs/execution_logs.csv")).readAll().last?.runID)
        for file in ["state.json", "report.json", "report.txt"] {
            #expect(!(try String(contentsOf: job.appendingPathComponent("logs/runs/\(secretRun)/\(file)"), encoding: .utf8)).contains("2MB"), "\(file)")
        }
        #expect(!(secret.stdout + secret.stderr).contains("2MB"))
        try Data(declared.utf8).write(to: config)

        // The post-job tests' rows are a durable write of their own: a runner
        // killed right after it (write 1 of a --tests-only run) leaves them
        // whole, once, and the history readable; the next run goes on.
        let testResults = job.appendingPathComponent("logs/test_results.csv")
        let rowsBefore = try CSVTable.read(testResults).rows.count
        let killed = try await runProgram("/bin/bash", ["./run.sh", "--tests-only"], in: job, environment: ["BATCHKIT_CRASH_AFTER_WRITE": "1"])
        #expect(killed.status == 128 + SIGKILL, "stdout:\n\(killed.stdout)\nstderr:\n\(killed.stderr)")
        let afterKill = try CSVTable.read(testResults).rows
        let testCount = afterKill.count - rowsBefore
        #expect(testCount > 0 && Set(afterKill.suffix(testCount).map { $0[0] }).count == 1, "one run's rows, whole")
        let next = try await runProgram("/bin/bash", ["./run.sh", "--tests-only"], in: job)
        #expect(next.status == 0, "stdout:\n\(next.stdout)\nstderr:\n\(next.stderr)")
        #expect(try CSVTable.read(testResults).rows.count == rowsBefore + 2 * testCount, "nothing appended twice")
        #expect(try await runProgram("/bin/bash", ["./run.sh", "history", "--runs"], in: job).status == 0)

        let unitTests = try await runProgram("/usr/bin/env", ["swift", "test"], in: job)
        #expect(unitTests.status == 0, "\(unitTests.stdout)\n\(unitTests.stderr)")
    }

    /// Each step's status in one run, from `logs/execution_logs.csv` (its
    /// last row, for a step attempted more than once).
    static func statuses(ofRun runID: String, in job: URL) throws -> [StepID: Status] {
        let rows = try ExecutionLog(url: job.appendingPathComponent("logs/execution_logs.csv")).readAll().filter { $0.runID == runID }
        return Dictionary(rows.map { ($0.stepID, $0.status) }, uniquingKeysWith: { $1 })
    }

    /// The statuses of one run's post-job tests, from `logs/test_results.csv`.
    static func testStatuses(ofRun runID: String, in job: URL) throws -> [String] {
        let table = try CSVTable.read(job.appendingPathComponent("logs/test_results.csv"))
        let run = try #require(table.column("run_id"))
        let status = try #require(table.column("status"))
        return table.rows.filter { $0[run] == runID }.map { $0[status] }
    }
}
