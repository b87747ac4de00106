import BatchKit
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation

/// A file to be read in parallel: its path and the size it had when it was
/// opened, so that a file that changes while it is read is noticed.
public struct InputFile: Sendable, Hashable {
    /// Where the file is.
    public let url: URL
    /// Its size in bytes when it was opened.
    public let size: Int64
    /// Its modification time when it was opened.
    public let modified: Date

    /// Looks `url` up.
    ///
    /// - Throws: ``InputError`` when the file is missing, unreadable or not a
    ///   regular file.
    public init(_ url: URL) throws(InputError) {
        var info = stat()
        guard stat(url.path, &info) == 0 else {
            throw InputError(url: url, problem: "cannot be read: \(String(cString: strerror(errno)))")
        }
        guard (info.st_mode & S_IFMT) == S_IFREG else {
            throw InputError(url: url, problem: "is not a regular file")
        }
        self.url = url
        self.size = Int64(info.st_size)
        self.modified = Self.modificationDate(info)
        guard access(url.path, R_OK) == 0 else {
            throw InputError(url: url, problem: "cannot be read: \(String(cString: strerror(errno)))")
        }
    }

    /// Splits the file into at most `count` byte ranges that start and end at
    /// line boundaries (each range but the last ends just after a `\n`), so
    /// that no line, and no UTF-8 character, is cut in two.
    ///
    /// A line longer than a range simply makes that range longer; ranges are
    /// never empty, and an empty file has none.
    ///
    /// - Parameters:
    ///   - count: The number of ranges wanted; fewer come back for small files.
    ///   - minimumBytes: No range is made smaller than this (except the last).
    public func splits(count: Int, minimumBytes: Int64 = 1 << 20) throws(InputError) -> [FileSplit] {
        guard size > 0 else { return [] }
        let wanted = max(1, min(Int64(max(count, 1)), (size + max(minimumBytes, 1) - 1) / max(minimumBytes, 1)))
        let descriptor = open(url.path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else {
            throw InputError(url: url, problem: "cannot be opened: \(String(cString: strerror(errno)))")
        }
        defer { close(descriptor) }
        var boundaries: [Int64] = [0]
        for part in 1..<wanted {
            let nominal = size * part / wanted
            guard nominal > boundaries[boundaries.count - 1] else { continue }
            guard let next = try lineStart(atOrAfter: nominal, descriptor: descriptor) else { break }
            if next > boundaries[boundaries.count - 1], next < size { boundaries.append(next) }
        }
        boundaries.append(size)
        return (0..<(boundaries.count - 1)).map { index in
            FileSplit(file: self, index: index, range: boundaries[index]..<boundaries[index + 1])
        }
    }

    /// Splits the file into ranges of about `bytes` each, at line boundaries.
    public func splits(ofAbout bytes: Int64) throws(InputError) -> [FileSplit] {
        let each = max(bytes, 1)
        return try splits(count: Int(min((size + each - 1) / each, Int64(Int32.max))), minimumBytes: each)
    }

    /// The offset just past the first `\n` at or after `offset - 1`, or nil
    /// when there is none before the end.
    private func lineStart(atOrAfter offset: Int64, descriptor: Int32) throws(InputError) -> Int64? {
        var position = offset - 1
        var buffer = [UInt8](repeating: 0, count: 64 * 1024)
        while position < size {
            let read = buffer.withUnsafeMutableBytes { pread(descriptor, $0.baseAddress, $0.count, off_t(position)) }
            guard read >= 0 else {
                throw InputError(url: url, problem: "cannot be read at byte \(position): \(String(cString: strerror(errno)))")
            }
            guard read > 0 else { return nil }
            if let index = buffer[0..<read].firstIndex(of: UInt8(ascii: "\n")) {
                return position + Int64(index) + 1
            }
            position += Int64(read)
        }
        return nil
    }

    private static func modificationDate(_ info: stat) -> Date {
        #if canImport(Darwin)
        let time = info.st_mtimespec
        #else
        let time = info.st_mtim
        #endif
        return Date(timeIntervalSince1970: Double(time.tv_sec) + Double(time.tv_nsec) / 1e9)
    }
}

/// One line-aligned byte range of an ``InputFile``.
public struct FileSplit: Sendable, Hashable {
    /// The file.
    public let file: InputFile
    /// Its position among the file's splits, from 0.
    public let index: Int
    /// The bytes it covers.
    public let range: Range<Int64>

    public init(file: InputFile, index: Int, range: Range<Int64>) {
        self.file = file
        self.index = index
        self.range = range
    }

    /// Its length in bytes.
    public var byteCount: Int64 { range.upperBound - range.lowerBound }
}

/// An input file that cannot be read as asked, or that changed while it was
/// being read.
public struct InputError: Error, CustomStringConvertible, Sendable {
    public let url: URL
    public let problem: String

    public init(url: URL, problem: String) {
        self.url = url
        self.problem = problem
    }

    public var description: String { "\(url.path) \(problem)" }
}

extension Collection {
    /// The collection cut into at most `count` contiguous, nearly equal parts,
    /// in order; none is empty.
    public func partitioned(into count: Int) -> [SubSequence] {
        let parts = Swift.max(1, Swift.min(count, self.count))
        guard !isEmpty else { return [] }
        var result: [SubSequence] = []
        result.reserveCapacity(parts)
        var start = startIndex
        for part in 0..<parts {
            let length = self.count * (part + 1) / parts - self.count * part / parts
            let end = index(start, offsetBy: length)
            result.append(self[start..<end])
            start = end
        }
        return result
    }
}
