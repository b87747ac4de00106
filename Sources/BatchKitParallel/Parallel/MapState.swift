import BatchKit
import Foundation

/// What the workers of one ``MapReduce`` run share: the queue of tasks,
/// counters, the stop flag, the rejects and the progress reporter.
@usableFromInline
final class MapState: @unchecked Sendable {
    @usableFromInline let rejects: RejectLog
    private let lock = NSLock()
    private let tasks: Int
    private let total: Int64
    private let unit: String
    private let progress: StepProgress
    private var nextTask = 0
    private var records = 0
    private var done: Int64 = 0
    private var stopped = false

    @usableFromInline
    init(tasks: Int, total: Int64, unit: String, progress: StepProgress, rejects: RejectLog) {
        self.tasks = tasks
        self.total = total
        self.unit = unit
        self.progress = progress
        self.rejects = rejects
    }

    /// The next task to run, or nil when there is none left.
    ///
    /// - Throws: ``MapStop`` once another worker stopped the run.
    @usableFromInline
    func next() throws -> Int? {
        try lock.withLock {
            if stopped { throw MapStop() }
            guard nextTask < tasks else { return nil }
            defer { nextTask += 1 }
            return nextTask
        }
    }

    /// Adds a worker's progress (called once per chunk, not per record).
    ///
    /// - Throws: ``MapStop`` once another worker stopped the run, so every
    ///   worker ends within a chunk.
    @usableFromInline
    func advance(records: Int, units: Int64) throws {
        let (done, stopped) = lock.withLock {
            self.records += records
            self.done += units
            return (self.done, self.stopped)
        }
        if stopped { throw MapStop() }
        if units > 0 { progress.report(done: done, total: total, unit: unit) }
        if Task.isCancelled { throw CancellationError() }
    }

    /// Makes every worker stop at its next chunk.
    @usableFromInline
    func stop() {
        lock.withLock { stopped = true }
    }

    @usableFromInline
    var totals: (records: Int, done: Int64) {
        lock.withLock { (records, done) }
    }

    @usableFromInline
    func finishProgress() {
        progress.report(done: totals.done, total: total, unit: unit, force: true)
    }
}
