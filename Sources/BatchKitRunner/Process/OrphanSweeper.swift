import BatchKit
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation

/// Catches what a step started outside its process group.
///
/// A step's descendants normally die with its process group, but a program
/// may move a child into a group of its own (Foundation's `Process` does) and
/// even block SIGTERM there. The runner is made a child subreaper, so such
/// orphans are re-parented to it instead of to init; when a step ends, every
/// child of the runner whose environment carries that attempt's token is
/// killed and reaped, and then whatever it left, until none remains.
package enum OrphanSweeper {
    /// The environment variable that marks an attempt's processes.
    static let variable = ChildContract.attemptToken

    /// Makes this process adopt orphaned descendants (Linux 3.4+).
    package static func becomeSubreaper() {
        #if os(Linux)
        typealias Prctl = @convention(c) (Int32, UInt, UInt, UInt, UInt) -> Int32
        if let symbol = dlsym(nil, "prctl") {
            _ = unsafeBitCast(symbol, to: Prctl.self)(36 /* PR_SET_CHILD_SUBREAPER */, 1, 0, 0, 0)
        }
        #endif
    }

    /// Kills and reaps the runner's children tagged with `token`, repeatedly,
    /// as killing one may re-parent its own children to the runner.
    static func sweep(token: String) {
        #if os(Linux)
        let marker = "\(variable)=\(token)"
        for _ in 0..<16 {
            let tagged = runnersChildren().filter { !LiveChildren.shared.contains($0) && ProcFile.environment(of: $0).contains(marker) }
            guard !tagged.isEmpty else { return }
            for pid in tagged { kill(pid, SIGKILL) }
            for pid in tagged {
                var status: Int32 = 0
                while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
            }
        }
        #endif
    }
}

extension OrphanSweeper {
    /// The runner's children: those of the spawn thread, which starts every
    /// step, and those of the main thread, to which Linux re-parents an
    /// orphan (the first live thread of the subreaper). Two small reads,
    /// not one per thread of the runtime.
    static func runnersChildren() -> [pid_t] {
        let process = getpid()
        let spawner = SpawnThread.shared.id
        return ProcFile.children(of: process, task: process) + (spawner == process ? [] : ProcFile.children(of: process, task: spawner))
    }
}

/// The children whose exit a waiter thread is waiting for; a sweep must not
/// reap them.
final class LiveChildren: @unchecked Sendable {
    static let shared = LiveChildren()
    private let lock = NSLock()
    private var pids: Set<pid_t> = []

    func insert(_ pid: pid_t) { lock.withLock { _ = pids.insert(pid) } }
    func remove(_ pid: pid_t) { lock.withLock { _ = pids.remove(pid) } }
    func contains(_ pid: pid_t) -> Bool { lock.withLock { pids.contains(pid) } }
}
