#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation

/// How far a running step has got, shown in the runner's progress display:
/// `02 count words 45% (90.1 MB of 200 MB)`.
///
/// A step reports through ``StepContext/progress``; the runner reads the
/// file named by `BATCHKIT_PROGRESS_FILE`, which a shell step can write too:
///
/// ```sh
/// echo "3 10 files" > "$BATCHKIT_PROGRESS_FILE"
/// ```
///
/// The file holds one line, `DONE TOTAL UNIT` (TOTAL 0 when unknown); a unit
/// of `bytes` is shown in MB.
public final class StepProgress: @unchecked Sendable {
    /// The environment variable naming the progress file.
    public static let variable = ChildContract.progressFile

    private let file: URL?
    private let lock = NSLock()
    private var lastWrite: UInt64 = 0
    private let interval: UInt64

    /// A reporter writing to `file`, at most once per `interval` seconds
    /// (except the last report, see ``finish()``); `nil` reports nowhere.
    public init(file: URL?, interval: Double = 0.2) {
        self.file = file
        self.interval = UInt64(max(interval, 0) * 1e9)
    }

    /// The reporter for this process: the runner's file, or nowhere.
    public static func fromEnvironment() -> StepProgress {
        StepProgress(file: ProcessInfo.processInfo.environment[variable].map { URL(fileURLWithPath: $0) })
    }

    /// Reports nowhere (steps run outside a runner, unit tests).
    public static var none: StepProgress { StepProgress(file: nil) }

    /// Records that `done` of `total` units are done.
    ///
    /// - Parameters:
    ///   - done: Units done so far.
    ///   - total: All units, or 0 when unknown.
    ///   - unit: What is counted: `bytes`, `records`, `files`, ….
    ///   - force: Write even if the last write was less than the interval ago.
    public func report(done: Int64, total: Int64, unit: String = "records", force: Bool = false) {
        guard let file else { return }
        let now = Self.monotonicNanoseconds()
        let due: Bool = lock.withLock {
            guard force || now &- lastWrite >= interval else { return false }
            lastWrite = now
            return true
        }
        guard due else { return }
        let unitWord = unit.filter { !$0.isWhitespace }
        let line = "\(max(done, 0)) \(max(total, 0)) \(unitWord.isEmpty ? "records" : unitWord)\n"
        // Written beside and renamed, so the runner never reads half a line.
        let temporary = file.deletingLastPathComponent().appendingPathComponent(".\(file.lastPathComponent).\(getpid()).tmp")
        guard (try? Data(line.utf8).write(to: temporary)) != nil else { return }
        if rename(temporary.path, file.path) != 0 { unlink(temporary.path) }
    }

    /// What a progress file says, as the runner reads it.
    public struct Reading: Sendable, Equatable {
        public let done: Int64
        public let total: Int64
        public let unit: String

        public init(done: Int64, total: Int64, unit: String) {
            self.done = done
            self.total = total
            self.unit = unit
        }

        /// Reads `file`; nil when it is missing or not `DONE TOTAL [UNIT]`.
        public init?(contentsOf file: URL) {
            guard let data = FileManager.default.contents(atPath: file.path), data.count < 4096 else { return nil }
            let words = String(decoding: data, as: UTF8.self).split(whereSeparator: \.isWhitespace)
            guard words.count >= 2, let done = Int64(words[0]), let total = Int64(words[1]), done >= 0, total >= 0 else {
                return nil
            }
            self.init(done: done, total: total, unit: words.count > 2 ? String(words[2]) : "")
        }

        /// `45% (90.1 MB of 200 MB)`, `1,204 records`, `3 of 10 files`.
        public var summary: String {
            let isBytes = unit == "bytes"
            func amount(_ value: Int64) -> String {
                isBytes ? Self.megabytes(value) : Self.grouped(value)
            }
            let suffix = isBytes || unit.isEmpty ? "" : " \(unit)"
            guard total > 0 else { return amount(done) + suffix }
            let percent = Int((Double(min(done, total)) / Double(total) * 100).rounded(.down))
            return "\(percent)% (\(amount(done)) of \(amount(total))\(suffix))"
        }

        static func megabytes(_ bytes: Int64) -> String {
            let value = Double(bytes) / 1_000_000
            return value >= 100 ? "\(Int(value.rounded())) MB" : String(format: "%.1f MB", value)
        }

        static func grouped(_ value: Int64) -> String {
            let digits = String(value)
            var result = ""
            for (index, character) in digits.enumerated() {
                if index > 0, (digits.count - index) % 3 == 0 { result.append(",") }
                result.append(character)
            }
            return result
        }
    }

    static func monotonicNanoseconds() -> UInt64 {
        var time = timespec()
        clock_gettime(CLOCK_MONOTONIC, &time)
        return UInt64(time.tv_sec) * 1_000_000_000 + UInt64(time.tv_nsec)
    }
}
