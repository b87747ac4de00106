import BatchKit
import CBatchKitSpawn
import Foundation

/// The one thread that starts every child process.
///
/// Linux's "kill me when my parent dies" (`PR_SET_PDEATHSIG`, which step
/// processes ask for) fires when the *thread* that spawned the child exits,
/// not the process — and the runtime's worker threads come and go. Spawning
/// from a thread that lives as long as the process makes the signal mean
/// what it should: the runner died.
final class SpawnThread: @unchecked Sendable {
    static let shared = SpawnThread()

    private let condition = NSCondition()
    private var work: [@Sendable () -> Void] = []
    private var threadID: pid_t?

    /// The thread's id: every child the runner starts is its child, in
    /// `/proc/self/task/<id>/children`.
    var id: pid_t {
        condition.withLock {
            while threadID == nil { condition.wait() }
            return threadID ?? 0
        }
    }

    private init() {
        let thread = Thread { [unowned self] in self.loop() }
        thread.name = "batchkit-spawn"
        thread.stackSize = 512 * 1024
        thread.start()
    }

    /// Runs `body` on the spawn thread and returns its result.
    func run<Value: Sendable>(_ body: @escaping @Sendable () -> Value) async -> Value {
        await withCheckedContinuation { continuation in
            condition.withLock {
                work.append { continuation.resume(returning: body()) }
                condition.signal()
            }
        }
    }

    private func loop() {
        condition.withLock {
            threadID = batchkit_thread_id()
            condition.broadcast()
        }
        while true {
            let next: @Sendable () -> Void = condition.withLock {
                while work.isEmpty { condition.wait() }
                return work.removeFirst()
            }
            next()
        }
    }
}
