import BatchKit
import BatchKitRunner
import Foundation
import TestSupport
import Testing

@Suite struct ShellWordTests {
    static let words = ["it'\u{301}s", "'\u{1F3FB}", "end'\u{301}", "plain", "a b", "", "--name=x'\u{301}", "--job-name=t.01_one"]

    /// A `'` that a combining mark or an emoji modifier follows is one
    /// `Character` with it; `sh` reads bytes and still sees a quote. The real
    /// shell gives back every word exactly.
    @Test func wordsWithAQuoteThatAMarkFollowsSurviveTheShell() async throws {
        let quoted = Self.words.map(ShellWord.quoted) + Self.words.map(ShellWord.singleQuoted) + Self.words.map(ShellWord.quotedArgument)
        let result = try await runProgram("/bin/sh", ["-c", "printf '<%s>\\n' " + quoted.joined(separator: " ")], in: URL(fileURLWithPath: "/"))
        #expect(result.status == 0, "\(result.stderr)")
        let expected = (Self.words + Self.words + Self.words).map { "<\($0)>\n" }.joined()
        #expect(Array(result.stdout.unicodeScalars) == Array(expected.unicodeScalars))
        // Only words that need quotes get them.
        #expect(ShellWord.quoted("/srv/job/run.sh") == "/srv/job/run.sh")
        #expect(ShellWord.quoted("a=b") == "'a=b'", "a first word like a=b would be an assignment")
        #expect(ShellWord.quotedArgument("--job-name=t.01_one") == "--job-name=t.01_one")
        #expect(ShellWord.quotedArgument("--output=/x/%j.out") == "'--output=/x/%j.out'")
    }
}
