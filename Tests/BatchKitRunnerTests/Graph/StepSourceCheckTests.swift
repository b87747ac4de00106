import BatchKit
import BatchKitRunner
import Foundation
import TestSupport
import Testing

@Suite struct StepSourceCheckTests {
    func job(_ files: [String]) -> Job {
        Job("j", steps: files.map { file in Step("s", fileID: "MyJob/\(file)") { _ in } })
    }

    @Test func matchingFilesAndStepsAreFine() throws {
        let directory = try TemporaryDirectory()
        try directory.write("Sources/MyJob/01_a.swift", "")
        try directory.write("Sources/MyJob/02_b.swift", "")
        try directory.write("Sources/MyJob/Job.swift", "")
        #expect(StepSourceCheck.problems(job: job(["01_a.swift", "02_b.swift"]), projectDirectory: directory.url).isEmpty)
    }

    @Test func aNumberedFileMissingFromTheJobIsReported() throws {
        let directory = try TemporaryDirectory()
        try directory.write("Sources/MyJob/01_a.swift", "")
        try directory.write("Sources/MyJob/Steps/02_forgotten.swift", "")
        let problems = StepSourceCheck.problems(job: job(["01_a.swift"]), projectDirectory: directory.url)
        #expect(problems.count == 1)
        #expect(problems.first?.contains("Sources/MyJob/Steps/02_forgotten.swift") == true)
        #expect(problems.first?.contains("Sources/MyJob/Job.swift") == true)
    }

    @Test func twoFilesWithOneNumberAreReportedOnce() throws {
        let directory = try TemporaryDirectory()
        try directory.write("Sources/MyJob/01_a.swift", "")
        try directory.write("Sources/MyJob/01_b.swift", "")
        let both = job(["01_a.swift", "01_b.swift"])
        #expect(StepSourceCheck.problems(job: both, projectDirectory: directory.url).isEmpty)
        do {
            _ = try JobRunner(job: both, layout: RunLayout(projectDirectory: directory.url)).validate()
            Issue.record("expected a definition error")
        } catch {
            #expect(error.problems.count == 1)
            #expect(error.problems.first?.contains("MyJob/01_a.swift") == true)
            #expect(error.problems.first?.contains("MyJob/01_b.swift") == true)
            #expect(error.problems.first?.contains("both have id 1") == true)
        }
    }

    @Test func aDeployedBinaryWithoutSourcesIsNotChecked() throws {
        let directory = try TemporaryDirectory()
        #expect(StepSourceCheck.problems(job: job(["01_a.swift"]), projectDirectory: directory.url).isEmpty)
    }
}
