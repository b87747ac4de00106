import BatchKit
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation

/// One run of a job at a time: an exclusive `flock` on `logs/.<job>.lock`, held
/// for the whole run. The kernel drops it when the holder dies, however it
/// dies, so a lock left by a dead process is simply taken over.
public final class RunLock: @unchecked Sendable {
    private let descriptor: Int32

    /// Another run holds the lock.
    public struct Busy: Error, CustomStringConvertible {
        public let job: String
        /// What the holder wrote: its pid, run id and start time.
        public let holder: String
        public var description: String {
            "another run of \(job) is in progress (\(holder)); wait for it to finish, or stop it, then try again"
        }
    }

    /// The lock file cannot be created or opened: nothing runs.
    public struct Unavailable: Error, CustomStringConvertible {
        /// What went wrong, with the path and what to do.
        public let problem: String
        public var description: String { "cannot take the job's lock: \(problem). Nothing was run" }
    }

    /// Takes the lock of the job at `layout`, or throws ``Busy`` naming the
    /// process that holds it.
    ///
    /// - Throws: ``Busy``; ``Unavailable`` when `logs/` or the lock file
    ///   cannot be created or opened.
    public init(layout: RunLayout, job: String, runID: String) throws {
        do {
            try FileManager.default.createDirectory(at: layout.logsDirectory, withIntermediateDirectories: true)
        } catch {
            throw Unavailable(problem: "cannot create \(layout.relative(layout.logsDirectory))/: \(ErrorDescription.of(error))")
        }
        // Named after the job: task lists that share a folder share `logs/`.
        let path = layout.lockFile(job: job).path
        let descriptor = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else {
            throw Unavailable(problem: ErrorDescription.posix(errno, path: layout.relative(layout.lockFile(job: job))))
        }
        guard flock(descriptor, LOCK_EX | LOCK_NB) == 0 else {
            let holder = (try? String(contentsOfFile: path, encoding: .utf8))?
                .trimmingCharacters(in: .whitespacesAndNewlines) ?? ""
            close(descriptor)
            throw Busy(job: job, holder: holder.isEmpty ? "lock file \(path)" : holder)
        }
        ftruncate(descriptor, 0)
        _ = FileDescriptorWriter.writeAll(
            descriptor, "pid \(getpid()), run \(runID), started \(Timestamp.iso8601(Date()))\n")
        self.descriptor = descriptor
    }

    deinit {
        flock(descriptor, LOCK_UN)
        close(descriptor)
    }
}
