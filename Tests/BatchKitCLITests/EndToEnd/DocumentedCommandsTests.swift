import Foundation
import TestSupport
import Testing

/// The README's quick start and every command of docs/TUTORIAL.md run as
/// shown: the quick start makes and runs `~/myjob` (in a temporary home),
/// then the tutorial's files, edits and commands are applied to that job in
/// order — one cold build, then a short rebuild per section — and each
/// command must give its exit code and show the lines the page shows (see
/// ``DocTestBlock`` for the markers and what is masked).
@Suite struct DocumentedCommandsTests {
    @Test func theQuickStartAndTheTutorialRunAsShown() async throws {
        let readme = try String(contentsOf: checkoutRoot.appendingPathComponent("README.md"), encoding: .utf8)
        let tutorial = try String(contentsOf: checkoutRoot.appendingPathComponent("docs/TUTORIAL.md"), encoding: .utf8)
        let readmeBlocks = try DocTestBlock.blocks(in: readme)
        let quickStart = try #require(readmeBlocks.first { $0.kind == .quickStart }, "README.md has no <!-- doc-test: quick-start --> block")
        let shown = try #require(readmeBlocks.first { $0.kind == .output }, "README.md has no <!-- doc-test: output --> block")
        #expect(readme.contains("[tutorial](docs/TUTORIAL.md)"), "the README links the tutorial")

        // Two commands: the first installs, makes and runs a job; the second
        // is batchkit's test command, which CI runs too, after the first.
        #expect(quickStart.body.count == 2, "\(quickStart.body)")
        let ci = try String(contentsOf: checkoutRoot.appendingPathComponent(".ci/run"), encoding: .utf8)
        #expect(quickStart.body.last == "swift test")
        #expect(ci.hasSuffix("\nswift test\n"), ".ci/run ends with the README's test command")
        let first = try #require(quickStart.body.first)
        #expect(ci.contains(first), ".ci/run runs the README's first command as written")

        // A temporary home, and a checkout whose install.sh stands in for the
        // real one (InstallScriptTests runs that) with `batchkit` on PATH.
        let directory = try TemporaryDirectory()
        let home = directory.path("home")
        let checkout = directory.path("checkout")
        try directory.write("checkout/install.sh", "#!/bin/sh\necho 'install.sh: batchkit is on PATH'\n")
        _ = chmod(checkout.appendingPathComponent("install.sh").path, 0o755)
        try FileManager.default.createDirectory(at: home, withIntermediateDirectories: true)
        try FileManager.default.createDirectory(at: directory.path("bin"), withIntermediateDirectories: true)
        try FileManager.default.createSymbolicLink(atPath: directory.path("bin/batchkit").path, withDestinationPath: try batchkitBinary())
        let environment = [
            "HOME": home.path,
            "PATH": directory.path("bin").path + ":" + (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"),
        ]

        let started = try await runProgram("/bin/bash", ["-c", first], in: checkout, environment: environment)
        #expect(started.status == 0, "README quick start: \(first)\nstdout:\n\(started.stdout)\nstderr:\n\(started.stderr)")
        let job = home.appendingPathComponent("myjob")
        #expect(FileManager.default.fileExists(atPath: job.appendingPathComponent("run.sh").path), "the README says the job is in ~/myjob")
        let missing = DocTestBlock.missingLines(shown.body, in: started.stdout + "\n" + started.stderr)
        #expect(missing.isEmpty, "README.md:\(shown.line): the quick start's output lacks\n\(missing.joined(separator: "\n"))\nstdout:\n\(started.stdout)\nstderr:\n\(started.stderr)")
        guard started.status == 0 else { return }

        // Run again, the quick start overwrites nothing and says why, as the README says.
        let readmeText = try String(contentsOf: job.appendingPathComponent("README.md"), encoding: .utf8)
        let again = try await runProgram("/bin/bash", ["-c", first], in: checkout, environment: environment)
        #expect(again.status == 1)
        #expect(again.stderr.contains("error: \(job.path) already exists and is not empty; nothing was changed. Choose another name or --path, or remove the folder"), "\(again.stderr)")
        #expect(try String(contentsOf: job.appendingPathComponent("README.md"), encoding: .utf8) == readmeText)
        let asPath = try await runProgram("/bin/bash", ["-c", "batchkit new ~/myjob"], in: checkout, environment: environment)
        #expect(asPath.status == 64 && asPath.stderr.contains("give just the name and choose the parent folder with --path DIR"), "\(asPath.stderr)")

        // The tutorial, in order, on that job; the first block that fails stops it.
        for block in try DocTestBlock.blocks(in: tutorial) {
            guard try await apply(block, to: job, environment: environment) else { return }
        }
        withExtendedLifetime(directory) {}
    }

    /// Applies one tutorial block to `job`; false when it failed (recorded).
    func apply(_ block: DocTestBlock, to job: URL, environment: [String: String]) async throws -> Bool {
        let place = "docs/TUTORIAL.md:\(block.line)"
        switch block.kind {
        case .file(let path):
            let url = job.appendingPathComponent(path)
            try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            try Data((block.body.joined(separator: "\n") + "\n").utf8).write(to: url)
        case .diff(let path):
            let url = job.appendingPathComponent(path)
            do {
                try Data(try block.applyDiff(to: String(contentsOf: url, encoding: .utf8)).utf8).write(to: url)
            } catch let error as DocTestError {
                Issue.record("\(place): \(path): \(error)")
                return false
            }
        case .params(let path):
            let url = job.appendingPathComponent(path)
            let fragment = try JSONSerialization.jsonObject(with: Data(("{" + block.body.joined(separator: "\n") + "}").utf8))
            var config = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as? [String: Any])
            var params = config["params"] as? [String: Any] ?? [:]
            for (key, value) in (fragment as? [String: Any])?["params"] as? [String: Any] ?? [:] { params[key] = value }
            config["params"] = params
            try JSONSerialization.data(withJSONObject: config, options: [.prettyPrinted, .sortedKeys]).write(to: url)
        case .run:
            for command in block.commands {
                if command.text.contains("python3"), requireTool("python3", for: "\(place): \(command.text)") == nil { return false }
                let result = try await runProgram("/bin/bash", ["-c", command.text], in: job, environment: environment)
                let output = result.stdout + "\n" + result.stderr
                let missing = DocTestBlock.missingLines(command.shown, in: output, exactDates: block.exactDates)
                #expect(result.status == command.expectedStatus, "\(place): `\(command.text)` exited \(result.status)\n\(output)")
                #expect(missing.isEmpty, "\(place): `\(command.text)` did not show\n\(missing.joined(separator: "\n"))\n--- it showed:\n\(output)")
                guard result.status == command.expectedStatus, missing.isEmpty else { return false }
            }
        case .quickStart, .output:
            Issue.record("\(place): quick-start and output blocks belong in README.md")
            return false
        }
        return true
    }

    // The comparison itself: it masks what changes between runs, and only that.

    @Test func volatilePartsAreMaskedAndTheRestCompared() {
        let shown = [
            "myjob  run 20261124T141300.927Z-c96d  PASS  5/5 steps passed in 0.16 s",
            "  02  Validate input  PASS     1      0.02 s    0.01 s    16.4 MB   ◀ slowest",
            "2026-11-24T14:09:23.138Z START   01 Extract",
            "Date     2026-11-24  (the run date: context.runDate, $BATCHKIT_RUN_DATE)",
            "…",
            "",
        ]
        let output = """
            myjob  run 20270102T030405.006Z-ab12  PASS  5/5 steps passed in 1.5 s
              02  Validate input  PASS     1      0.10 s    0.02 s    17 MB   ◀ #3 slowest
            2027-01-02T03:04:05.006Z START   01 Extract
            Date     2027-01-02  (the run date: context.runDate, $BATCHKIT_RUN_DATE)
            """
        #expect(DocTestBlock.missingLines(shown, in: output).isEmpty)
        // A changed count, status, name or number is a difference.
        let changed = output.replacingOccurrences(of: "5/5", with: "4/5").replacingOccurrences(of: "Validate input  PASS", with: "Validate input  FAIL")
        #expect(DocTestBlock.missingLines(shown, in: changed) == [shown[0], shown[1]])
        #expect(DocTestBlock.missingLines(["  West  146.75  target 200, missed"], in: "  West  146.70  target 200, missed") != [])
        #expect(DocTestBlock.missingLines(["region,target", "West,200"], in: "region,target\r\nWest,200\r\n").isEmpty, "CSV lines end in CRLF")
        // A date given with --date is compared as shown in an exact-dates block; the run id's and times' stay masked.
        let backfill = "2026-11-24T14:13:19.672Z START   07 Report\nDate     2026-11-08  (the run date: context.runDate, $BATCHKIT_RUN_DATE)"
        #expect(DocTestBlock.missingLines([shown[2].replacingOccurrences(of: "01 Extract", with: "07 Report"), "Date     2026-11-08  (the run date: context.runDate, $BATCHKIT_RUN_DATE)"], in: backfill, exactDates: true).isEmpty)
        #expect(DocTestBlock.missingLines(["Date     2026-11-09  (the run date: context.runDate, $BATCHKIT_RUN_DATE)"], in: backfill, exactDates: true) != [])
        #expect(DocTestBlock.missingLines(["Date     2026-11-09  (the run date: context.runDate, $BATCHKIT_RUN_DATE)"], in: backfill).isEmpty)
    }

    @Test func blocksAreParsedFromTheirMarkers() throws {
        let markdown = """
            Text.

            <!-- doc-test: run -->
            ```console
            $ ./run.sh --param top_day=5   # exit 64
            error: --param top_day: unknown parameter
            $ cat out.txt
            ```

            <!-- doc-test: run exact-dates -->
            ```console
            $ ./run.sh --date 2026-11-03
            ```

            <!-- doc-test: diff Sources/Job.swift -->
            ```diff
                     .report,
            +        .publish,
            -    tests: a
            +    tests: a + b
            ```
            """
        let blocks = try DocTestBlock.blocks(in: markdown)
        #expect(blocks.map(\.kind) == [.run, .run, .diff("Sources/Job.swift")])
        #expect(blocks.map(\.exactDates) == [false, true, false])
        #expect(blocks[0].commands == [
            .init(text: "./run.sh --param top_day=5   # exit 64", expectedStatus: 64, shown: ["error: --param top_day: unknown parameter"]),
            .init(text: "cat out.txt", expectedStatus: 0, shown: []),
        ])
        #expect(try blocks[2].applyDiff(to: "x\n        .report,\n    tests: a\n)\n") == "x\n        .report,\n        .publish,\n    tests: a + b\n)\n")
        #expect(throws: DocTestError.self) { try blocks[2].applyDiff(to: "nothing like it\n") }
        #expect(throws: DocTestError.self) { try DocTestBlock.blocks(in: "<!-- doc-test: run -->\nno fence\n") }
    }
}
