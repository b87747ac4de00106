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
/// Rows are written in the column order of the file's own header, so a file
/// started by an older BatchKit keeps its shape: columns it lacks are left
/// out, columns it has that the writer does not know are left empty.
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

    /// Appends rows given as column name → value.
    ///
    /// - Throws: ``WriteError`` when the file cannot be created or written.
    public func append(_ rows: [[String: String]]) throws {
        guard !rows.isEmpty else { return }
        try FileManager.default.createDirectory(
            at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        let descriptor = open(url.path, O_RDWR | O_CREAT | O_APPEND | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else { throw failure() }
        defer { close(descriptor) }
        // Serialise with other writers (two runs of one job) for the header check.
        flock(descriptor, LOCK_EX)
        defer { flock(descriptor, LOCK_UN) }

        var text = ""
        var header = columns
        var status = stat()
        guard fstat(descriptor, &status) == 0 else { throw failure() }
        if status.st_size == 0 {
            text = CSV.encodeRecord(columns)
        } else {
            let (existing, endsWithNewline) = readHeader(descriptor, size: Int(status.st_size))
            if !existing.isEmpty { header = existing }
            // A row torn by a crash must not swallow the next one.
            if !endsWithNewline { text = "\r\n" }
        }
        for row in rows {
            text += CSV.encodeRecord(header.map { row[$0] ?? "" })
        }
        let code = FileDescriptorWriter.writeAll(descriptor, text)
        guard code == 0 else { throw WriteError(path: url.path, message: String(cString: strerror(code))) }
        guard fsync(descriptor) == 0 else { throw failure() }
    }

    /// Appends `text` as it is (no header, no quoting), with the same
    /// `O_APPEND` write and `fsync` as rows.
    public func appendRaw(_ text: String) throws {
        let code = FileDescriptorWriter.append(text, to: url.path, sync: true)
        guard code == 0 else { throw WriteError(path: url.path, message: String(cString: strerror(code))) }
    }

    /// Reads every row as column name → value. A missing file has no rows.
    ///
    /// - Throws: ``CSVTable/ReadError`` when the file is malformed.
    public func readAll() throws -> [[String: String]] {
        guard FileManager.default.fileExists(atPath: url.path) else { return [] }
        let table = try CSVTable.read(url)
        return table.rows.map { row in
            var record: [String: String] = [:]
            for (index, name) in table.header.enumerated() where index < row.count {
                record[name] = row[index]
            }
            return record
        }
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
