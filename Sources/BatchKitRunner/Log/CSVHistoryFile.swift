import BatchKit
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation

/// An append-only CSV file: the header is written once, when the file is
/// created, and rows are only ever added after it, each batch with one
/// `write(2)` on an `O_APPEND` descriptor followed by `fsync`.
///
/// A file must start with the history's header; one written by a newer
/// batchkit may add columns after it, which rows leave empty. Anything else
/// (another program's CSV, binary data) is refused, never appended to.
public struct CSVHistoryFile: Sendable {
    /// The file.
    public let url: URL
    /// The columns a new file gets.
    public let columns: [String]

    public init(url: URL, columns: [String]) {
        self.url = url
        self.columns = columns
    }

    /// An I/O failure, naming the file.
    public struct WriteError: Error, CustomStringConvertible {
        public let path: String
        public let message: String
        public var description: String { "cannot append to \(path): \(message)" }
    }

    /// Why rows cannot be appended to the file, found before anything is
    /// written (see ``checkAppendable()``).
    public enum Unusable: Error, Equatable, Sendable {
        /// A directory (or other non-file) is where the file should be.
        case notAFile(kind: String)
        /// The file, or the folder it is to be created in, cannot be written.
        case notWritable(reason: String, folder: Bool)
        /// The file does not start with this history's header: another
        /// program's CSV, or not text at all.
        case foreign(firstLine: String)
    }

    /// Checks that rows can be appended: the file is a regular file (or can
    /// be created), it can be written, and it starts with this history's
    /// header (or a newer batchkit's, which adds columns at the end).
    /// Creates the folder; a missing file is left to the first append, as
    /// long as the folder can take it.
    ///
    /// - Throws: ``Unusable``.
    public func checkAppendable() throws(Unusable) {
        let folder = url.deletingLastPathComponent()
        do {
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        } catch {
            throw .notWritable(reason: "cannot create the folder", folder: true)
        }
        var status = stat()
        if stat(url.path, &status) == 0, status.st_mode & S_IFMT != S_IFREG {
            throw .notAFile(kind: status.st_mode & S_IFMT == S_IFDIR ? "a directory" : "not a regular file")
        }
        guard FileManager.default.fileExists(atPath: url.path) else {
            guard access(folder.path, W_OK | X_OK) == 0 else {
                throw .notWritable(reason: String(cString: strerror(errno)).lowercased(), folder: true)
            }
            return
        }
        let descriptor = open(url.path, O_WRONLY | O_APPEND | O_CLOEXEC)
        guard descriptor >= 0 else {
            throw .notWritable(reason: String(cString: strerror(errno)).lowercased(), folder: false)
        }
        close(descriptor)
        if let line = try? foreignFirstLine() { throw .foreign(firstLine: line) }
    }

    /// The first line when the file is not empty and does not start with
    /// this history's header; `nil` when it does (or is empty).
    private func foreignFirstLine() throws -> String? {
        let descriptor = open(url.path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { return nil }
        defer { close(descriptor) }
        var status = stat()
        guard fstat(descriptor, &status) == 0, status.st_size > 0 else { return nil }
        let (header, _) = readHeader(descriptor, size: Int(status.st_size))
        if header.count >= columns.count, Array(header.prefix(columns.count)) == columns { return nil }
        if isOlder(header) { return nil }
        var buffer = [UInt8](repeating: 0, count: 120)
        let count = buffer.withUnsafeMutableBytes { pread(descriptor, $0.baseAddress, $0.count, 0) }
        let bytes = buffer.prefix(max(0, count)).prefix { $0 != 0x0A && $0 != 0x0D }
        let printable = bytes.allSatisfy { $0 >= 0x20 && $0 != 0x7F } && String(validating: bytes, as: UTF8.self) != nil
        return printable ? String(decoding: bytes, as: UTF8.self) : "binary data, not text"
    }

    /// Appends rows given as column name → value.
    ///
    /// - Parameter sync: `fsync` the file before returning; `false` leaves
    ///   that to ``sync()`` (the run's recorder, which journals the rows first).
    /// - Throws: ``WriteError`` when the file cannot be created or written,
    ///   or no longer starts with this history's header.
    public func append(_ rows: [[String: String]], sync: Bool = true) throws {
        guard !rows.isEmpty else { return }
        let (descriptor, status) = try openLockedForAppend()
        defer {
            flock(descriptor, LOCK_UN)
            close(descriptor)
        }

        var text = ""
        var header = columns
        if status.st_size == 0 {
            text = CSV.encodeRecord(columns)
        } else {
            let (existing, endsWithNewline) = readHeader(descriptor, size: Int(status.st_size))
            // Another program's file: appending would cut rows to its columns.
            // (An older batchkit's gets its new columns when the history is opened.)
            guard existing.count >= columns.count && Array(existing.prefix(columns.count)) == columns || isOlder(existing) else {
                throw WriteError(path: url.path, message: "it no longer starts with batchkit's header (it was replaced while the run went on)")
            }
            header = existing
            // Belt and braces: ``repairTornTail(movingTo:)`` runs first, but a
            // row torn outside a quoted field must still not swallow the next.
            if !endsWithNewline { text = "\r\n" }
        }
        for row in rows {
            text += CSV.encodeRecord(header.map { row[$0] ?? "" })
        }
        // All or nothing: a failed append is cut back off, so retrying it
        // cannot add a row twice.
        let code = FileDescriptorWriter.writeAll(descriptor, text)
        let synced = code == 0 && sync && fsync(descriptor) != 0 ? errno : 0
        guard code == 0, synced == 0 else {
            _ = ftruncate(descriptor, status.st_size)
            throw WriteError(path: url.path, message: String(cString: strerror(code != 0 ? code : synced)))
        }
    }

    /// `fsync`s what was appended without it.
    ///
    /// - Throws: ``WriteError`` naming the file.
    public func sync() throws {
        let descriptor = open(url.path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { throw failure() }
        defer { close(descriptor) }
        guard fsync(descriptor) == 0 else { throw failure() }
    }

    /// Opens the file for appending under its lock, creating it if needed.
    /// Serialises with other writers (another job in the folder); if the
    /// file was replaced while this waited for the lock (``addMissingColumns()``
    /// renamed a new file over it), the new file is opened instead, so no row
    /// goes into a file no longer in the folder.
    private func openLockedForAppend() throws -> (Int32, stat) {
        while true {
            var descriptor = open(url.path, O_RDWR | O_CREAT | O_APPEND | O_CLOEXEC, 0o644)
            if descriptor < 0, errno == ENOENT {
                // Its folder is made when it is missing, not before every append.
                try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
                descriptor = open(url.path, O_RDWR | O_CREAT | O_APPEND | O_CLOEXEC, 0o644)
            }
            guard descriptor >= 0 else { throw failure() }
            flock(descriptor, LOCK_EX)
            var opened = stat()
            var current = stat()
            guard fstat(descriptor, &opened) == 0 else {
                let error = failure()
                close(descriptor)
                throw error
            }
            if stat(url.path, &current) == 0, current.st_ino == opened.st_ino, current.st_dev == opened.st_dev {
                return (descriptor, opened)
            }
            flock(descriptor, LOCK_UN)
            close(descriptor)
        }
    }

    /// Whether `header` is an older batchkit's: this header without some of
    /// its last columns (each release adds columns at the end only).
    private func isOlder(_ header: [String]) -> Bool {
        header.count >= 8 && header.count < columns.count && Array(columns.prefix(header.count)) == header
    }

    /// The columns an older batchkit's file lacks; empty when it has them all.
    public func missingColumns() -> [String] {
        let descriptor = open(url.path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { return [] }
        defer { close(descriptor) }
        var status = stat()
        guard fstat(descriptor, &status) == 0, status.st_size > 0 else { return [] }
        let (header, _) = readHeader(descriptor, size: Int(status.st_size))
        return isOlder(header) ? Array(columns.dropFirst(header.count)) : []
    }

    /// Gives an older batchkit's file the columns it lacks: the file is
    /// written again whole (temporary file, `fsync`, rename), earlier rows
    /// with those fields empty, under the file's lock.
    ///
    /// - Throws: ``WriteError`` when it cannot be read or replaced.
    public func addMissingColumns() throws {
        let descriptor = open(url.path, O_RDWR | O_CLOEXEC)
        guard descriptor >= 0 else { throw failure() }
        defer { close(descriptor) }
        flock(descriptor, LOCK_EX)
        defer { flock(descriptor, LOCK_UN) }
        let table: CSVTable
        do {
            table = try CSVTable.read(url)
        } catch {
            throw WriteError(path: url.path, message: "cannot read it to add the columns \(missingColumns().joined(separator: ", ")): \(ErrorDescription.of(error))")
        }
        guard isOlder(table.header) else { return }
        var text = CSV.encodeRecord(columns)
        for row in table.rows {
            text += CSV.encodeRecord(row + Array(repeating: "", count: max(0, columns.count - row.count)))
        }
        try DurableFile.replace(url, with: text)
    }

    /// Appends `text` as it is (no header, no quoting), with the same
    /// `O_APPEND` write and `fsync` as rows.
    public func appendRaw(_ text: String) throws {
        let code = FileDescriptorWriter.append(text, to: url.path, sync: true)
        guard code == 0 else { throw WriteError(path: url.path, message: String(cString: strerror(code))) }
    }

    /// What ``repairTornTail(movingTo:)`` did.
    public struct TornTail: Sendable, Equatable {
        /// The bytes cut from the end of the file.
        public let bytes: Int
        /// Where they went.
        public let movedTo: URL
    }

    /// Finds an incomplete record at the end of the file (a crash or a full
    /// disk cut an append short, perhaps inside a quoted field), moves it to
    /// `aside` and cuts the file back to its last complete record, so the
    /// next append starts a record of its own and the file stays valid CSV.
    /// Done under the file's lock, so a writer of another job never sees
    /// half of it.
    ///
    /// - Returns: What was moved, or `nil` when the file ends cleanly (or
    ///   does not exist).
    /// - Throws: ``WriteError`` when the file cannot be read or repaired.
    @discardableResult
    public func repairTornTail(movingTo aside: URL) throws -> TornTail? {
        let descriptor = open(url.path, O_RDWR | O_CLOEXEC)
        guard descriptor >= 0 else {
            if errno == ENOENT { return nil }
            throw failure()
        }
        defer { close(descriptor) }
        flock(descriptor, LOCK_EX)
        defer { flock(descriptor, LOCK_UN) }
        var status = stat()
        guard fstat(descriptor, &status) == 0 else { throw failure() }
        let size = Int(status.st_size)
        let end = try Self.endOfLastRecord(descriptor, size: size)
        guard end < size else { return nil }
        var tail = [UInt8](repeating: 0, count: size - end)
        let read = tail.withUnsafeMutableBytes { pread(descriptor, $0.baseAddress, $0.count, off_t(end)) }
        guard read == tail.count else { throw failure() }
        try DurableFile.replace(aside, with: Data(tail))
        guard ftruncate(descriptor, off_t(end)) == 0, fsync(descriptor) == 0 else { throw failure() }
        return TornTail(bytes: tail.count, movedTo: aside)
    }

    /// The offset just past the last line break that is outside quotes: the
    /// end of the last complete record. Doubled quotes inside a quoted field
    /// toggle twice, so counting quotes is enough.
    private static func endOfLastRecord(_ descriptor: Int32, size: Int) throws -> Int {
        var buffer = [UInt8](repeating: 0, count: 1 << 20)
        var offset = 0
        var inQuotes = false
        var end = 0
        while offset < size {
            let count = buffer.withUnsafeMutableBytes { pread(descriptor, $0.baseAddress, $0.count, off_t(offset)) }
            if count < 0, errno == EINTR { continue }
            guard count > 0 else { break }
            buffer.withUnsafeBufferPointer { bytes in
                for index in 0..<count {
                    let byte = bytes[index]
                    if byte == 0x22 {
                        inQuotes.toggle()
                    } else if byte == 0x0A, !inQuotes {
                        end = offset + index + 1
                    }
                }
            }
            offset += count
        }
        return end
    }

    /// Reads every row as column name → value. A missing file has no rows.
    ///
    /// - Throws: ``CSVTable/ReadError`` when the file is malformed.
    public func readAll() throws -> [[String: String]] {
        guard let table = try readTable() else { return [] }
        return table.rows.map { row in
            var record: [String: String] = [:]
            for (index, name) in table.header.enumerated() where index < row.count {
                record[name] = row[index]
            }
            return record
        }
    }

    /// Reads the whole file as a table; `nil` for a missing or empty file
    /// (created before a run that wrote no row).
    ///
    /// - Throws: ``CSVTable/ReadError`` when the file is malformed.
    public func readTable() throws -> CSVTable? {
        let size = (try? FileManager.default.attributesOfItem(atPath: url.path)[.size] as? Int) ?? nil
        guard let size, size > 0 else { return nil }
        return try CSVTable.read(url)
    }

    private func readHeader(_ descriptor: Int32, size: Int) -> ([String], Bool) {
        var last: UInt8 = 0
        _ = pread(descriptor, &last, 1, off_t(size - 1))
        var buffer = [UInt8](repeating: 0, count: min(size, 64 * 1024))
        let count = buffer.withUnsafeMutableBytes { pread(descriptor, $0.baseAddress, $0.count, 0) }
        guard count > 0 else { return ([], last == 0x0A) }
        var firstLine = buffer.prefix(count).prefix { $0 != 0x0A }
        if firstLine.last == 0x0D { firstLine = firstLine.dropLast() }
        let header = (try? CSV.parse(String(decoding: firstLine, as: UTF8.self)))?.first ?? []
        return (header, last == 0x0A)
    }

    private func failure() -> WriteError {
        WriteError(path: url.path, message: String(cString: strerror(errno)))
    }
}
