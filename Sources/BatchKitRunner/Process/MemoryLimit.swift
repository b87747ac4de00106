import BatchKit
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The hard half of a step's memory cap: a limit on the private writable
/// memory (`RLIMIT_DATA`) of each of the step's processes, set inside the
/// step's own process before its code runs, and inherited by everything it
/// starts. An allocation past it fails at once (Python's `MemoryError`,
/// Swift's `Fatal error: failed to allocate …`), however fast it comes, so a
/// runaway step cannot outrun ``MemoryWatchdog`` and take the machine's
/// memory before the watchdog's next look.
///
/// It is only a backstop, set well above the cap: the limit counts virtual
/// memory, which runtimes reserve beyond what they touch (8 MiB of stack for
/// every thread, glibc's per-thread malloc arenas, allocators' free lists),
/// while the cap is about resident memory. At the cap itself it would refuse
/// steps that are well under it; `RLIMIT_AS` (all address space) would be
/// worse still. The watchdog enforces the cap itself. On Linux before 4.7
/// `RLIMIT_DATA` covers only the `brk` heap, so the watchdog alone does.
package enum MemoryLimit {
    /// Headroom for reservations that are not resident memory.
    static let headroom: Int64 = 256 << 20

    /// The `RLIMIT_DATA` for a cap: twice the cap plus 256 MiB, in bytes.
    package static func dataLimit(forCap cap: ByteCount) -> Int64 {
        let (doubled, overflow) = cap.bytes.multipliedReportingOverflow(by: 2)
        let (limit, overflow2) = doubled.addingReportingOverflow(headroom)
        return overflow || overflow2 ? .max : limit
    }

    /// Sets this process's `RLIMIT_DATA` (soft and hard, so the step cannot
    /// raise it), never above a hard limit already in place.
    ///
    /// - Returns: `false` when the kernel refused.
    @discardableResult
    package static func apply(_ bytes: Int64) -> Bool {
        #if os(Linux)
        var current = rlimit()
        guard getrlimit(Int32(RLIMIT_DATA.rawValue), &current) == 0 else { return false }
        // Unlimited (RLIM_INFINITY) is all ones, so `min` keeps the wanted value.
        let value = min(rlim_t(clamping: bytes), current.rlim_max)
        var limit = rlimit(rlim_cur: value, rlim_max: value)
        return setrlimit(Int32(RLIMIT_DATA.rawValue), &limit) == 0
        #else
        return false
        #endif
    }

    /// The arguments of `/bin/sh` that set the limit, then run `command` in
    /// a fresh `/bin/sh -c` exactly as an uncapped step would be run (the
    /// same `$0`, the command as its own script). `ulimit -d` (kilobytes)
    /// is in every shell that matters (dash, bash, busybox); if it cannot be
    /// set (a lower hard limit is already in place), the step runs anyway.
    static func shellArguments(command: String, cap: ByteCount) -> [String] {
        let kilobytes = dataLimit(forCap: cap) / 1024
        return ["-c", "ulimit -d \(kilobytes) 2>/dev/null; exec /bin/sh -c \"$1\"", "/bin/sh", command]
    }

    /// The arguments of `/bin/sh` that set the limit, then exec `program`
    /// (a Python task's interpreter and its arguments) as it is.
    static func execArguments(_ program: [String], cap: ByteCount) -> [String] {
        let kilobytes = dataLimit(forCap: cap) / 1024
        return ["-c", "ulimit -d \(kilobytes) 2>/dev/null; exec \"$@\"", "/bin/sh"] + program
    }
}
