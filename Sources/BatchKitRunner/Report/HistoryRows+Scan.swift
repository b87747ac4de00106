import BatchKit
import Foundation

extension HistoryRows {
    /// Reads parts of a history whose header is known.
    struct Scan: Sendable {
        let run, step, name, status, start, duration: Int
        let job, end, reason, message: Int?
        let jobName: [UInt8]
        let cutoff: [UInt8]?

        /// The columns every row needs, in the order a missing one is named.
        static let required = ["run_id", "step_id", "step_name", "status", "started_at", "duration_s"]

        /// `nil` when the header lacks a required column (``missingColumn(_:)``).
        init?(header: [String], job: String, cutoff: String?) {
            func at(_ name: String) -> Int? { header.firstIndex(of: name) }
            guard let run = at("run_id"), let step = at("step_id"), let name = at("step_name"), let status = at("status"),
                  let start = at("started_at"), let duration = at("duration_s") else { return nil }
            (self.run, self.step, self.name, self.status, self.start, self.duration) = (run, step, name, status, start, duration)
            (self.job, end, reason, message) = (at("job"), at("ended_at"), at("reason"), at("message"))
            jobName = Array(job.utf8)
            self.cutoff = cutoff.map { Array($0.utf8) }
        }

        static func missingColumn(_ header: [String]) -> String {
            required.first { !header.contains($0) } ?? ""
        }

        /// The rows from `offset` (a record's start, on `line`) to the end: in
        /// two halves read at once when the file is large, else in one pass.
        ///
        /// - Parameter splitAfter: Where to look for the line to split at: by
        ///   default the middle, when there are two cores and a megabyte.
        func parts(_ bytes: UnsafeRawBufferPointer, from offset: Int, line: Int, splitAfter: Int? = nil) throws(CSV.ParseError) -> [Part] {
            let large = bytes.count - offset >= HistoryRows.splitThreshold && ProcessInfo.processInfo.activeProcessorCount > 1
            guard let after = splitAfter ?? (large ? offset + (bytes.count - offset) / 2 : nil),
                  let split = Self.recordStart(in: bytes, after: max(offset, after)) else {
                return [try scan(UnsafeRawBufferPointer(rebasing: bytes[offset...]), line: line)]
            }
            let results = PartResults()
            let shared = SharedBytes(bytes: bytes)
            let scanner = self
            DispatchQueue.concurrentPerform(iterations: 2) { half in
                let range = half == 0 ? offset..<split : split..<shared.bytes.count
                results.set(half, Result { () throws(CSV.ParseError) -> Part in
                    try scanner.scan(UnsafeRawBufferPointer(rebasing: shared.bytes[range]), line: half == 0 ? line : 1)
                })
            }
            // The first half parsed to its end without error only if its last
            // line break was outside quotes: the split is a record boundary.
            if case .success(let first)? = results.get(0), case .success(let second)? = results.get(1) {
                return [first, second]
            }
            return [try scan(UnsafeRawBufferPointer(rebasing: bytes[offset...]), line: line)]
        }

        /// Where to split: the first line after `from` that starts with a run
        /// id (`20261124T180826.891Z-3d85,`), as rows of batchkit's runs do,
        /// within a megabyte; else the first line after `from` (an Airflow
        /// run's id is `airflow-…`). `nil` when no line starts after it. A
        /// line of a quoted message can look like either:
        /// ``parts(_:from:line:splitAfter:)`` checks.
        static func recordStart(in bytes: UnsafeRawBufferPointer, after from: Int) -> Int? {
            let shape = Array("ddddddddTdddddd.dddZ-".utf8)
            var at = from
            var firstLine: Int?
            while at < bytes.count, at - from < HistoryRows.splitThreshold {
                guard let newline = UnsafeRawBufferPointer(rebasing: bytes[at...]).firstIndex(of: 0x0A) else { break }
                let start = at + newline + 1
                guard start < bytes.count else { break }
                if firstLine == nil { firstLine = start }
                if start + shape.count < bytes.count, shape.indices.allSatisfy({ offset in
                    let byte = bytes[start + offset], expected = shape[offset]
                    return expected == UInt8(ascii: "d") ? (48...57).contains(byte) : byte == expected
                }) {
                    return start
                }
                at = start
            }
            return firstLine
        }

        /// One part's rows, on one core.
        func scan(_ bytes: UnsafeRawBufferPointer, line: Int) throws(CSV.ParseError) -> Part {
            var part = Part()
            var cursor = CSVCursor(bytes, line: line)
            let needed = max(run, step, status, start, duration, name)
            var numbers: [String: Int] = [:]
            var starts: [FieldText] = [], firstStarts: [FieldText] = [], ends: [FieldText] = []
            var lastRun = -1
            var lastRunID = FieldText.empty
            // The name last met in a slot, by step id: a step's name is made a
            // String once, not once per row.
            var nameCache = [(step: StepID, text: FieldText, index: Int32)?](repeating: nil, count: 64)
            let cutoff = self.cutoff, jobName = self.jobName
            while try cursor.next() {
                guard cursor.count > needed else { continue }
                let started = FieldText(cursor, start)
                if let cutoff, cutoff.withUnsafeBytes({ cutoff in started.with { FieldBytes.precedes($0, cutoff) } }) { continue }
                // Task lists that share a folder share the history file.
                if let job, job < cursor.count,
                   !jobName.withUnsafeBytes({ name in FieldText(cursor, job).with { FieldBytes.equal($0, name) } }) { continue }
                guard let id = FieldText(cursor, step).with(FieldBytes.int).map(StepID.init(rawValue:)),
                      let status = FieldText(cursor, status).with(Self.status) else { continue }
                func text(_ column: Int?) -> String { column.map { $0 < cursor.count ? cursor.string($0) : "" } ?? "" }
                if id == ExecutionRecord.runStepID {
                    part.notStarted.append(.init(runID: cursor.string(run), at: started.string, reason: text(reason), message: text(message)))
                    continue
                }
                let ended = end.map { $0 < cursor.count ? FieldText(cursor, $0) : .empty } ?? .empty
                let runID = FieldText(cursor, run)
                var number = lastRun
                if lastRun < 0 || !runID.same(lastRunID) {
                    let key = runID.string
                    if let known = numbers[key] {
                        number = known
                    } else {
                        number = part.runIDs.count
                        numbers[key] = number
                        part.runIDs.append(key)
                        starts.append(started)
                        firstStarts.append(started)
                        ends.append(ended)
                    }
                    lastRun = number
                    lastRunID = runID
                }
                if started.precedes(starts[number]) { starts[number] = started }
                if ends[number].precedes(ended) { ends[number] = ended }

                let nameText = FieldText(cursor, name)
                let slot = Int(truncatingIfNeeded: id.rawValue) & 63
                let nameIndex: Int32
                if let cached = nameCache[slot], cached.step == id, cached.text.same(nameText) {
                    nameIndex = cached.index
                } else {
                    nameIndex = Int32(part.names.count)
                    part.names.append(nameText.string)
                    nameCache[slot] = (id, nameText, nameIndex)
                }
                part.rows.append(Row(
                    step: id, seconds: FieldText(cursor, duration).with(FieldBytes.double) ?? 0, run: number, name: nameIndex,
                    status: status,
                    // Only a row that did not pass has a reason (and most rows pass).
                    reason: status.isSuccess || reason == nil ? .empty : FailureReason(word: text(reason))))
            }
            part.starts = starts.map(\.string)
            part.firstStarts = firstStarts.map(\.string)
            part.ends = ends.map(\.string)
            return part
        }

        private static let words: [(word: [UInt8], status: Status)] = [Status.pass, .fail, .skipped, .cached].map { (Array($0.rawValue.utf8), $0) }

        /// `Status(outcome:)` of a field's bytes.
        private static func status(_ bytes: UnsafeRawBufferPointer) -> Status? {
            for (word, status) in words where word.count == bytes.count {
                if word.withUnsafeBytes({ FieldBytes.same($0, bytes) }) { return status }
            }
            // A word only canonically equal to one (a KELVIN SIGN for K) is one too.
            return bytes.allSatisfy({ $0 < 0x80 }) ? nil : Status(outcome: String(decoding: bytes, as: UTF8.self))
        }
    }

    /// A field's text: its bytes in the file, or a `String` when quotes in it
    /// were doubled there. The file's bytes outlive every use.
    struct FieldText {
        var bytes: UnsafeRawBufferPointer
        var unescaped: String?

        static var empty: FieldText { FieldText(bytes: UnsafeRawBufferPointer(start: nil, count: 0), unescaped: nil) }

        init(bytes: UnsafeRawBufferPointer, unescaped: String?) {
            self.bytes = bytes
            self.unescaped = unescaped
        }

        init(_ cursor: CSVCursor, _ field: Int) {
            if cursor.fields[field].escaped {
                self.init(bytes: Self.empty.bytes, unescaped: cursor.string(field))
            } else {
                self.init(bytes: cursor.rawBytes(field), unescaped: nil)
            }
        }

        func with<Value>(_ body: (UnsafeRawBufferPointer) -> Value) -> Value {
            guard var unescaped else { return body(bytes) }
            return unescaped.withUTF8 { body(UnsafeRawBufferPointer($0)) }
        }

        var string: String { unescaped ?? String(decoding: bytes, as: UTF8.self) }

        /// The same bytes.
        func same(_ other: FieldText) -> Bool { with { mine in other.with { FieldBytes.same(mine, $0) } } }

        /// `String`'s `<`.
        func precedes(_ other: FieldText) -> Bool { with { mine in other.with { FieldBytes.precedes(mine, $0) } } }
    }
}

/// The file's bytes, read by both halves at once; nothing writes them.
private struct SharedBytes: @unchecked Sendable {
    let bytes: UnsafeRawBufferPointer
}

/// What each half's scan returned.
private final class PartResults: @unchecked Sendable {
    private let lock = NSLock()
    private var results: [Result<HistoryRows.Part, CSV.ParseError>?] = [nil, nil]

    func set(_ index: Int, _ result: Result<HistoryRows.Part, CSV.ParseError>) { lock.withLock { results[index] = result } }

    func get(_ index: Int) -> Result<HistoryRows.Part, CSV.ParseError>? { lock.withLock { results[index] } }
}
