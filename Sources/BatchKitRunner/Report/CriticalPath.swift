import BatchKit
import Foundation

/// The chain of steps that set a run's wall time: from the step that ended
/// last, back through the parent that ended last before each one started.
/// Shortening any other step would not have ended the run sooner.
public struct CriticalPath: Sendable, Codable, Equatable {
    /// One step of the path, in run order.
    public struct Link: Sendable, Codable, Equatable {
        public let stepID: StepID
        public let name: String
        /// From its first attempt's start to its last attempt's end (retry
        /// waits included).
        public let seconds: Double
    }

    public let steps: [Link]
    /// From the first step's start to the last step's end.
    public let seconds: Double
    /// The run's wall time, for the share.
    public let wallSeconds: Double

    /// The path of `steps` (only attempts of this session count), or `nil`
    /// when no step ran.
    public init?(steps runs: [StepRun], parents: [StepID: [StepID]], wallSeconds: Double, since: Date) {
        var spans: [StepID: (start: Date, end: Date, name: String)] = [:]
        for run in runs {
            let attempts = run.records.filter { $0.attempt > 0 && $0.endedAt >= since }
            guard let start = attempts.map(\.startedAt).min(), let end = attempts.map(\.endedAt).max() else { continue }
            spans[run.stepID] = (start, end, run.name)
        }
        guard var current = spans.max(by: { ($0.value.end, $1.key) < ($1.value.end, $0.key) })?.key else { return nil }
        var chain = [current]
        // The parent that held the step back: the one that ended last before it started.
        while let span = spans[current],
              let previous = (parents[current] ?? []).compactMap({ id in spans[id].map { (id, $0.end) } })
                  .filter({ $0.1 <= span.start.addingTimeInterval(0.5) }).max(by: { ($0.1, $1.0) < ($1.1, $0.0) })?.0,
              !chain.contains(previous) {
            chain.append(previous)
            current = previous
        }
        chain.reverse()
        steps = chain.compactMap { id in spans[id].map { Link(stepID: id, name: $0.name, seconds: $0.end.timeIntervalSince($0.start)) } }
        guard let first = chain.first.flatMap({ spans[$0] }), let last = chain.last.flatMap({ spans[$0] }) else { return nil }
        seconds = last.end.timeIntervalSince(first.start)
        self.wallSeconds = wallSeconds
    }

    /// The longest step of the path.
    public var longest: Link? { steps.max { $0.seconds < $1.seconds } }

    /// `critical path 01 → 03 → 05: 12.3 s of 14.0 s wall; 03 is 61 % of it`.
    /// A long chain is shortened to its ends; a path that spent most of its
    /// time between its steps says so, and a step is named only when it is
    /// a real share of the path.
    public var sentence: String {
        let ids = steps.map(\.stepID.display)
        let chain = ids.count <= 12 ? ids.joined(separator: " → ")
            : (ids.prefix(5) + ["…"] + ids.suffix(5)).joined(separator: " → ") + " (\(ids.count) steps)"
        var text = "critical path \(chain): \(DurationFormat.seconds(seconds)) of \(DurationFormat.seconds(wallSeconds)) wall"
        guard steps.count > 1, seconds > 0 else { return text }
        let running = steps.reduce(0) { $0 + $1.seconds }
        if running < seconds / 2 {
            text += "; its steps ran \(DurationFormat.seconds(running)) of it, the rest went by between them (waiting for a free slot, or for the runner)"
        } else if let longest, longest.seconds / seconds >= 0.1 {
            text += "; \(longest.stepID.display) is \(Int((longest.seconds / seconds * 100).rounded())) % of it"
        }
        return text
    }
}
