import BatchKit
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation

/// Replaces a file so that a crash at any point leaves the old or the new
/// content, never a mix: write a temporary file, `fsync` it, rename it over
/// the target, `fsync` the folder.
public enum DurableFile {
    /// Writes `data` to `url` durably.
    ///
    /// - Throws: ``CSVHistoryFile/WriteError`` naming the file and the system's reason.
    public static func replace(_ url: URL, with data: Data) throws {
        let folder = url.deletingLastPathComponent()
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let temporary = folder.appendingPathComponent(".\(url.lastPathComponent).\(getpid()).tmp")
        func fail(_ code: Int32) -> CSVHistoryFile.WriteError {
            CSVHistoryFile.WriteError(path: url.path, message: String(cString: strerror(code)))
        }
        let descriptor = open(temporary.path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else { throw fail(errno) }
        let code = FileDescriptorWriter.writeAll(descriptor, String(decoding: data, as: UTF8.self))
        let synced = fsync(descriptor) == 0 ? 0 : errno
        close(descriptor)
        guard code == 0, synced == 0 else {
            unlink(temporary.path)
            throw fail(code != 0 ? code : synced)
        }
        guard rename(temporary.path, url.path) == 0 else {
            let error = errno
            unlink(temporary.path)
            throw fail(error)
        }
        let directory = open(folder.path, O_RDONLY | O_CLOEXEC)
        if directory >= 0 {
            fsync(directory)
            close(directory)
        }
    }
}
