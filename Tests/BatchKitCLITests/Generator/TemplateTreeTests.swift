import BatchKit
import BatchKitRunner
import BatchKitCommandLine
@testable import BatchKitCLI
import Foundation
import TestSupport
import Testing

@Suite struct TemplateTreeTests {
    /// Values are put in once: a value that looks like a placeholder (a step
    /// named `{{B}}`) stays as it is, whatever order the keys come in.
    @Test func placeholdersAreFilledInOnePass() {
        let tree = TemplateTree(source: URL(fileURLWithPath: "/none"), values: ["A": "{{B}}", "B": "{{C}}", "C": "{{A}}", "D": "é\u{301}"])
        #expect(tree.fill("{{A}} {{B}} {{C}} {{D}}\u{301} {{E}} {{ x }}") == "{{B}} {{C}} {{A}} é\u{301}\u{301} {{E}} {{ x }}")
    }
}
