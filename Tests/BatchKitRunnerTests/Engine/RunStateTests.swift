@testable import BatchKit
@testable import BatchKitRunner
import Foundation
import TestSupport
import Testing

@Suite struct RunStateTests {
    func state() -> RunState {
        RunState(runID: "r1", job: "j", startedAt: Date(timeIntervalSince1970: 1_800_000_000),
                 steps: [shellStep(1, "a", "true"), shellStep(2, "b", "true")])
    }

    /// The loaded state, without the snapshot generation the store adds.
    func loaded(_ layout: RunLayout) -> RunState? {
        var state = RunStateStore(layout: layout).load("r1")
        state?.generation = nil
        return state
    }

    @Test func savesAreJournalledAndReplayed() throws {
        let directory = try TemporaryDirectory()
        let layout = RunLayout(projectDirectory: directory.url)
        let store = RunStateStore(layout: layout)
        var state = state()
        try store.save(state)
        #expect(FileManager.default.fileExists(atPath: store.url("r1").path))
        state[step: 1]?.status = .running
        state[step: 1]?.attempts = 1
        try store.save(state)
        state[step: 1]?.status = .pass
        state.context["k"] = "\"v\""
        try store.save(state)
        let journal = try String(contentsOf: store.journalURL("r1"), encoding: .utf8)
        #expect(journal.split(separator: "\n").count == 2, "each save after the first appends one line")
        #expect(!journal.contains("\"2\""), "only what changed is written")
        #expect(loaded(layout) == state)

        try store.save(state, snapshot: true)
        #expect(!FileManager.default.fileExists(atPath: store.journalURL("r1").path))
        #expect(loaded(layout) == state)
    }

    @Test func aStateWrittenByBatchkit01Loads() throws {
        // 0.1 wrote lowercase statuses and removed steps' ids as text.
        let directory = try TemporaryDirectory()
        let layout = RunLayout(projectDirectory: directory.url)
        try FileManager.default.createDirectory(at: layout.runDirectory("r1"), withIntermediateDirectories: true)
        try Data("""
            {"runID":"r1","job":"j","startedAt":"2027-01-15T08:00:00Z","phase":"running","resumes":0,"context":{},
             "steps":{"1":{"name":"a","status":"pass","attempts":1},"2":{"name":"b","status":"running","attempts":2}}}
            """.utf8).write(to: layout.stateFile("r1"))
        try Data(#"{"steps":{"2":{"name":"b","status":"fail","attempts":2}},"removedSteps":["1"]}"#.utf8 + [0x0A])
            .write(to: layout.stateJournal("r1"))
        let state = try #require(loaded(layout))
        #expect(state[step: 1] == nil)
        #expect(state[step: 2]?.status == .fail && state[step: 2]?.attempts == 2)
    }

    @Test func aTornJournalLineIsIgnored() throws {
        let directory = try TemporaryDirectory()
        let layout = RunLayout(projectDirectory: directory.url)
        let store = RunStateStore(layout: layout)
        var state = state()
        try store.save(state)
        state[step: 2]?.status = .fail
        try store.save(state)
        let handle = try FileHandle(forWritingTo: store.journalURL("r1"))
        try handle.seekToEnd()
        try handle.write(contentsOf: Data("{\"steps\":{\"1\":{\"na".utf8))
        try handle.close()
        #expect(loaded(layout) == state)
    }

    @Test func latestIsTheNewestRun() throws {
        let directory = try TemporaryDirectory()
        let store = RunStateStore(layout: RunLayout(projectDirectory: directory.url))
        for id in ["20260101T000000.000Z-aaaa", "20260101T000000.001Z-0000"] {
            try store.save(RunState(runID: id, job: "j", startedAt: Date(), steps: []), snapshot: true)
        }
        #expect(store.latest()?.runID == "20260101T000000.001Z-0000")
    }

    @Test func sharedValuesAreTypedAndTrackChanges() throws {
        let context = SharedContext(["given": "42"])
        #expect(try context.get("given", as: Int.self) == 42)
        #expect(try context.get("missing", as: String.self) == nil)
        try context.set("date", "2026-11-21")
        try context.set("files", ["a.csv", "b.csv"])
        #expect(try context.get("files", as: [String].self) == ["a.csv", "b.csv"])
        #expect(context.changes == ["date": "\"2026-11-21\"", "files": "[\"a.csv\",\"b.csv\"]"])
        do {
            _ = try context.get("date", as: Int.self)
            Issue.record("expected a type mismatch")
        } catch let error as SharedContext.TypeMismatch {
            #expect(error.description == "context value \"date\" is \"2026-11-21\", which is not a Int")
        }
    }
}
