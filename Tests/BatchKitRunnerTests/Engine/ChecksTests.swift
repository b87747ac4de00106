@testable import BatchKit
@testable import BatchKitRunner
import Foundation
import TestSupport
import Testing

@Suite struct ChecksTests {
    func run(_ check: Check, in directory: TemporaryDirectory) async -> CheckResult {
        await check.run(in: CheckContext(projectDirectory: directory.url))
    }

    @Test func builtInChecksPassOnGoodOutput() async throws {
        let directory = try TemporaryDirectory()
        try directory.write("out.csv", "day,revenue\r\n2026-11-02,10.50\r\n2026-11-03,0\r\n")
        for check in [
            Check.fileNotEmpty("out.csv"), .csvRowCount("out.csv", atLeast: 2), .csvRowCount("out.csv", in: 1...2),
            .csvHasColumns("out.csv", ["day", "revenue"]), .csvValues("out.csv", column: "revenue", in: 0...100),
        ] {
            let result = await run(check, in: directory)
            #expect(result.status == .pass, "\(result.name): \(result.message)")
        }
    }

    @Test func builtInChecksExplainFailures() async throws {
        let directory = try TemporaryDirectory()
        try directory.write("empty.csv", "")
        try directory.write("out.csv", "day,revenue\r\n2026-11-02,-1\r\n2026-11-03,abc\r\n")
        let cases: [(Check, String)] = [
            (.fileNotEmpty("missing.csv"), "missing.csv does not exist"),
            (.fileNotEmpty("empty.csv"), "empty.csv is empty"),
            (.csvRowCount("out.csv", atLeast: 3), "has 2 rows, expected at least 3"),
            (.csvHasColumns("out.csv", ["day", "units"]), "lacks column units"),
            (.csvValues("out.csv", column: "revenue", in: 0...100), "line 2: revenue is -1"),
            (.csvValues("out.csv", column: "nope", in: 0...1), "has no column nope"),
        ]
        for (check, message) in cases {
            let result = await run(check, in: directory)
            #expect(result.status == .fail)
            #expect(result.message.contains(message), "\(result.message)")
        }
    }

    @Test func customChecksPassWithADetailAndFailWithAnyError() async throws {
        let directory = try TemporaryDirectory()
        struct Boom: Error, CustomStringConvertible { var description: String { "boom" } }
        let pass = await run(Check("fine") { _ in "all good" }, in: directory)
        #expect(pass.status == .pass && pass.message == "all good")
        let failure = await run(Check("bad") { _ in throw CheckFailure("totals differ") }, in: directory)
        #expect(failure.status == .fail && failure.message == "totals differ")
        let other = await run(Check("other") { _ in throw Boom() }, in: directory)
        #expect(other.status == .fail && other.message == "boom")
    }
}
