import BatchKit
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation

/// Measures a step's peak memory properly.
///
/// `wait4`'s `ru_maxrss` is the high-water mark of the child *and of the
/// memory it started from*: `posix_spawn` shares the runner's memory until
/// `exec`, and Linux folds that into the child's peak. So a small step looks
/// as big as the runner. This sampler reads `VmHWM` (the peak of the current
/// program only) of the step's process and its descendants from `/proc`
/// every 50 ms; ``resolve(_:)`` then trusts `ru_maxrss` only when it exceeds
/// what the runner had at spawn time.
package final class PeakMemory: @unchecked Sendable {
    private let lock = NSLock()
    private let pid: pid_t
    private let baseline: Int
    private var peak = 0
    private var running = true
    private var timer: (any DispatchSourceTimer)?

    /// Starts sampling `pid` and its descendants (Linux only).
    init(pid: pid_t) {
        self.pid = pid
        baseline = Self.runnersPeak()
        #if os(Linux)
        // Just started, it has no children yet: its own status is enough.
        if let own = Self.highWater(of: pid) { peak = own }
        // A Dispatch timer rather than a thread of its own: it runs even when
        // many steps start at once on a busy machine.
        let timer = DispatchSource.makeTimerSource(queue: DispatchQueue.global())
        timer.schedule(deadline: .now() + .milliseconds(5), repeating: .milliseconds(50), leeway: .milliseconds(5))
        timer.setEventHandler { [weak self] in self?.sample() }
        timer.resume()
        self.timer = timer
        #endif
    }

    /// Stops sampling and returns the best peak, in kilobytes, given the
    /// `ru_maxrss` of the ended child; `nil` when the child ended too fast to
    /// be sampled and `ru_maxrss` cannot be told from the runner's own size.
    func resolve(_ maxRSS: Int) -> Int? {
        timer?.cancel()
        let sampled: Int = lock.withLock {
            running = false
            return peak
        }
        // Above what the runner had at spawn time, ru_maxrss is the child's own.
        if maxRSS > baseline + 1024 { return maxRSS }
        #if os(Linux)
        // A sample caught mid-exec can be a few kilobytes: not a measurement.
        return sampled >= 256 ? sampled : nil
        #else
        return maxRSS
        #endif
    }

    private func sample() {
        let highest = ProcFile.tree(of: pid).compactMap(Self.highWater(of:)).max() ?? 0
        lock.withLock { if running { peak = max(peak, highest) } }
    }

    /// The runner's own peak, in kilobytes, from `getrusage` (no `/proc`
    /// text to read): never below its `VmHWM`, which is what a spawned
    /// child's `ru_maxrss` starts from.
    private static func runnersPeak() -> Int {
        var usage = rusage()
        #if os(Linux)
        let who = Int32(RUSAGE_SELF.rawValue)
        #else
        let who = RUSAGE_SELF
        #endif
        guard getrusage(who, &usage) == 0 else { return highWater(of: getpid()) ?? 0 }
        return Int(usage.ru_maxrss)
    }

    /// `VmHWM` of `pid`, in kilobytes.
    package static func highWater(of pid: pid_t) -> Int? {
        ProcFile.statusKilobytes("VmHWM", of: pid)
    }
}
