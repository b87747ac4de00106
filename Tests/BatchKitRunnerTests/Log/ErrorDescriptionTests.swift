import BatchKit
import BatchKitRunner
import Foundation
import TestSupport
import Testing

@Suite struct ErrorDescriptionTests {
    struct Localized: LocalizedError { var errorDescription: String? { "the model is stale" } }
    struct Described: Error, CustomStringConvertible { var description: String { "plain description" } }

    @Test func localizedErrorsUseTheirDescription() {
        #expect(ErrorDescription.of(Localized()) == "the model is stale")
        #expect(ErrorDescription.of(Described()) == "plain description")
    }

    @Test func foundationErrorsNameTheFileInsteadOfDumpingUserInfo() {
        do {
            _ = try Data(contentsOf: URL(fileURLWithPath: "/nonexistent/input.csv"))
            Issue.record("expected an error")
        } catch {
            let text = ErrorDescription.of(error)
            #expect(text.contains("/nonexistent/input.csv"))
            #expect(!text.contains("UserInfo"))
            #expect(!text.contains("Domain="))
        }
    }

    @Test func aSwiftTrapsCauseIsFoundInItsLog() throws {
        let directory = try TemporaryDirectory()
        try directory.write("step.log", "work\nJob/05_x.swift:7: Fatal error: Index out of range\n💣 Program crashed\n#0 0x0000 in foo\n")
        #expect(LogTail.fatalError(in: directory.path("step.log")) == "Job/05_x.swift:7: Fatal error: Index out of range")
        #expect(LogTail.fatalError(in: directory.path("missing.log")) == nil)
        #expect(LogTail.lines(of: directory.path("step.log"), count: 2) == ["💣 Program crashed", "#0 0x0000 in foo"])
    }
}
