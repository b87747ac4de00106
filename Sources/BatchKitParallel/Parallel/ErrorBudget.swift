import BatchKit
import Foundation

/// How many bad records a step tolerates before it fails.
///
/// ```swift
/// .none             // the first bad record fails the step
/// .records(100)     // up to 100
/// .fraction(0.01)   // up to 1% of the records read
/// ```
public struct ErrorBudget: Sendable, Equatable, CustomStringConvertible {
    /// The most rejected records allowed, or nil for no count limit.
    public let maxRecords: Int?
    /// The largest rejected share of all records allowed (0...1), or nil.
    public let maxFraction: Double?

    public init(maxRecords: Int?, maxFraction: Double?) {
        self.maxRecords = maxRecords.map { max($0, 0) }
        self.maxFraction = maxFraction.map { min(max($0, 0), 1) }
    }

    /// No bad record is tolerated.
    public static let none = ErrorBudget(maxRecords: 0, maxFraction: nil)
    /// Every bad record is tolerated (and still written to the rejects file).
    public static let unlimited = ErrorBudget(maxRecords: nil, maxFraction: nil)
    /// Up to `count` bad records.
    public static func records(_ count: Int) -> ErrorBudget { ErrorBudget(maxRecords: count, maxFraction: nil) }
    /// Up to `fraction` of the records read (0.01 is 1%), judged at the end.
    public static func fraction(_ fraction: Double) -> ErrorBudget { ErrorBudget(maxRecords: nil, maxFraction: fraction) }

    /// Whether `rejected` bad records are already too many, whatever comes next.
    public func isExhausted(rejected: Int) -> Bool {
        if let maxRecords, rejected > maxRecords { return true }
        return false
    }

    /// Whether `rejected` of `records` is within the budget.
    public func allows(rejected: Int, of records: Int) -> Bool {
        if isExhausted(rejected: rejected) { return false }
        if let maxFraction, records > 0, Double(rejected) / Double(records) > maxFraction { return false }
        return true
    }

    public var description: String {
        switch (maxRecords, maxFraction) {
        case (0?, nil): return "no rejected records"
        case (let count?, nil): return "\(count) rejected record\(count == 1 ? "" : "s")"
        case (nil, let fraction?): return "\(Self.percent(fraction)) of the records"
        case (let count?, let fraction?): return "\(count) rejected records and \(Self.percent(fraction)) of the records"
        case (nil, nil): return "no limit"
        }
    }

    static func percent(_ fraction: Double) -> String {
        let value = fraction * 100
        return value == value.rounded() ? "\(Int(value))%" : String(format: "%.2f%%", value)
    }
}

/// A record the map function refused; throw it (or any error) from `map`
/// and the record goes to the rejects file with its location.
public struct Reject: Error, CustomStringConvertible, Sendable {
    public let reason: String
    public init(_ reason: String) { self.reason = reason }
    public var description: String { reason }
}

/// A step's input had more bad records than its ``ErrorBudget`` allows.
public struct ErrorBudgetExceeded: Error, CustomStringConvertible, Sendable {
    /// Records rejected (when the step stopped early, so far).
    public let rejected: Int
    /// Records read.
    public let records: Int
    public let budget: ErrorBudget
    /// Where the first one was: `file:byte offset` (`(memory):index` for
    /// in-memory input).
    public let firstLocation: String
    public let firstReason: String
    /// The rejects file, if there is one.
    public let rejectsFile: URL?
    /// Whether the step stopped before reading everything.
    public let stoppedEarly: Bool

    public init(
        rejected: Int, records: Int, budget: ErrorBudget, firstLocation: String, firstReason: String, rejectsFile: URL?,
        stoppedEarly: Bool
    ) {
        self.rejected = rejected
        self.records = records
        self.budget = budget
        self.firstLocation = firstLocation
        self.firstReason = firstReason
        self.rejectsFile = rejectsFile
        self.stoppedEarly = stoppedEarly
    }

    public var description: String {
        let share = records > 0 ? String(format: " (%.2f%%)", Double(rejected) / Double(records) * 100) : ""
        var text = "\(rejected) of \(records) records\(share) were rejected, over the error budget of \(budget)"
        if stoppedEarly { text += "; stopped early" }
        text += ". First: \(firstLocation): \(firstReason)"
        if let rejectsFile { text += ". All rejects: \(rejectsFile.path)" }
        return text
    }
}

/// Where rejected records go: a CSV file (`file,byte_offset,reason,record`),
/// created on the first reject, shared by every worker.
@usableFromInline
final class RejectLog: @unchecked Sendable {
    @usableFromInline let url: URL?
    @usableFromInline let budget: ErrorBudget
    private let lock = NSLock()
    private var handle: FileHandle?
    private var count = 0
    private var first: (location: String, reason: String)?
    private var openFailed: String?

    @usableFromInline
    init(url: URL?, budget: ErrorBudget) throws {
        self.url = url
        self.budget = budget
        if let url {
            // An old rejects file would describe another run's input.
            if FileManager.default.fileExists(atPath: url.path) { try FileManager.default.removeItem(at: url) }
        }
    }

    deinit { try? handle?.close() }

    /// Records a reject of bytes; returns whether the budget is now exhausted.
    @usableFromInline
    func record(file: URL, offset: Int64, reason: String, record: UnsafeRawBufferPointer) -> Bool {
        let text = String(decoding: UnsafeRawBufferPointer(rebasing: record.prefix(500)), as: UTF8.self)
            + (record.count > 500 ? "…" : "")
        return self.record(source: file.path, offset: offset, reason: reason, text: text)
    }

    /// Records a reject; returns whether the budget is now exhausted.
    @usableFromInline
    func record(source: String, offset: Int64, reason: String, text: String) -> Bool {
        lock.withLock {
            count += 1
            if first == nil { first = ("\(source):\(offset)", reason) }
            if let url, openFailed == nil {
                if handle == nil {
                    do {
                        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
                        _ = FileManager.default.createFile(atPath: url.path, contents: Data("file,byte_offset,reason,record\r\n".utf8))
                        handle = try FileHandle(forWritingTo: url)
                        _ = try handle?.seekToEnd()
                    } catch {
                        openFailed = ErrorDescription.of(error)
                    }
                }
                let row = [source, String(offset), reason, text].map(CSV.escape).joined(separator: ",") + "\r\n"
                try? handle?.write(contentsOf: Data(row.utf8))
            }
            return budget.isExhausted(rejected: count)
        }
    }

    /// How many were rejected, and where the first one was.
    @usableFromInline
    var summary: (count: Int, location: String, reason: String) {
        lock.withLock { (count, first?.location ?? "", first?.reason ?? "") }
    }

    @usableFromInline
    func close() {
        lock.withLock {
            try? handle?.synchronize()
            try? handle?.close()
            handle = nil
        }
    }
}
