import BatchKit
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Reads small kernel files (`/proc/<pid>/status`, `…/children`,
/// `…/environ`) with plain `open`/`read`: they report a size of 0, and are
/// read here without Foundation's file machinery, which is not needed for them.
enum ProcFile {
    /// The whole file, or `nil` when it cannot be opened (the process is gone).
    static func bytes(_ path: String, limit: Int = 1 << 20) -> [UInt8]? {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { return nil }
        defer { close(descriptor) }
        var result: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while result.count < limit {
            let count = buffer.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, $0.count) }
            if count < 0 {
                if errno == EINTR { continue }
                return nil
            }
            if count == 0 { break }
            result.append(contentsOf: buffer[0..<count])
        }
        return result
    }

    /// The file as text.
    static func text(_ path: String) -> String? {
        bytes(path).map { String(decoding: $0, as: UTF8.self) }
    }

    /// The children of every thread of `pid`, from `/proc/<pid>/task/*/children`.
    static func children(of pid: pid_t) -> [pid_t] {
        var pids: [pid_t] = []
        for task in tasks(of: pid) {
            pids += children(of: pid, task: pid_t(task) ?? pid)
        }
        return pids
    }

    /// The children of one thread of `pid`, from `/proc/<pid>/task/<task>/children`.
    static func children(of pid: pid_t, task: pid_t) -> [pid_t] {
        guard let bytes = bytes("/proc/\(pid)/task/\(task)/children") else { return [] }
        return bytes.split(whereSeparator: { $0 == 0x20 || $0 == 0x0A }).compactMap { pid_t(String(decoding: $0, as: UTF8.self)) }
    }

    /// `pid` and its descendants (at most `limit` processes), parents first.
    static func tree(of pid: pid_t, limit: Int = 256) -> [pid_t] {
        var found: [pid_t] = []
        var seen: Set<pid_t> = []
        var queue = [pid]
        while let next = queue.popLast(), found.count < limit {
            guard seen.insert(next).inserted else { continue }
            found.append(next)
            queue += children(of: next)
        }
        return found
    }

    /// A field of `/proc/<pid>/status` counted in kilobytes (`VmHWM`,
    /// `VmRSS`), or `nil` when the process is gone or has no such field.
    static func statusKilobytes(_ field: String, of pid: pid_t) -> Int? {
        guard let status = bytes("/proc/\(pid)/status") else { return nil }
        // Byte by byte: this runs for every step, and for every process of a capped one every 20 ms.
        let prefix = Array((field + ":").utf8)
        var start = 0
        while start < status.count {
            let end = status[start...].firstIndex(of: 0x0A) ?? status.count
            if end - start > prefix.count, status[start..<(start + prefix.count)].elementsEqual(prefix) {
                var value = 0
                var digits = 0
                for byte in status[(start + prefix.count)..<end] {
                    if byte >= 0x30 && byte <= 0x39 {
                        value = value * 10 + Int(byte - 0x30)
                        digits += 1
                    } else if digits > 0 {
                        break
                    }
                }
                return digits > 0 ? value : nil
            }
            start = end + 1
        }
        return nil
    }

    /// The environment of `pid` as `NAME=value` strings (empty when unreadable).
    static func environment(of pid: pid_t) -> [String] {
        guard let bytes = bytes("/proc/\(pid)/environ") else { return [] }
        return bytes.split(separator: 0).map { String(decoding: $0, as: UTF8.self) }
    }

    private static func tasks(of pid: pid_t) -> [String] {
        guard let directory = opendir("/proc/\(pid)/task") else { return [] }
        defer { closedir(directory) }
        var names: [String] = []
        while let entry = readdir(directory) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
            if name.first?.isNumber == true { names.append(name) }
        }
        return names
    }
}
