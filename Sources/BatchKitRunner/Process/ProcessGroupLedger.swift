import BatchKit
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation

/// A note on disk of every step process group of one job that is running,
/// in `logs/.<job>.process-groups/<pgid>` (holding the run id). A runner that
/// is killed cannot clean up after itself; the next run of the job, holding
/// the job's lock, kills whatever those groups still contain. Each job has
/// its own folder, so task lists sharing `logs/` never touch each other's
/// steps. ``RunRecorder`` owns it.
public struct ProcessGroupLedger: Sendable {
    public let directory: URL

    public init(directory: URL) {
        self.directory = directory
    }

    /// Notes that group `pgid` runs a step of `runID`.
    public func register(_ pgid: pid_t, runID: String) {
        // Written in place, not through a temporary file: a runner killed
        // mid-write leaves a file named by the group (its content at worst
        // short), never a stray temporary name the sweep cannot read.
        let file = directory.path + "/" + String(pgid)
        // The folder is made only when it is missing (once per run, not once per step).
        if FileDescriptorWriter.append(runID, to: file, sync: false) == ENOENT {
            try? FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            _ = FileDescriptorWriter.append(runID, to: file, sync: false)
        }
    }

    /// Forgets group `pgid`, whose leader has ended.
    public func unregister(_ pgid: pid_t) {
        unlink(directory.path + "/" + String(pgid))
    }

    /// Kills the processes left in groups a dead runner noted, and forgets
    /// them. A process is only killed when it is in that group *and* its
    /// environment carries the noted run id, so a reused id is never hit.
    ///
    /// - Returns: How many processes were killed.
    @discardableResult
    public func reapStale() -> Int {
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []
        var killed = 0
        for entry in entries {
            let file = directory.appendingPathComponent(entry)
            defer { try? FileManager.default.removeItem(at: file) }
            guard let pgid = pid_t(entry),
                  let runID = try? String(contentsOf: file, encoding: .utf8), !runID.isEmpty
            else { continue }
            for pid in Self.members(of: pgid) where ProcFile.environment(of: pid).contains("\(ChildContract.runID)=\(runID)") {
                if kill(pid, SIGKILL) == 0 { killed += 1 }
            }
        }
        return killed
    }

    /// The processes whose group is `pgid` (Linux `/proc`; none elsewhere).
    static func members(of pgid: pid_t) -> [pid_t] {
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
        return entries.compactMap { entry -> pid_t? in
            guard let pid = pid_t(entry),
                  let stat = ProcFile.text("/proc/\(pid)/stat"),
                  let close = stat.lastIndex(of: ")")
            else { return nil }
            // Fields after the command: state, ppid, pgrp, …
            let fields = stat[stat.index(after: close)...].split(separator: " ")
            return fields.count > 2 && pid_t(fields[2]) == pgid ? pid : nil
        }
    }
}
