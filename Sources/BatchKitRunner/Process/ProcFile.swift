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
            let text = self.text("/proc/\(pid)/task/\(task)/children") ?? ""
            pids += text.split(separator: " ").compactMap { pid_t($0.trimmingCharacters(in: .whitespacesAndNewlines)) }
        }
        return pids
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
        guard let status = text("/proc/\(pid)/status") else { return nil }
        let prefix = field + ":"
        guard let line = status.split(separator: "\n").first(where: { $0.hasPrefix(prefix) }) else { return nil }
        return Int(line.dropFirst(prefix.count).split(whereSeparator: { $0 == " " || $0 == "\t" }).first ?? "")
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
