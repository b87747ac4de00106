@testable import BatchKitCLI
import Testing

@Suite struct StepsTableTests {
    static let readme = """
        # job

        Some text with a table that is not the steps':

        | Name | Value |
        | --- | --- |
        | a | 1 |

        ## Steps

        | File | Step | After | Reads | Writes |
        | --- | --- | --- | --- | --- |
        | `Sources/J/01_extract.swift` | Extract | — | `in.csv` | `raw.csv` |
        | `Sources/J/02_load.swift` | Load | 01 | `raw.csv` | `out.csv` |

        My own notes, kept.

        """

    @Test func aRowGoesAfterTheLastRowOfTheStepsTableAndNothingElseChanges() throws {
        let row = StepsTable.Row(file: "Sources/J/03_score_model.swift", name: "Score model", after: ["01", "02"])
        let updated = try #require(StepsTable.appending(row, to: Self.readme))
        #expect(updated == Self.readme.replacingOccurrences(
            of: "| `raw.csv` | `out.csv` |\n",
            with: "| `raw.csv` | `out.csv` |\n| `Sources/J/03_score_model.swift` | Score model | 01, 02 | — | — |\n"))
    }

    @Test func columnsAreFilledByTheirNamesInTheUsersOrder() throws {
        let readme = "| Step | File |\n|:---|---:|\n| A | `a.swift` |\n"
        let row = StepsTable.Row(file: "Sources/J/02_b.swift", name: "B | C", after: ["01"])
        #expect(StepsTable.appending(row, to: readme) == readme + "| B \\| C | `Sources/J/02_b.swift` |\n")
    }

    @Test func crlfLineEndingsAreKept() throws {
        let readme = "| File | Step |\r\n| --- | --- |\r\n| `a` | A |\r\nend\r\n"
        let row = StepsTable.Row(file: "b", name: "B", after: [])
        #expect(StepsTable.appending(row, to: readme) == "| File | Step |\r\n| --- | --- |\r\n| `a` | A |\r\n| `b` | B |\r\nend\r\n")
    }

    @Test(arguments: [
        "# job\n\nNo table at all.\n",
        "| Name | Value |\n| --- | --- |\n| a | 1 |\n",
        "| File | Step |\nnot a separator\n",
    ])
    func noStepsTableIsNil(readme: String) {
        #expect(StepsTable.appending(StepsTable.Row(file: "f", name: "n", after: []), to: readme) == nil)
    }

    @Test func cellsKeepAnEscapedBar() {
        #expect(StepsTable.cells("| a \\| b | c |") == ["a \\| b", "c"])
        #expect(StepsTable.cells("not a row").isEmpty)
    }
}
