import BatchKit
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation

/// Holds a running step to its memory cap, from the runner: every
/// ``interval`` it adds up the resident memory (`VmRSS`) of the step's
/// process and all its descendants, and the first time the sum is above the
/// cap it calls `exceeded` (which kills the step's process group).
///
/// The sum is what `ps` or `top` would show added up: a page two processes
/// share (a library, memory a `fork` has not copied yet) counts for each. A
/// cgroup would count it once, but needs a delegation a runner cannot assume.
/// A process that leaves the step's process tree (a daemon that double-forks)
/// is not counted; it is still killed when the attempt ends.
final class MemoryWatchdog: @unchecked Sendable {
    /// How often the step's memory is sampled: often enough that a step
    /// touching new memory at several GB/s is stopped about 100 MB past its
    /// cap on an idle machine (the hard limit refuses one huge allocation at
    /// once), rarely enough to cost next to nothing (a few `/proc` reads).
    static let interval: DispatchTimeInterval = .milliseconds(20)

    /// What the watchdog saw, in kilobytes.
    struct Usage: Equatable {
        /// The highest sum sampled.
        var highest: Int
        /// The sum that went above the cap, if one did.
        var exceeded: Int?
    }

    private let lock = NSLock()
    private let pid: pid_t
    private let capKilobytes: Int
    private let exceeded: @Sendable (Int) -> Void
    private var usage = Usage(highest: 0)
    private var running = true
    private var timer: (any DispatchSourceTimer)?

    /// Starts watching `pid` (Linux only; elsewhere it never fires).
    ///
    /// - Parameters:
    ///   - pid: The step's process, the root of its tree.
    ///   - cap: The cap on the tree's resident memory.
    ///   - exceeded: Called once, from a Dispatch queue, with the sum (in
    ///     kilobytes) that went above the cap.
    init(pid: pid_t, cap: ByteCount, exceeded: @escaping @Sendable (Int) -> Void) {
        self.pid = pid
        self.capKilobytes = Int(clamping: cap.kibibytesRoundedUp)
        self.exceeded = exceeded
        #if os(Linux)
        let timer = DispatchSource.makeTimerSource(queue: DispatchQueue.global())
        timer.schedule(deadline: .now() + .milliseconds(2), repeating: Self.interval, leeway: .milliseconds(5))
        timer.setEventHandler { [weak self] in self?.sample() }
        timer.resume()
        self.timer = timer
        #endif
    }

    /// Stops sampling and says what was seen.
    func stop() -> Usage {
        timer?.cancel()
        return lock.withLock {
            running = false
            return usage
        }
    }

    /// The resident memory of `pid` and its descendants, in kilobytes.
    static func residentKilobytes(ofTree pid: pid_t) -> Int {
        ProcFile.tree(of: pid).compactMap { ProcFile.statusKilobytes("VmRSS", of: $0) }.reduce(0, +)
    }

    private func sample() {
        let total = Self.residentKilobytes(ofTree: pid)
        let fire: Bool = lock.withLock {
            guard running else { return false }
            usage.highest = max(usage.highest, total)
            guard total > capKilobytes, usage.exceeded == nil else { return false }
            usage.exceeded = total
            return true
        }
        if fire { exceeded(total) }
    }
}
