import BatchKit
import Foundation

/// What the engine has to record about what happened at once — completions
/// that arrived together and the skips they cause, or the starts of the
/// attempts it launches next — gathered so that it goes to disk as one
/// journal line and one CSV append (group commit). The outcomes' line and
/// the starts' line share one `fsync`, made before anything is launched.
///
/// Each part says what it touches (steps, context keys), so the line is made
/// without comparing the whole state, and what to do once it is recorded.
struct CommitBatch {
    private var rows: [ExecutionRecord] = []
    private var changes: [(inout RunState) -> Void] = []
    private var touched = RunStateStore.Touched()
    private var followUps: [(_ recorded: Bool) -> Void] = []

    var isEmpty: Bool { rows.isEmpty && changes.isEmpty && followUps.isEmpty }

    /// Adds a change and the history rows that go with it.
    ///
    /// - Parameters:
    ///   - steps: The steps `change` may touch.
    ///   - context: The context keys `change` may touch.
    ///   - then: Run once the batch is committed, told whether it was.
    mutating func add(
        _ rows: [ExecutionRecord] = [], steps: [StepID], context: [String] = [],
        _ change: @escaping (inout RunState) -> Void, then: ((_ recorded: Bool) -> Void)? = nil
    ) {
        self.rows += rows
        changes.append(change)
        touched.formUnion(RunStateStore.Touched(steps: steps, context: context))
        if let then { followUps.append(then) }
    }

    /// Records the batch and empties it.
    ///
    /// - Parameter syncing: `fsync` the journal line and the CSV append now;
    ///   `false` leaves it to the next synced commit or
    ///   ``RunRecorder/syncJournal()`` (``RunRecorder/commit(rows:touching:syncing:_:)``).
    /// - Returns: Whether it was recorded, and what to do next, in order.
    mutating func commit(to recorder: RunRecorder, syncing: Bool) -> (recorded: Result<Void, any Error>, followUps: [(Bool) -> Void]) {
        defer { self = CommitBatch() }
        guard !rows.isEmpty || !changes.isEmpty else { return (.success(()), followUps) }
        let changes = self.changes
        do {
            try recorder.commit(rows: rows, touching: touched, syncing: syncing) { state in
                for change in changes { change(&state) }
            }
            return (.success(()), followUps)
        } catch {
            return (.failure(error), followUps)
        }
    }
}

/// Where the engine's child tasks leave what they report, so that one wake
/// of the engine takes everything that has arrived since the last (a task
/// group hands results over one at a time).
final class CompletionMailbox<Item: Sendable>: @unchecked Sendable {
    private let lock = NSLock()
    private var items: [Item] = []

    func post(_ item: Item) {
        lock.withLock { items.append(item) }
    }

    /// Everything posted so far, in order, leaving the mailbox empty.
    func takeAll() -> [Item] {
        lock.withLock {
            defer { items = [] }
            return items
        }
    }
}
