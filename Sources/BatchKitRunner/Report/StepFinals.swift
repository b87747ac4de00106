import BatchKit

/// One step's final attempt in each run of a history: the last row of the
/// step in the run, as rows are appended in order (a retry, or a resumed
/// run, comes later). Runs are numbers (``RunHistory/RunTable``).
///
/// Rows come run after run, so a step's runs mostly arrive in increasing
/// order and its final is kept in arrays without a lookup; a run met again
/// later (a resumed run) makes the step index its runs once.
struct StepFinals {
    struct Final {
        var status: Status
        var reason: FailureReason
        /// The step's name in the row, in ``HistoryRows/names``.
        var name: Int32
        var seconds: Double
    }

    /// The runs, in the order first met, and each one's final.
    private(set) var runs: [Int] = []
    private(set) var finals: [Final] = []
    private var highest = -1
    /// Where each run is in ``runs``, once a run came back.
    private var index: [Int: Int]?

    /// Records `final` as the step's latest row in `run`.
    mutating func record(_ final: Final, run: Int) {
        if run == runs.last {
            finals[finals.count - 1] = final
        } else if run > highest {
            append(final, run: run)
        } else {
            if index == nil { index = Dictionary(uniqueKeysWithValues: runs.enumerated().map { ($1, $0) }) }
            if let at = index?[run] { finals[at] = final } else { append(final, run: run) }
        }
    }

    private mutating func append(_ final: Final, run: Int) {
        index?[run] = runs.count
        runs.append(run)
        finals.append(final)
        highest = max(highest, run)
    }

    /// The position in ``runs`` of the latest run by `rank` (each run's
    /// place by start time); `nil` when there is none.
    func latest(by rank: [Int]) -> Int? {
        runs.indices.max { rank[runs[$0]] < rank[runs[$1]] }
    }
}
