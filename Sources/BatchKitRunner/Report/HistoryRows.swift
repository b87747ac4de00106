import BatchKit
import Foundation

/// The rows of `logs/execution_logs.csv` that ``RunHistory`` counts, read
/// without a `String` per field: a ``CSVCursor`` walks the file, the fields
/// `history` needs are compared and converted in place (``FieldBytes``), and
/// a `String` is made only of a run's id when the run changes, of a step's
/// name when it changes, and of what a failed row says.
///
/// A file of over a megabyte is read as two halves on two cores, split
/// where a line starts with a run id (or any line, when none does nearby);
/// the halves are used only when the first parsed to exactly that line, so
/// the split cannot fall inside a quoted field. Otherwise, or on any parse error, the file is read again in
/// one pass, which reports the first error with its line.
struct HistoryRows {
    /// One row of the job, other than a run that did not start.
    struct Row: Equatable, Sendable {
        var step: StepID
        var seconds: Double
        /// The run, numbered as in the ``RunHistory/RunTable``.
        var run: Int
        /// The step's name, in ``names``.
        var name: Int32
        var status: Status
        var reason: FailureReason
    }

    var rows: [Row] = []
    var names: [String] = []
    /// Runs that did not start (step id 0), in file order.
    var notStarted: [RunHistory.NotStarted] = []

    /// Below this many bytes the file is read in one pass.
    static let splitThreshold = 1 << 20

    /// Reads the rows of `job` started at or after `cutoff`, numbering their
    /// runs in `runs` as met; `nil` when the file is missing or empty.
    ///
    /// - Parameter splitAfter: The offset after which to look for a line
    ///   to split the file at (tests choose; by default the middle of a file
    ///   of a megabyte or more).
    /// - Throws: `CSVTable.ReadError` when the file cannot be read, is not
    ///   well-formed CSV, or lacks a column `history` needs.
    static func read(
        _ url: URL, job: String, cutoff: String?, runs: inout RunHistory.RunTable, splitAfter: Int? = nil
    ) throws -> HistoryRows? {
        let size = (try? FileManager.default.attributesOfItem(atPath: url.path)[.size] as? Int) ?? nil
        guard let size, size > 0 else { return nil }
        let data: Data
        do {
            data = try Data(contentsOf: url)
        } catch {
            throw CSVTable.ReadError(path: url.path, message: "cannot read the file: \(ErrorDescription.of(error))")
        }
        let parts: [Part] = try data.withUnsafeBytes { bytes in
            func readError(_ error: CSV.ParseError) -> CSVTable.ReadError {
                CSVTable.ReadError(path: url.path, message: error.description)
            }
            var cursor = CSVCursor(bytes)
            var header: [String] = []
            do throws(CSV.ParseError) {
                if try cursor.next() { header = (0..<cursor.count).map(cursor.string) }
            } catch { throw readError(error) }
            guard !header.isEmpty else {
                throw CSVTable.ReadError(path: url.path, message: "the file is empty; expected a header line")
            }
            guard let scan = Scan(header: header, job: job, cutoff: cutoff) else {
                // A malformed file says so before a missing column does.
                do throws(CSV.ParseError) { while try cursor.next() {} } catch { throw readError(error) }
                throw CSVTable.ReadError(path: url.path, message: "the history has no \(Scan.missingColumn(header)) column")
            }
            do throws(CSV.ParseError) { return try scan.parts(bytes, from: cursor.offset, line: cursor.line, splitAfter: splitAfter) } catch { throw readError(error) }
        }
        var result = HistoryRows()
        for part in parts {
            // Each part numbered its runs from 0; the first part's numbers stay.
            let numbers = part.runIDs.indices.map { local in
                runs.merge(part.runIDs[local], start: part.starts[local], firstStart: part.firstStarts[local], end: part.ends[local])
            }
            let offset = Int32(result.names.count)
            result.names += part.names
            result.notStarted += part.notStarted
            if result.rows.isEmpty, offset == 0, numbers.elementsEqual(numbers.indices) {
                result.rows = part.rows  // numbered as the table has them
                continue
            }
            result.rows.reserveCapacity(parts.reduce(0) { $0 + $1.rows.count })
            for var row in part.rows {
                row.run = numbers[row.run]
                row.name += offset
                result.rows.append(row)
            }
        }
        return result
    }

    /// What one part of the file holds, its runs numbered from 0 as met.
    struct Part: Sendable {
        var rows: [Row] = []
        var names: [String] = []
        var notStarted: [RunHistory.NotStarted] = []
        var runIDs: [String] = []
        /// Each run's earliest start, its first row's start, and its latest end.
        var starts: [String] = [], firstStarts: [String] = [], ends: [String] = []
    }
}
