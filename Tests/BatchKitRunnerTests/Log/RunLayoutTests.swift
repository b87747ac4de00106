import BatchKit
import BatchKitRunner
import Foundation
import TestSupport
import Testing

@Suite struct RunLayoutTests {
    static let longNames = [String(repeating: "n", count: 300), String(repeating: "é", count: 200), String(repeating: "Load orders ", count: 40)]

    /// A file name may have 255 bytes at most; longer, every attempt fails
    /// with "File name too long" before the step starts.
    @Test(arguments: longNames)
    func fileNamesMadeFromALongStepNameFitInAFileName(name: String) {
        let layout = RunLayout(projectDirectory: URL(fileURLWithPath: "/job"))
        let step = shellStep(StepID(123_456), name, "true")
        let names = [
            layout.stepLog(runID: "r", step: step, attempt: 1),
            layout.stepLog(runID: "r", step: step, attempt: 1_000_000),
            layout.slurmOutput(runID: "r", step: step, job: "4294967295"),
            layout.lockFile(job: name),
            layout.processGroups(job: name),
        ].map(\.lastPathComponent)
        for file in names { #expect(file.utf8.count <= 255, "\(file.utf8.count) bytes: \(file)") }
        #expect(names[0] == "123456_\(StepFileName.slug(name)).log")
        #expect(layout.stepLog(runID: "r", step: step, attempt: 1) == layout.stepLog(runID: "r", step: shellStep(StepID(123_456), name, "false"), attempt: 1),
                "the same name gives the same file, run after run")
    }
}
