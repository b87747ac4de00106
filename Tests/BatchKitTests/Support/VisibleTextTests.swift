import BatchKit
import Testing

@Suite struct VisibleTextTests {
    /// Control characters become Swift-style escapes; ordinary text,
    /// combining marks, emoji sequences and backslashes are left alone.
    @Test func controlCharactersAreShownAsEscapesAndNothingElse() {
        let shown = [
            ("clear\u{1B}[2Jscreen", #"clear\u{1B}[2Jscreen"#),
            ("title\u{1B}]0;pwned\u{07}", #"title\u{1B}]0;pwned\u{7}"#),
            ("back\rover", #"back\rover"#),
            ("two\nlines\ttab\0nul", #"two\nlines\ttab\0nul"#),
            ("del\u{7F} csi\u{9B}", #"del\u{7F} csi\u{9B}"#),
            ("bidi \u{202E}txt.exe", #"bidi \u{202E}txt.exe"#),
            ("sep\u{2028}", #"sep\u{2028}"#),
        ]
        for (text, escaped) in shown { #expect(VisibleText.line(text) == escaped) }
        for text in ["Load orders", "say \"\u{301}hi", "日本語 ✓ 👍🏻", "C:\\path", "a\u{200D}b"] {
            #expect(VisibleText.line(text) == text)
        }
    }

    @Test func linesKeepsLineFeedsButNotCarriageReturns() {
        #expect(VisibleText.lines("one\ntwo\r\n\u{1B}[K") == "one\ntwo\\r\n\\u{1B}[K")
    }
}
