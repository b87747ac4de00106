import BatchKit
import Foundation

/// How an attempt of a step with a memory cap broke it, which fails the
/// attempt with reason `memory`. The rules, in order:
///
/// 1. **Killed.** ``MemoryWatchdog`` saw the resident memory of the step's
///    processes, added up, above the cap, and the process group was killed
///    with SIGKILL at once (no grace: the step may be allocating as fast as it
///    can).
/// 2. **Peak.** Whatever the ending, even exit 0: the highest memory measured
///    — the watchdog's largest sum, or the peak of any one of its processes
///    (`VmHWM`, the history's `max_rss_kb`), which the kernel keeps even
///    between two samples — is above the cap.
/// 3. **Allocation refused.** The attempt failed on its own (not stopped by a
///    timeout or an interruption) and the end of its log (its last 16 KiB)
///    has an out-of-memory message from a common runtime (see
///    ``messages``). This is how ``MemoryLimit`` shows: an allocation past
///    it fails before the memory is ever resident.
///
/// An attempt batchkit was already stopping for a timeout or an interruption
/// keeps that reason. A step that catches a refused allocation and fails
/// with a message of its own is recorded as `exit` or `error`, as it reported.
struct MemoryCapBreach: Equatable {
    enum Kind: Equatable {
        /// Rule 1, with the sum that crossed the cap, in kilobytes.
        case killed(kilobytes: Int)
        /// Rule 2, with the peak, in kilobytes.
        case peak(kilobytes: Int)
        /// Rule 3, with the log's line.
        case allocationRefused(line: String)
    }

    let kind: Kind
    let cap: ByteCount

    /// Out-of-memory messages, matched ignoring case, and where they come
    /// from: Swift's runtime (`failed to allocate N bytes`, older `Could not
    /// allocate memory`), `strerror(ENOMEM)` as printed by shells and C tools
    /// (`Cannot allocate memory`), bash and R (`cannot allocate`), NumPy
    /// (`Unable to allocate`), Perl, Go and Node.js (`out of memory`), Python
    /// (`MemoryError`), Java (`OutOfMemoryError`), C++ (`std::bad_alloc`), GNU
    /// tools (`memory exhausted`), Rust (`memory allocation of N bytes failed`).
    static let messages = [
        "failed to allocate", "could not allocate", "cannot allocate", "unable to allocate", "out of memory",
        "memoryerror", "outofmemoryerror", "bad_alloc", "memory exhausted", "memory allocation of",
    ]

    /// Applies the rules to an attempt that has ended.
    ///
    /// - Parameters:
    ///   - cap: The step's memory cap.
    ///   - watched: What the watchdog saw.
    ///   - processPeak: The peak of the largest process, in kilobytes.
    ///   - failedOnItsOwn: The attempt failed, and not because batchkit
    ///     stopped it (timeout, interruption).
    ///   - log: The attempt's log.
    /// - Returns: The breach, or `nil` when the attempt kept to its cap.
    static func find(
        cap: ByteCount, watched: MemoryWatchdog.Usage, processPeak: Int?, failedOnItsOwn: Bool, log: URL
    ) -> MemoryCapBreach? {
        if let killedAt = watched.exceeded { return MemoryCapBreach(kind: .killed(kilobytes: killedAt), cap: cap) }
        let peak = max(watched.highest, processPeak ?? 0)
        if Int64(peak) > cap.kibibytesRoundedUp { return MemoryCapBreach(kind: .peak(kilobytes: peak), cap: cap) }
        if failedOnItsOwn, let line = outOfMemoryLine(in: log) {
            return MemoryCapBreach(kind: .allocationRefused(line: line), cap: cap)
        }
        return nil
    }

    /// The last line of the end of `log` with an out-of-memory message.
    static func outOfMemoryLine(in log: URL) -> String? {
        LogTail.lines(of: log, count: .max).last { line in
            let lowered = line.lowercased()
            return messages.contains { lowered.contains($0) }
        }.map { String($0.trimmingCharacters(in: .whitespaces).prefix(300)) }
    }

    /// What the history's `message` says.
    var message: String {
        let advice = "raise its memory cap or make it use less"
        switch kind {
        case .killed(let kilobytes):
            return "used \(cap.describe(.kibibytes(kilobytes))), above its memory cap of \(cap), so its process group was killed; \(advice)"
        case .peak(let kilobytes):
            return "used \(cap.describe(.kibibytes(kilobytes))) at its peak, above its memory cap of \(cap); \(advice)"
        case .allocationRefused(let line):
            let limit = ByteCount(bytes: MemoryLimit.dataLimit(forCap: cap))
            return "failed for lack of memory under its memory cap of \(cap) (its log says \"\(line)\"; each of its processes may reserve at most \(cap.describe(limit))); \(advice)"
        }
    }
}
