@testable import BatchKitCommandLine
import Testing

@Suite struct HelpTextTests {
    /// A short label shares its line with its text; one too long to leave two
    /// spaces before the column gets a line of its own, so every text starts
    /// in the same column.
    @Test func textStartsInOneColumnWhateverTheLabel() {
        let text = HelpText.rows([
            (label: "--jobs N", text: "Run at most N slots.\nMore on a second line."),
            (label: "-N, --norun IDS", text: "Do not run these tasks."),
            (label: "-c, --config PROFILE", text: "The app profile.\nIts second line."),
            (label: "--dryrun", text: ""),
        ])
        #expect(text == """
              --jobs N        Run at most N slots.
                              More on a second line.
              -N, --norun IDS
                              Do not run these tasks.
              -c, --config PROFILE
                              The app profile.
                              Its second line.
              --dryrun

            """)
    }
}
