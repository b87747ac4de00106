import BatchKit
import Foundation
import Testing

@Suite struct StepIDTests {
    @Test func encodesAsANumberAndKeysObjectsByItsNumber() throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        let json = try encoder.encode(["ids": [StepID(3), 12]] as [String: [StepID]])
        #expect(String(decoding: json, as: UTF8.self) == #"{"ids":[3,12]}"#)
        let keyed = try encoder.encode([StepID(2): "b", 10: "j"])
        #expect(String(decoding: keyed, as: UTF8.self) == #"{"10":"j","2":"b"}"#)
        #expect(try JSONDecoder().decode([StepID: String].self, from: keyed) == [2: "b", 10: "j"])
    }

    @Test func readsIdsThatOlderFilesWroteAsText() throws {
        #expect(try JSONDecoder().decode([StepID].self, from: Data(#"["3", 4]"#.utf8)) == [3, 4])
        #expect(throws: DecodingError.self) { try JSONDecoder().decode([StepID].self, from: Data(#"["three"]"#.utf8)) }
    }

    @Test func showsTwoDigitsToPeopleAndTheNumberToFiles() {
        #expect(StepID(7).display == "07")
        #expect(StepID(123).display == "123")
        #expect("\(StepID(7))" == "7")
        #expect(StepID("07") == 7 && StepID("x") == nil)
        #expect([StepID(10), 2, 7].sorted() == [2, 7, 10])
    }
}

@Suite struct StatusTests {
    @Test func outcomesAreTheHistoryWordsAndNothingElse() {
        #expect(Status(outcome: "PASS") == .pass)
        #expect(Status(outcome: "SKIPPED") == .skipped)
        #expect(Status(outcome: "RUNNING") == nil)
        #expect(Status(outcome: "pass") == nil)
        #expect(Status(outcome: "CACHED") == .cached)
        #expect(Status.allCases.filter(\.isOutcome) == [.pass, .cached, .fail, .skipped])
        #expect(Status.allCases.filter(\.isSuccess) == [.pass, .cached], "a CACHED step counts as passed")
    }

    @Test func decodesEitherCaseSoOlderStateFilesLoad() throws {
        let decoded = try JSONDecoder().decode([Status].self, from: Data(#"["pass","RUNNING","pending"]"#.utf8))
        #expect(decoded == [.pass, .running, .pending])
        #expect(throws: DecodingError.self) { try JSONDecoder().decode([Status].self, from: Data(#"["done"]"#.utf8)) }
    }
}
