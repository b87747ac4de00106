import BatchKit
import BatchKitRunner
@testable import BatchKitCommandLine
import Foundation
import TestSupport
import Testing

@Suite struct JobGraphCommandsTests {
    /// `steps` names a Swift step's file from the job's folder, where an
    /// editor or `git` finds it, not by its `#fileID` (`Nightly/01_extract.swift`).
    @Test func stepsShowsEachFileFromTheJobsFolder() throws {
        let directory = try TemporaryDirectory()
        try directory.write("Sources/Nightly/01_extract.swift", "")
        try directory.write("Sources/Nightly/Loading/02_load.swift", "")
        let job = Job("nightly", steps: [
            Step("Extract", fileID: "Nightly/01_extract.swift") { _ in },
            Step("Load", memory: .megabytes(512), fileID: "Nightly/02_load.swift") { _ in },
            Step("Report", fileID: "Nightly/03_report.swift") { _ in },
        ])
        let listing = JobGraphCommands.listing(try JobGraph(job: job), job: job, projectDirectory: directory.url)
        #expect(listing == """
            01  Extract  (after: -; Sources/Nightly/01_extract.swift)
            02  Load  (after: 01; Sources/Nightly/Loading/02_load.swift; memory 512 MB)
            03  Report  (after: 02; Sources/Nightly/03_report.swift)

            """)
    }

    @Test func aTaskKeepsItsFileAndLine() throws {
        let job = Job("t", steps: [shellStep(1, "hello", "echo hi")])
        let listing = JobGraphCommands.listing(try JobGraph(job: job), job: job, projectDirectory: URL(fileURLWithPath: "/nonexistent"))
        #expect(listing == "01  hello  (after: -; test:1)\n")
    }
}
