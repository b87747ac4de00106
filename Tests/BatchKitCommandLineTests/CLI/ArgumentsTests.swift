import BatchKit
import BatchKitRunner
import BatchKitNotify
import BatchKitCommandLine
import TestSupport
import Testing

@Suite struct ArgumentsTests {
    @Test func parsesFlagsOptionsAndPositionals() throws {
        let parsed = try Arguments(
            ["name", "--path", "dir", "--jobs=4", "--help", "--", "--literal"],
            flags: ["--help"], options: ["--path", "--jobs"], command: "x")
        #expect(parsed.positionals == ["name", "--literal"])
        #expect(parsed.value("--path") == "dir")
        #expect(try parsed.positiveInt("--jobs", command: "x") == 4)
        #expect(parsed.has("--help"))
    }

    @Test func anInlineValueMayStartWithACombiningMark() throws {
        let parsed = try Arguments(["--path=\u{301}dir", "--jobs=\u{1F3FB}"], flags: [], options: ["--path", "--jobs"], command: "x")
        #expect(parsed.value("--path").map { Array($0.unicodeScalars) } == Array("\u{301}dir".unicodeScalars))
        #expect(parsed.value("--jobs").map { Array($0.unicodeScalars) } == ["\u{1F3FB}"])
    }

    @Test(arguments: [["--nope"], ["--path"], ["--help=yes"]])
    func badCommandLinesAreUsageErrors(arguments: [String]) {
        #expect(throws: UsageError.self) {
            try Arguments(arguments, flags: ["--help"], options: ["--path"], command: "batchkit new")
        }
    }

    @Test(arguments: ["0", "-1", "two"])
    func jobsMustBePositive(value: String) throws {
        let parsed = try Arguments(["--jobs", value], flags: [], options: ["--jobs"], command: "x")
        #expect(throws: UsageError.self) { try parsed.positiveInt("--jobs", command: "x") }
    }

    @Test func usageErrorsPointToHelp() {
        #expect(UsageError("bad", command: "batchkit new").description == "bad\nRun 'batchkit new --help' for usage.")
        #expect(ExitCode.usage.rawValue == 64)
    }
}
