import BatchKit
import Foundation

/// Data-parallel processing inside a step: partition the input, map every
/// record to key–value pairs on all cores (combining per worker), shuffle by
/// key into partitions, reduce them in parallel, and hand back the result.
///
/// ```swift
/// let counts = try await MapReduce(context, errorBudget: .fraction(0.001))
///     .run([try InputFile(context.path("data/input/text.txt"))]) { line, out in
///         line.forEachWord { out.emit(ByteString($0), 1) }
///     } combine: { $0 += $1 }
/// context.log.info("\(counts.count) distinct words")
/// ```
///
/// Files are read in line-aligned splits through buffers of ``chunkBytes``,
/// so memory is bounded by the workers' buffers plus the distinct keys, not
/// by the input. A record `map` throws on goes to ``rejectsFile`` with its
/// location; past the ``errorBudget`` the run throws
/// ``ErrorBudgetExceeded``. Progress reaches the runner's display.
public struct MapReduce: Sendable {
    /// Map tasks running at once (default: every core).
    public var workers: Int
    /// Key partitions after the shuffle, reduced in parallel.
    public var reducers: Int
    /// The read buffer per worker, in bytes.
    public var chunkBytes: Int
    /// The file splits are about this size (many more splits than workers
    /// keep every core busy to the end).
    public var splitBytes: Int64
    /// Bad records tolerated.
    public var errorBudget: ErrorBudget
    /// Where rejected records are written (CSV), or nil to only count them.
    public var rejectsFile: URL?
    /// Where progress is reported.
    public var progress: StepProgress

    /// - Parameters:
    ///   - workers: Map tasks at once; default, the number of cores.
    ///   - reducers: Reduce partitions; default, twice the workers.
    ///   - chunkBytes: The read buffer per worker (default 4 MiB).
    ///   - splitBytes: The size of file splits (default 32 MiB).
    ///   - errorBudget: Bad records tolerated (default none).
    ///   - rejectsFile: Where bad records go, as CSV.
    ///   - progress: Where progress goes (default nowhere).
    public init(
        workers: Int? = nil, reducers: Int? = nil, chunkBytes: Int = 4 << 20, splitBytes: Int64 = 32 << 20,
        errorBudget: ErrorBudget = .none, rejectsFile: URL? = nil, progress: StepProgress = .none
    ) {
        let workers = max(1, workers ?? ProcessInfo.processInfo.activeProcessorCount)
        self.workers = workers
        self.reducers = max(1, reducers ?? workers * 2)
        self.chunkBytes = max(1, chunkBytes)
        self.splitBytes = max(1, splitBytes)
        self.errorBudget = errorBudget
        self.rejectsFile = rejectsFile
        self.progress = progress
    }

    /// The same, reporting progress to the step's runner.
    public init(
        _ context: StepContext, workers: Int? = nil, reducers: Int? = nil, chunkBytes: Int = 4 << 20,
        splitBytes: Int64 = 32 << 20, errorBudget: ErrorBudget = .none, rejectsFile: URL? = nil
    ) {
        self.init(
            workers: workers, reducers: reducers, chunkBytes: chunkBytes, splitBytes: splitBytes,
            errorBudget: errorBudget, rejectsFile: rejectsFile, progress: context.progress)
    }

    /// Maps every line of `files`.
    ///
    /// - Parameters:
    ///   - files: The input; each is split at line boundaries.
    ///   - map: Called once per line, on any worker, with that worker's
    ///     emitter. Throw (``Reject`` or any error) to reject the line —
    ///     emit only once the line is known to be good.
    ///   - combine: Folds a value into another; must be associative and
    ///     commutative (`+=`, `max`, set union), as it runs per worker and
    ///     again per key partition.
    /// - Throws: ``InputError`` (unreadable file, or one that changed size
    ///   while read), ``ErrorBudgetExceeded``, or `CancellationError`.
    @inlinable
    public func run<Key: Hashable & Sendable, Value: Sendable>(
        _ files: [InputFile],
        map: @escaping @Sendable (Line, inout Emitter<Key, Value>) throws -> Void,
        combine: @escaping @Sendable (inout Value, Value) -> Void
    ) async throws -> MapReduceResult<Key, Value> {
        var splits: [FileSplit] = []
        for file in files {
            splits += try file.splits(count: max(workers, Int(min(file.size / splitBytes + 1, Int64(Int32.max)))), minimumBytes: min(splitBytes, 1 << 20))
        }
        let work = splits
        let totalBytes = files.reduce(Int64(0)) { $0 + $1.size }
        let chunkBytes = self.chunkBytes
        return try await execute(tasks: work.count, total: totalBytes, unit: "bytes", combine: combine) { index, emitter, state in
            let split = work[index]
            var records = 0
            try LineReader(split, chunkBytes: chunkBytes).forEachLine { line in
                records += 1
                do {
                    try map(line, &emitter)
                } catch let stop as MapStop {
                    throw stop
                } catch {
                    if state.rejects.record(file: split.file.url, offset: line.offset, reason: ErrorDescription.of(error), record: line.bytes) {
                        throw MapStop()
                    }
                }
            } chunk: { bytes in
                try state.advance(records: records, units: Int64(bytes))
                records = 0
            }
            try state.advance(records: records, units: 0)
        }
    }

    /// Maps `files` many lines at a time: `map` gets each ``TextChunk`` —
    /// whole lines, up to ``chunkBytes`` — instead of each line. The fast
    /// way when a record is a word or a token rather than a line:
    ///
    /// ```swift
    /// let counts = try await MapReduce(context).run(chunksOf: inputs) { chunk, out in
    ///     chunk.forEachWord { out.emit(bytes: $0, 1) }
    /// } combine: { $0 += $1 }
    /// ```
    ///
    /// Records are still lines (``MapReduceResult/records``). A chunk cannot
    /// be set aside like a bad line: when `map` throws, the run stops and
    /// throws that error (use ``run(_:map:combine:)`` with an error budget
    /// to reject bad lines).
    ///
    /// - Throws: ``InputError``, what `map` throws, or `CancellationError`.
    @inlinable
    public func run<Key: Hashable & Sendable, Value: Sendable>(
        chunksOf files: [InputFile],
        map: @escaping @Sendable (TextChunk, inout Emitter<Key, Value>) throws -> Void,
        combine: @escaping @Sendable (inout Value, Value) -> Void
    ) async throws -> MapReduceResult<Key, Value> {
        var splits: [FileSplit] = []
        for file in files {
            splits += try file.splits(count: max(workers, Int(min(file.size / splitBytes + 1, Int64(Int32.max)))), minimumBytes: min(splitBytes, 1 << 20))
        }
        let work = splits
        let totalBytes = files.reduce(Int64(0)) { $0 + $1.size }
        let chunkBytes = self.chunkBytes
        return try await execute(tasks: work.count, total: totalBytes, unit: "bytes", combine: combine) { index, emitter, state in
            var records = 0
            try LineReader(work[index], chunkBytes: chunkBytes).forEachChunk { chunk in
                records += chunk.lineCount
                emitter.enter(chunk)
                defer { emitter.leave(chunk) }
                try map(chunk, &emitter)
            } progress: { bytes in
                try state.advance(records: records, units: Int64(bytes))
                records = 0
            }
            try state.advance(records: records, units: 0)
        }
    }

    /// Maps every element of `elements`, an in-memory collection cut into
    /// parts (rejects are located as `(memory):index`).
    @inlinable
    public func run<Element: Sendable, Key: Hashable & Sendable, Value: Sendable>(
        over elements: [Element],
        map: @escaping @Sendable (Element, inout Emitter<Key, Value>) throws -> Void,
        combine: @escaping @Sendable (inout Value, Value) -> Void
    ) async throws -> MapReduceResult<Key, Value> {
        let parts = Array(elements.indices.partitioned(into: workers * 4))
        return try await execute(tasks: parts.count, total: Int64(elements.count), unit: "records", combine: combine) { index, emitter, state in
            var records = 0
            for position in parts[index] {
                records += 1
                do {
                    try map(elements[position], &emitter)
                } catch {
                    if state.rejects.record(source: "(memory)", offset: Int64(position), reason: ErrorDescription.of(error), text: String(describing: elements[position])) {
                        throw MapStop()
                    }
                }
            }
            try state.advance(records: records, units: Int64(records))
        }
    }

    /// Runs `task` for each index on ``workers`` workers, then shuffles and
    /// reduces what they emitted.
    @inlinable
    func execute<Key: Hashable & Sendable, Value: Sendable>(
        tasks: Int, total: Int64, unit: String,
        combine: @escaping @Sendable (inout Value, Value) -> Void,
        task: @escaping @Sendable (Int, inout Emitter<Key, Value>, MapState) throws -> Void
    ) async throws -> MapReduceResult<Key, Value> {
        let started = Date()
        let state = try MapState(tasks: tasks, total: total, unit: unit, progress: progress, rejects: RejectLog(url: rejectsFile, budget: errorBudget))
        defer { state.rejects.close() }
        let workerCount = min(workers, max(tasks, 1))
        var outputs: [EmitterOutput<Key, Value>] = []
        do {
            outputs = try await withThrowingTaskGroup(of: EmitterOutput<Key, Value>.self) { group in
                for _ in 0..<workerCount {
                    group.addTask {
                        var emitter = Emitter<Key, Value>(combine: combine)
                        while let index = try state.next() {
                            try task(index, &emitter, state)
                        }
                        return emitter.finish()
                    }
                }
                var outputs: [EmitterOutput<Key, Value>] = []
                do {
                    for try await output in group { outputs.append(output) }
                } catch {
                    state.stop()
                    throw error
                }
                return outputs
            }
        } catch is MapStop {
            throw budgetError(state, stoppedEarly: true)
        }
        let (records, _) = state.totals
        let summary = state.rejects.summary
        if !errorBudget.allows(rejected: summary.count, of: records) {
            throw budgetError(state, stoppedEarly: false)
        }
        state.finishProgress()
        let reduced = await Self.shuffleAndReduce(outputs, reducers: reducers, combine: combine)
        return MapReduceResult(
            partitions: reduced.dictionaries, byteTables: reduced.byteTables, records: records, rejected: summary.count,
            workers: workerCount, seconds: Date().timeIntervalSince(started))
    }

    @usableFromInline
    func budgetError(_ state: MapState, stoppedEarly: Bool) -> ErrorBudgetExceeded {
        let summary = state.rejects.summary
        return ErrorBudgetExceeded(
            rejected: summary.count, records: state.totals.records, budget: errorBudget,
            firstLocation: summary.location, firstReason: summary.reason,
            rejectsFile: rejectsFile, stoppedEarly: stoppedEarly)
    }
}

/// Thrown inside the workers to stop them once the error budget is spent.
@usableFromInline
struct MapStop: Error {
    @usableFromInline init() {}
}
