import BatchKit
import BatchKitRunner
import BatchKitCommandLine
@testable import BatchKitCLI
import Foundation
import TestSupport
import Testing

@Suite struct StepAdderTests {
    static let names = [
        "say \"\u{301}hi", "\"\u{1F3FB}\",", "back \\\u{301}slash", "\u{301}starts with a mark", "bell\u{07} esc\u{1B}[2J nul\0 cr\r",
        "bidi \u{202E}cod", "tab\there", "{{STEP_PROPERTY}}",
    ]

    /// The real compiler reads each literal back as the exact name: a quote
    /// that a mark follows is escaped, and control characters (which Swift
    /// refuses raw: "unprintable ASCII character found in source file") are
    /// written as escapes.
    @Test func nameLiteralsCompileToTheExactName() async throws {
        guard let swiftc = requireTool("swiftc", for: "compiling generated string literals") else { return }
        let directory = try TemporaryDirectory()
        let source = "let names = [\n" + Self.names.map { "    " + StepAdder.swiftStringLiteral($0) + "," }.joined(separator: "\n")
            + "\n]\nfor name in names { print(name.unicodeScalars.map { String($0.value) }.joined(separator: \" \")) }\n"
        try directory.write("main.swift", source)
        let build = try await runProgram(swiftc, ["main.swift", "-o", "names"], in: directory.url)
        #expect(build.status == 0, "\(build.stderr)\n\(source)")
        let run = try await runProgram(directory.path("names").path, [], in: directory.url)
        #expect(run.stdout == Self.names.map { $0.unicodeScalars.map { String($0.value) }.joined(separator: " ") + "\n" }.joined())
        // `add step` reads the names back from the files the same way.
        for name in Self.names {
            let literal = StepAdder.swiftStringLiteral(name)
            let parsed = StepAdder.literalText(Substring(literal + ") { context in }").unicodeScalars.dropFirst())
            #expect(Array(parsed.unicodeScalars) == Array(name.unicodeScalars), "\(literal)")
        }
    }


}
