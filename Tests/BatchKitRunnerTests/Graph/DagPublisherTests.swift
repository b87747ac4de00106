@testable import BatchKit
@testable import BatchKitRunner
import Foundation
import TestSupport
import Testing

/// Drawing the DAG is bounded: a size above which no picture is attempted,
/// a time limit on `dot`, and a cancelled run (a signal) stops it at once.
@Suite(.serialized) struct DagPublisherTests {
    /// A DAG `dot` needs seconds for: each step after the first few depends
    /// on six earlier ones, spread out.
    static func denseGraph(steps: Int) throws -> JobGraph {
        let list = (1...steps).map { id in
            let parents = id == 1 ? [] : Array(Set((0..<6).map { StepID(($0 * 37 + id * 11) % (id - 1) + 1) })).sorted()
            return shellStep(StepID(id), "step number \(id)", after: parents, "true")
        }
        return try JobGraph(job: Job("dense", steps: list))
    }

    func publisher(_ directory: TemporaryDirectory) throws -> DagPublisher {
        try directory.write("README.md", "# job\n\n\(ReadmeDagSection.beginMarker)\n\(ReadmeDagSection.endMarker)\n")
        return DagPublisher(layout: RunLayout(projectDirectory: directory.url))
    }

    @Test func aDagAboveTheLimitGetsNoPictureAndSaysSo() async throws {
        let directory = try TemporaryDirectory()
        var publisher = try publisher(directory)
        publisher.pictureStepLimit = 3
        let graph = try JobGraph(job: Job("j", steps: (1...5).map { shellStep(StepID($0), "s\($0)", "true") }))
        let notes = await publisher.publish(DagDocument(jobName: "j", graph: graph))
        #expect(notes.contains { $0.contains("the DAG has 5 steps, more than 3, so no picture was drawn") }, "\(notes)")
        #expect(!FileManager.default.fileExists(atPath: directory.path("docs/dag.svg").path))
        #expect(FileManager.default.fileExists(atPath: directory.path("docs/dag.dot").path), "the source is kept")
        let readme = try directory.read("README.md")
        #expect(readme.contains("The DAG has 5 steps, too many to draw here.") && !readme.contains("```mermaid"))
    }

    @Test func dotThatRunsOutOfTimeIsStoppedAndNamed() async throws {
        guard requireTool("dot", for: "stopping a slow Graphviz render") != nil else { return }
        let directory = try TemporaryDirectory()
        var publisher = try publisher(directory)
        publisher.renderTimeout = 0.3
        let graph = try Self.denseGraph(steps: 200)
        let task = Task { await publisher.publish(DagDocument(jobName: "dense", graph: graph)) }
        var seen: Set<pid_t> = []
        for _ in 0..<100 where seen.isEmpty {
            seen.formUnion(dotProcesses())
            try await Task.sleep(for: .milliseconds(10))
        }
        let notes = await task.value
        #expect(notes.contains { $0.contains("dot did not finish within 0.30 s and was stopped (set BATCHKIT_DOT_TIMEOUT") }, "\(notes)")
        #expect(!FileManager.default.fileExists(atPath: directory.path("docs/dag.svg").path))
        #expect(!seen.isEmpty && seen.isDisjoint(with: dotProcesses()), "the dot it started is not left running")
    }

    @Test func cancellingStopsDotAtOnce() async throws {
        guard requireTool("dot", for: "cancelling a Graphviz render") != nil else { return }
        let directory = try TemporaryDirectory()
        let publisher = try publisher(directory)
        let graph = try Self.denseGraph(steps: 200)
        let before = try directory.read("README.md")
        let task = Task { await publisher.publish(DagDocument(jobName: "dense", graph: graph)) }
        var seen: Set<pid_t> = []
        for _ in 0..<200 where seen.isEmpty {
            seen.formUnion(dotProcesses())
            try await Task.sleep(for: .milliseconds(25))
        }
        #expect(!seen.isEmpty, "dot started")
        task.cancel()
        let notes = await task.value
        #expect(seen.isDisjoint(with: dotProcesses()), "dot was killed, not waited for (it needs seconds on this DAG)")
        #expect(notes.contains { $0.contains("stopped by a signal while Graphviz rendered docs/dag.svg") }, "\(notes)")
        #expect(try directory.read("README.md") == before, "the README is left as it was")
    }
}

/// The `dot` processes that are children of this test process.
func dotProcesses() -> [pid_t] { childProcesses(of: getpid(), named: "dot") }
