import BatchKit
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation

/// A run's `state.journal`: lines appended with one `O_APPEND` write each,
/// and `fsync`ed with it or, for several lines at once, by ``sync()``. A
/// line a crash cut short never swallows the next: a failed append is cut
/// back off, and ``cutTornTail()`` removes one left by a crash before
/// anything is appended again.
struct JournalFile {
    let url: URL

    /// Appends one line (ending in a newline), `fsync`ed unless `sync` is
    /// `false` (the lines before it, too: `fsync` covers the whole file).
    ///
    /// - Throws: ``CSVHistoryFile/WriteError`` naming the file.
    func append(_ line: String, sync: Bool = true) throws {
        let descriptor = open(url.path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else { throw failure(errno) }
        defer { close(descriptor) }
        let size = lseek(descriptor, 0, SEEK_END)
        let code = FileDescriptorWriter.writeAll(descriptor, line)
        let synced = code == 0 && sync && fsync(descriptor) != 0 ? errno : 0
        guard code == 0, synced == 0 else {
            if size >= 0 { _ = ftruncate(descriptor, size) }
            throw failure(code != 0 ? code : synced)
        }
    }

    /// `fsync`s the lines appended without it.
    func sync() throws {
        let descriptor = open(url.path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { throw failure(errno) }
        defer { close(descriptor) }
        guard fsync(descriptor) == 0 else { throw failure(errno) }
    }

    /// Cuts the file back to its last complete line.
    func cutTornTail() throws {
        guard let data = FileManager.default.contents(atPath: url.path), let last = data.last, last != 0x0A else { return }
        let keep = (data.lastIndex(of: 0x0A).map { $0 + 1 }) ?? 0
        guard truncate(url.path, off_t(keep)) == 0 else { throw failure(errno) }
    }

    private func failure(_ code: Int32) -> CSVHistoryFile.WriteError {
        CSVHistoryFile.WriteError(path: url.path, message: String(cString: strerror(code)))
    }
}
