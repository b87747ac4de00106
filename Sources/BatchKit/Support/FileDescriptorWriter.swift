#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Writes the whole of a text to a file descriptor, retrying short writes and
/// `EINTR`.
package enum FileDescriptorWriter {
    /// - Returns: 0 on success, else the `errno` of the failing write.
    package static func writeAll(_ descriptor: Int32, _ text: String) -> Int32 {
        var text = text
        return text.withUTF8 { writeAll(descriptor, UnsafeRawBufferPointer($0)) }
    }

    /// - Returns: 0 on success, else the `errno` of the failing write.
    package static func writeAll(_ descriptor: Int32, _ bytes: UnsafeRawBufferPointer) -> Int32 {
        guard let base = bytes.baseAddress else { return 0 }
        var offset = 0
        while offset < bytes.count {
            let written = write(descriptor, base + offset, bytes.count - offset)
            if written < 0 {
                if errno == EINTR { continue }
                return errno
            }
            offset += written
        }
        return 0
    }

    /// Appends `text` to the file at `path` (created if missing) with one
    /// `O_APPEND` write, so lines from several processes never interleave;
    /// `sync` also waits for the disk.
    ///
    /// - Returns: 0 on success, else the `errno` of the failing call.
    package static func append(_ text: String, to path: String, sync: Bool = false) -> Int32 {
        let descriptor = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else { return errno }
        defer { close(descriptor) }
        let code = writeAll(descriptor, text)
        guard code == 0 else { return code }
        return sync && fsync(descriptor) != 0 ? errno : 0
    }
}
