import BatchKit
import Foundation

/// What the records of a run whose runner stopped say happened, as a value:
/// the state to continue from, and the history rows to add so the CSV tells
/// the whole story. ``RunRecorder`` applies it when a run is resumed, and to
/// a dead run before a fresh one starts.
///
/// The recorder writes a change to the journal (with its rows) before it
/// appends the rows to the CSV, and snapshots only when the CSV holds every
/// row, recording how many rows of the run it held (`recordedRows`). So:
/// - the rows of a run in the CSV are a prefix of snapshot rows + journal
///   rows; whatever the journal holds beyond that prefix was lost between
///   the two writes (or in a torn append) and is appended again;
/// - a step the state shows `running` has no outcome anywhere: its runner
///   died under it. It gets a `runner died` row with the attempt's real
///   start and log (both journalled before the attempt was launched);
/// - attempt numbers continue from the highest the state or the CSV shows.
struct RunRecovery: Sendable {
    /// The state to continue from: no step running, attempts up to date.
    var state: RunState
    /// Rows the journal holds that the CSV lacks, in order.
    var missingRows: [ExecutionRecord]
    /// One `runner died` row per attempt lost with the runner.
    var lostRows: [ExecutionRecord]
    /// Every row of the run once both are appended, in order.
    var rows: [ExecutionRecord]

    /// - Parameters:
    ///   - loaded: The run's snapshot with its journal.
    ///   - history: The rows of this run (and job) in the CSV now.
    ///   - now: When recovery happens (the end of a lost attempt).
    init(loaded: RunStateStore.Loaded, history: [ExecutionRecord], now: Date = Date()) {
        var state = loaded.state
        let journal = loaded.journalRows
        // A snapshot from before row journalling says nothing: trust the CSV.
        let before = state.recordedRows ?? max(0, history.count - journal.count)
        let missing = min(journal.count, max(0, before + journal.count - history.count))
        missingRows = Array(journal.suffix(missing))
        var rows = history + missingRows

        lostRows = []
        for (id, step) in state.steps.sorted(by: { $0.key < $1.key }) where step.status == .running {
            // The journal could not take the outcome, but the CSV did.
            if let ended = rows.last(where: { $0.stepID == id && $0.attempt == step.attempts && $0.attempt > 0 }) {
                state[step: id]?.status = ended.status.isSuccess ? .pass : .fail
                continue
            }
            lostRows.append(ExecutionRecord(
                runID: state.runID, job: state.job, stepID: id, stepName: step.name, attempt: step.attempts,
                status: .fail, startedAt: step.startedAt ?? state.startedAt, endedAt: now, reason: .runnerDied,
                message: "the runner stopped (killed or crashed) while this attempt ran; ended_at is when --resume found it",
                logFile: step.logFile ?? ""))
            state[step: id]?.status = .fail
        }
        rows += lostRows
        for row in rows where row.attempt > (state[step: row.stepID]?.attempts ?? Int.max) {
            state[step: row.stepID]?.attempts = row.attempt
        }
        self.state = state
        self.rows = rows
    }
}
