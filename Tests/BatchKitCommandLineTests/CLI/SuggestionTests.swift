@testable import BatchKitCommandLine
import Testing

@Suite struct SuggestionTests {
    static let commands = ["run", "steps", "dag", "report", "history", "export", "schedule", "prune", "help", "version"]

    @Test(arguments: [("histroy", "history"), ("shedule", "schedule"), ("STEPS", "steps"), ("prun", "prune"), ("--jbos", "--jobs")])
    func aCloseNameIsSuggested(typed: String, expected: String) {
        #expect(Suggestion.closest(to: typed, among: Self.commands + ["--jobs", "--json"]) == expected)
        #expect(Suggestion.hint(for: typed, among: Self.commands + ["--jobs", "--json"]) == " (did you mean \(expected)?)")
    }

    @Test(arguments: ["frobnicate", "deploy", ""])
    func aFarNameGetsNoSuggestion(typed: String) {
        #expect(Suggestion.closest(to: typed, among: Self.commands) == nil)
        #expect(Suggestion.hint(for: typed, among: Self.commands) == "")
    }
}
