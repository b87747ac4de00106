import Foundation

/// How much running steps in parallel saved, from the attempts' own start
/// and end times: the time at least one attempt was running (the union of
/// their intervals) against the sum of their durations. Time between
/// attempts (the runner's own work, retry waits, post-job tests) counts in
/// neither, so a run whose steps never overlapped shows no speed-up however
/// long it took, and one whose steps did shows it however short the overlap.
public struct ParallelTime: Sendable, Equatable {
    /// The sum of the attempts' durations, in seconds: what running them
    /// one after another would take.
    public let stepSeconds: Double
    /// How long at least one attempt was running, in seconds.
    public let busySeconds: Double

    /// Measures attempts given as start and end times (an interval that
    /// ends before it starts counts as empty).
    public init(intervals: [(start: Date, end: Date)]) {
        let sorted = intervals.map { ($0.start, max($0.start, $0.end)) }.sorted { $0.0 < $1.0 }
        var busy = 0.0, total = 0.0
        var current: (start: Date, end: Date)?
        for (start, end) in sorted {
            total += end.timeIntervalSince(start)
            if let open = current, start <= open.end {
                current = (open.start, max(open.end, end))
            } else {
                if let open = current { busy += open.end.timeIntervalSince(open.start) }
                current = (start, end)
            }
        }
        if let open = current { busy += open.end.timeIntervalSince(open.start) }
        stepSeconds = total
        busySeconds = busy
    }

    /// How long attempts ran at the same time as another, in seconds.
    public var overlapSeconds: Double { max(0, stepSeconds - busySeconds) }

    /// True when attempts overlapped by more than the history's millisecond
    /// precision.
    public var overlapped: Bool { overlapSeconds > 0.001 }

    /// Step time per second of busy time: 1 when nothing overlapped.
    public var speedUp: Double { busySeconds > 0 ? stepSeconds / busySeconds : 1 }
}
