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
    /// - Parameter syncingFolder: `fsync` the folder after the rename, so
    ///   the new name is on disk too. `false` when several files of one
    ///   folder are replaced in a row; then ``syncFolder(of:)`` once after
    ///   the last. A crash of the process cannot undo a rename either way.
    /// - Throws: ``CSVHistoryFile/WriteError`` naming the file and the system's reason.
    public static func replace(_ url: URL, with data: Data, syncingFolder: Bool = true) throws {
        try data.withUnsafeBytes { try replace(url, bytes: $0, syncingFolder: syncingFolder) }
    }

    /// Writes `bytes` to `url` durably, as the `Data` variant does.
    public static func replace(_ url: URL, with bytes: [UInt8], syncingFolder: Bool = true) throws {
        try bytes.withUnsafeBytes { try replace(url, bytes: $0, syncingFolder: syncingFolder) }
    }

    /// Writes `text` as UTF-8 to `url` durably, as the `Data` variant does.
    public static func replace(_ url: URL, with text: String, syncingFolder: Bool = true) throws {
        var text = text
        try text.withUTF8 { try replace(url, bytes: UnsafeRawBufferPointer($0), syncingFolder: syncingFolder) }
    }

    /// `fsync`s the folder of `url`, for renames made without it.
    public static func syncFolder(of url: URL) {
        let directory = open(url.deletingLastPathComponent().path, O_RDONLY | O_CLOEXEC)
        if directory >= 0 {
            fsync(directory)
            close(directory)
        }
    }

    private static func replace(_ url: URL, bytes: UnsafeRawBufferPointer, syncingFolder: Bool) throws {
        let folder = url.deletingLastPathComponent()
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let temporary = folder.appendingPathComponent(".\(url.lastPathComponent).\(getpid()).tmp")
        func fail(_ code: Int32) -> CSVHistoryFile.WriteError {
            CSVHistoryFile.WriteError(path: url.path, message: String(cString: strerror(code)))
        }
        let descriptor = open(temporary.path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else { throw fail(errno) }
        let code = FileDescriptorWriter.writeAll(descriptor, bytes)
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
        if syncingFolder { syncFolder(of: url) }
    }
}
