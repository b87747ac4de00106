import BatchKit
import BatchKitRunner
import BatchKitCommandLine
import Foundation
import TestSupport
import Testing

/// `batchkit`'s command line, through the real binary.
@Suite struct CommandLineTests {
    func batchkit(_ arguments: [String], in directory: URL) async throws -> CommandResult {
        try await runProgram(try batchkitBinary(), arguments, in: directory)
    }

    @Test func helpAndVersion() async throws {
        let directory = try TemporaryDirectory()
        let help = try await batchkit(["--help"], in: directory.url)
        #expect(help.status == 0)
        for command in ["new NAME", "add step", "upgrade", "--version"] { #expect(help.stdout.contains(command)) }
        let bare = try await batchkit([], in: directory.url)
        #expect(bare.stdout == help.stdout)
        let version = try await batchkit(["--version"], in: directory.url)
        #expect(version.stdout == "batchkit \(BatchKit.version)\n")
    }

    @Test(arguments: ["new", "add", "upgrade"])
    func everySubcommandHasHelp(command: String) async throws {
        let directory = try TemporaryDirectory()
        let help = try await batchkit([command, "--help"], in: directory.url)
        #expect(help.status == 0)
        #expect(help.stdout.hasPrefix("USAGE: batchkit \(command)"))
        await #expect(try batchkit(["help", command], in: directory.url).stdout == help.stdout)
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory.url.path).isEmpty)
    }

    @Test(arguments: [["frobnicate"], ["new"], ["new", "a", "b"], ["new", "job", "--bogus"], ["help", "nope"], ["add", "stp", "x"]])
    func usageErrorsExit64(arguments: [String]) async throws {
        let directory = try TemporaryDirectory()
        let result = try await batchkit(arguments, in: directory.url)
        #expect(result.status == 64)
        #expect(result.stderr.hasPrefix("error: "))
        #expect(result.stderr.contains("--help"))
        #expect(result.stdout.isEmpty)
    }

    /// A mistyped command, of batchkit or of a job, gets the nearest one.
    @Test(arguments: [
        (["nwe", "x"], "unknown command 'nwe' (did you mean new?); commands: add, help, new, pyrunner, run, upgrade"),
        (["help", "upgarde"], "unknown command 'upgarde' (did you mean upgrade?)"),
        (["run", "t.lst", "histroy"], "unknown command 'histroy' (did you mean history?); commands are run, steps, dag"),
        (["run", "t.lst", "--jbos", "2"], "unknown option --jbos for 'batchkit run t.lst' (did you mean --jobs?)"),
        (["run", "t.lst", "prune", "--keep-run", "2"], "(did you mean --keep-runs?)"),
    ])
    func aMistypedCommandOrOptionGetsTheNearestOne(arguments: [String], message: String) async throws {
        let directory = try TemporaryDirectory()
        try directory.write("t.lst", "#SHELL\n1|-1|1|0|hello|echo hi|\n")
        let result = try await batchkit(arguments, in: directory.url)
        #expect(result.status == 64)
        #expect(result.stderr.hasPrefix("error: ") && result.stderr.contains(message), "\(result.stderr)")
        #expect(!FileManager.default.fileExists(atPath: directory.path("logs").path), "nothing ran")
    }

    @Test(arguments: ["my job", "1job", "struct", "a/b", ""])
    func badNamesExit64AndCreateNothing(name: String) async throws {
        let directory = try TemporaryDirectory()
        let result = try await batchkit(["new", name], in: directory.url)
        #expect(result.status == 64)
        #expect(result.stderr.contains("invalid job name"))
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory.url.path).isEmpty)
    }

    @Test func anExistingNonEmptyFolderIsRefusedAndUntouched() async throws {
        let directory = try TemporaryDirectory()
        try directory.write("my-job/notes.txt", "precious")
        let result = try await batchkit(["new", "my-job"], in: directory.url)
        #expect(result.status == 1)
        #expect(result.stderr.contains("already exists and is not empty; nothing was changed"))
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory.path("my-job").path) == ["notes.txt"])
        #expect(try directory.read("my-job/notes.txt") == "precious")
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory.url.path) == ["my-job"], "no staging folder left behind")
    }

    @Test func anEmptyFolderIsUsedAndPathIsHonoured() async throws {
        let directory = try TemporaryDirectory()
        try FileManager.default.createDirectory(at: directory.path("jobs/nightly"), withIntermediateDirectories: true)
        let result = try await batchkit(["new", "nightly", "--path", "jobs"], in: directory.url)
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains("cd jobs/nightly"))
        #expect(FileManager.default.fileExists(atPath: directory.path("jobs/nightly/run.sh").path))
        let elsewhere = try await batchkit(["new", "other", "--path", directory.path("deep/er").path], in: directory.url)
        #expect(elsewhere.status == 0)
        #expect(FileManager.default.fileExists(atPath: directory.path("deep/er/other/Package.swift").path))
    }

    @Test func unknownTemplatesAreUsageErrors() async throws {
        let directory = try TemporaryDirectory()
        let result = try await batchkit(["new", "x", "--template", "nope"], in: directory.url)
        #expect(result.status == 64)
        #expect(result.stderr.contains("unknown template \"nope\"; available: etl"))
    }

    @Test func addStepOutsideAJobSaysSo() async throws {
        let directory = try TemporaryDirectory()
        let result = try await batchkit(["add", "step", "Score"], in: directory.url)
        #expect(result.status == 1)
        #expect(result.stderr.contains("is not inside a batchkit job"))
    }

    /// A long name used to make a file name over 255 bytes ("File name too
    /// long"); a name that starts with a combining mark was not found again,
    /// as the mark makes one `Character` with the literal's opening quote.
    @Test func addStepBoundsLongNamesAndFindsEveryNameAgain() async throws {
        let directory = try TemporaryDirectory()
        await #expect(try batchkit(["new", "my-job"], in: directory.url).status == 0)
        let job = directory.path("my-job")
        let long = try await batchkit(["add", "step", String(repeating: "n", count: 300)], in: job)
        #expect(long.status == 0, "\(long.stderr)")
        let file = "06_" + String(repeating: "n", count: 83) + "_a4cf91b7088f4495.swift"
        #expect(long.stdout.contains("Created Sources/MyJob/\(file)"), "\(long.stdout)")
        #expect(FileManager.default.fileExists(atPath: job.appendingPathComponent("Sources/MyJob/\(file)").path))

        let marked = "\u{301}accent \"\u{301}quoted\""
        #expect(try await batchkit(["add", "step", marked], in: job).status == 0)
        let again = try await batchkit(["add", "step", marked], in: job)
        #expect(again.status == 64)
        #expect(again.stderr.contains("already exists in Sources/MyJob/07_accent_quoted.swift"), "\(again.stderr)")
    }

    @Test func addStepCreatesTheNextNumberedFileAndWiresIt() async throws {
        let directory = try TemporaryDirectory()
        await #expect(try batchkit(["new", "my-job"], in: directory.url).status == 0)
        let job = directory.path("my-job")
        let sources = job.appendingPathComponent("Sources/MyJob")
        let added = try await batchkit(["add", "step", "Score model", "--after", "2,3"], in: sources)
        #expect(added.status == 0, "\(added.stderr)")
        #expect(added.stdout.contains("Sources/MyJob/06_score_model.swift"))
        let file = try String(contentsOf: sources.appendingPathComponent("06_score_model.swift"), encoding: .utf8)
        #expect(file.contains("static let scoreModel = Step(\"Score model\", after: [2, 3],\n        reads: [],\n        writes: []) { context in"), "\(file)")
        #expect(file.contains("A step that declares\n    /// neither always runs."), "\(file)")
        let list = try String(contentsOf: sources.appendingPathComponent("Job.swift"), encoding: .utf8)
        #expect(list.contains("        .load,\n        .scoreModel,\n    ],"))
        // The README's Steps table lists it after the template's steps, and the rest of the README is kept.
        let listedOnce = try String(contentsOf: job.appendingPathComponent("README.md"), encoding: .utf8)
        #expect(added.stdout.contains("Listed it in README.md's Steps table"), "\(added.stdout)")
        let loadRow = "| `Sources/MyJob/05_load.swift` | Load | 04 | `data/staging/daily_revenue.csv`, `data/rejects/orders_rejected.csv` | `data/output/daily_revenue.csv`, `data/output/summary.json` |\n"
        #expect(listedOnce.contains(loadRow + "| `Sources/MyJob/06_score_model.swift` | Score model | 02, 03 | — | — |\n\n"), "\(listedOnce)")

        let duplicate = try await batchkit(["add", "step", "score MODEL"], in: job)
        #expect(duplicate.status == 64)
        #expect(duplicate.stderr.contains("a step named \"score MODEL\" already exists in Sources/MyJob/06_score_model.swift"))

        let again = try await batchkit(["add", "step", "Score-model!"], in: job)
        #expect(again.status == 0)
        let readme = try String(contentsOf: job.appendingPathComponent("README.md"), encoding: .utf8)
        #expect(readme == listedOnce.replacingOccurrences(
            of: "| Score model | 02, 03 | — | — |\n",
            with: "| Score model | 02, 03 | — | — |\n| `Sources/MyJob/07_score_model.swift` | Score-model! | 06 | — | — |\n"),
                "the default parent is the previous step; nothing else changes")
        #expect(try String(contentsOf: sources.appendingPathComponent("07_score_model.swift"), encoding: .utf8)
            .contains("static let scoreModel2 = Step(\"Score-model!\",\n"))

        let emptyID = try await batchkit(["add", "step", "Gap", "--after", "2,,3"], in: job)
        #expect(emptyID.status == 64)

        // A property named like a global function would hide it inside the body.
        let shadow = try await batchkit(["add", "step", "Abort"], in: job)
        #expect(shadow.status == 0)
        #expect(try String(contentsOf: sources.appendingPathComponent("08_abort.swift"), encoding: .utf8).contains("static let abortStep = Step(\"Abort\",\n"))
        try FileManager.default.removeItem(at: sources.appendingPathComponent("08_abort.swift"))
        let withAbort = try String(contentsOf: sources.appendingPathComponent("Job.swift"), encoding: .utf8)
        try Data(withAbort.replacingOccurrences(of: "        .abortStep,\n", with: "").utf8).write(to: sources.appendingPathComponent("Job.swift"))

        try Data("import BatchKit\nextension Step { static let byHand = Step(\"By hand\") { _ in } }\n".utf8)
            .write(to: sources.appendingPathComponent("08_by_hand.swift"))
        // A README rewritten without the table: the step is still added, with a note.
        try Data("# My job\n\nWritten by hand.\n".utf8).write(to: job.appendingPathComponent("README.md"))
        let warned = try await batchkit(["add", "step", "Écrire fichier"], in: job)
        #expect(warned.status == 0)
        #expect(warned.stdout.contains("Note: README.md has no Steps table (a Markdown table with File and Step columns), so the step is not listed there"), "\(warned.stdout)")
        #expect(try String(contentsOf: job.appendingPathComponent("README.md"), encoding: .utf8) == "# My job\n\nWritten by hand.\n")
        #expect(warned.stdout.contains("Created Sources/MyJob/09_ecrire_fichier.swift"))
        #expect(warned.stdout.contains("Note: Sources/MyJob/08_by_hand.swift declares a step that is not in the `steps:` list"))
        try FileManager.default.removeItem(at: sources.appendingPathComponent("08_by_hand.swift"))
        try FileManager.default.removeItem(at: sources.appendingPathComponent("09_ecrire_fichier.swift"))
        let listed = try String(contentsOf: sources.appendingPathComponent("Job.swift"), encoding: .utf8)
        try Data(listed.replacingOccurrences(of: "        .ecrireFichier,\n", with: "").utf8).write(to: sources.appendingPathComponent("Job.swift"))

        let before = try String(contentsOf: sources.appendingPathComponent("Job.swift"), encoding: .utf8)
        let bad = try await batchkit(["add", "step", "Ghost", "--after", "42"], in: job)
        #expect(bad.status == 64)
        #expect(bad.stderr.contains("there is no step 42"))
        #expect(try String(contentsOf: sources.appendingPathComponent("Job.swift"), encoding: .utf8) == before)
        #expect(!FileManager.default.fileExists(atPath: sources.appendingPathComponent("08_ghost.swift").path))
    }

    @Test func upgradeRestoresTheVendoredRuntimeAndRecordsItsVersion() async throws {
        let directory = try TemporaryDirectory()
        await #expect(try batchkit(["new", "up"], in: directory.url).status == 0)
        let vendor = directory.path("up/Vendor/BatchKit")
        try Data("0.0.1\n".utf8).write(to: vendor.appendingPathComponent("VERSION"))
        try Data("// stale\n".utf8).write(to: vendor.appendingPathComponent("Sources/BatchKit/BatchKit.swift"))
        try Data("// gone upstream\n".utf8).write(to: vendor.appendingPathComponent("Sources/BatchKit/Removed.swift"))
        let result = try await batchkit(["upgrade"], in: directory.path("up"))
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains("from 0.0.1 to \(BatchKit.version): 1 changed (Sources/BatchKit/BatchKit.swift), 1 only in the job (Sources/BatchKit/Removed.swift)"), "\(result.stdout)")
        #expect(try String(contentsOf: vendor.appendingPathComponent("VERSION"), encoding: .utf8) == "\(BatchKit.version)\n")
        let restored = try String(contentsOf: vendor.appendingPathComponent("Sources/BatchKit/BatchKit.swift"), encoding: .utf8)
        #expect(restored.contains("public static let version"))
        #expect(!FileManager.default.fileExists(atPath: vendor.appendingPathComponent("Sources/BatchKit/Removed.swift").path))
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: vendor.appendingPathComponent("Sources").path)
        #expect(leftovers.sorted() == ["BatchKit", "BatchKitCluster", "BatchKitCommandLine", "BatchKitNotify", "BatchKitParallel", "BatchKitRunner", "BatchKitSchedule", "CBatchKitSpawn"])
    }

    /// Every file and folder of the job's vendored copy and manifest, with its
    /// modification time, after setting them all to 2020-01-01: a file
    /// rewritten since then, even with the same bytes, shows a newer time.
    static func agedTimes(_ job: URL) throws -> [String: Date] {
        let old = Date(timeIntervalSince1970: 1_577_836_800)
        var paths = ["Package.swift", "Vendor"]
        let enumerator = FileManager.default.enumerator(atPath: job.appendingPathComponent("Vendor").path)
        while let path = enumerator?.nextObject() as? String { paths.append("Vendor/" + path) }
        for path in paths {
            try FileManager.default.setAttributes([.modificationDate: old], ofItemAtPath: job.appendingPathComponent(path).path)
        }
        return try times(job, paths)
    }

    static func times(_ job: URL, _ paths: [String]) throws -> [String: Date] {
        var times: [String: Date] = [:]
        for path in paths {
            let attributes = try FileManager.default.attributesOfItem(atPath: job.appendingPathComponent(path).path)
            times[path] = attributes[.modificationDate] as? Date
        }
        return times
    }

    /// `upgrade` writes only what differs, so `run.sh` and SwiftPM rebuild
    /// only for that: a second upgrade, or one of a job already current,
    /// touches no file and no folder.
    @Test func upgradeWritesOnlyTheFilesThatDiffer() async throws {
        let directory = try TemporaryDirectory()
        await #expect(try batchkit(["new", "twice"], in: directory.url).status == 0)
        let job = directory.path("twice")
        let vendor = job.appendingPathComponent("Vendor/BatchKit")

        let current = try Self.agedTimes(job)
        let already = try await batchkit(["upgrade"], in: job)
        #expect(already.status == 0, "\(already.stderr)")
        #expect(already.stdout.contains("it already matched this batchkit, so nothing was written ("), "\(already.stdout)")
        #expect(try Self.times(job, Array(current.keys)) == current, "an upgrade with nothing to change touched files")

        try Data("0.0.1\n".utf8).write(to: vendor.appendingPathComponent("VERSION"))
        try Data("// stale\n".utf8).write(to: vendor.appendingPathComponent("Sources/BatchKit/BatchKit.swift"))
        let before = try Self.agedTimes(job)
        let first = try await batchkit(["upgrade"], in: job)
        #expect(first.status == 0, "\(first.stderr)")
        #expect(first.stdout.contains("from 0.0.1 to \(BatchKit.version): 1 changed (Sources/BatchKit/BatchKit.swift); 2 files written, "), "\(first.stdout)")
        let touched = try Self.times(job, Array(before.keys)).filter { before[$0.key] != $0.value }.keys.sorted()
        #expect(touched == ["Vendor/BatchKit", "Vendor/BatchKit/Sources/BatchKit", "Vendor/BatchKit/Sources/BatchKit/BatchKit.swift", "Vendor/BatchKit/VERSION"],
                "only the two files that differed (and their folders, for the rename)")

        let after = try Self.agedTimes(job)
        let second = try await batchkit(["upgrade"], in: job)
        #expect(second.status == 0, "\(second.stderr)")
        #expect(second.stdout.contains("it already matched this batchkit, so nothing was written"), "\(second.stdout)")
        #expect(try Self.times(job, Array(after.keys)) == after, "the second upgrade touched files")
    }

    @Test func upgradeRefusesToDiscardHandEditsWithoutForce() async throws {
        let directory = try TemporaryDirectory()
        await #expect(try batchkit(["new", "edited"], in: directory.url).status == 0)
        let job = directory.path("edited")
        let file = job.appendingPathComponent("Vendor/BatchKit/Sources/BatchKit/Data/CSV.swift")
        let manifest = job.appendingPathComponent("Vendor/BatchKit/Package.swift")
        try Data((try String(contentsOf: manifest, encoding: .utf8) + "// mine\n").utf8).write(to: manifest)
        try Data("// my local patch\n".utf8).write(to: file)
        let refused = try await batchkit(["upgrade"], in: job)
        #expect(refused.status == 1)
        #expect(refused.stderr.contains("was edited by hand: 2 changed (Package.swift, Sources/BatchKit/Data/CSV.swift)"), "\(refused.stderr)")
        #expect(try String(contentsOf: file, encoding: .utf8) == "// my local patch\n")
        let forced = try await batchkit(["upgrade", "--force"], in: job)
        #expect(forced.status == 0)
        #expect(try String(contentsOf: file, encoding: .utf8) != "// my local patch\n")
        let clean = try await batchkit(["upgrade"], in: job)
        #expect(clean.stdout.contains("it already matched this batchkit"))
    }
}
