import BatchKit
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation

/// A fault tests can arm: `BATCHKIT_CRASH_AFTER_WRITE=N` makes the runner
/// SIGKILL itself right after its N-th durable write (a journal line, a
/// snapshot, a CSV append, a report file), counted from 1 in this process.
/// Only ``RunRecorder`` reads it, and only it writes, so every point where
/// a crash can leave the records is reachable by some N.
final class CrashPoint: @unchecked Sendable {
    /// The variable that arms it.
    static let variable = "BATCHKIT_CRASH_AFTER_WRITE"

    /// The process's count.
    static let shared = CrashPoint()

    private let after: Int?
    private let lock = NSLock()
    private var writes = 0

    init(environment: [String: String] = ProcessInfo.processInfo.environment) {
        after = environment[Self.variable].flatMap { Int($0) }.flatMap { $0 > 0 ? $0 : nil }
    }

    /// Counts one durable write, and dies if it was the armed one.
    func passed() {
        guard let after else { return }
        let count = lock.withLock {
            writes += 1
            return writes
        }
        if count == after { kill(getpid(), SIGKILL) }
    }
}
