import BatchKit
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation

/// One line of an input file, as bytes, without its `\n` (or `\r\n`).
///
/// The bytes belong to the reader's buffer: use them inside the call that
/// received the line, and copy what must outlive it (``ByteString`` does).
public struct Line {
    /// The line's bytes, without the line end.
    public let bytes: UnsafeRawBufferPointer
    /// Where the line starts in its file, in bytes from 0.
    public let offset: Int64

    @inlinable
    public init(bytes: UnsafeRawBufferPointer, offset: Int64) {
        self.bytes = bytes
        self.offset = offset
    }

    /// The line as text (invalid UTF-8 is replaced by U+FFFD).
    public var text: String { String(decoding: bytes, as: UTF8.self) }

    /// Whether the line has no bytes.
    @inlinable public var isEmpty: Bool { bytes.isEmpty }

    /// Calls `body` with each run of bytes between ASCII whitespace (space,
    /// tab, `\n`, `\v`, `\f`, `\r`) — the words `wc -w` counts in the C
    /// locale. UTF-8 is never cut: no byte of a multi-byte character is ASCII.
    @inlinable
    public func forEachWord(_ body: (UnsafeRawBufferPointer) throws -> Void) rethrows {
        guard let base = bytes.baseAddress else { return }
        try WordScanner.forEachWord(base, count: bytes.count, padded: false, body)
    }

    /// The number of words in the line, as ``forEachWord(_:)`` finds them.
    @inlinable
    public var wordCount: Int {
        var words = 0
        forEachWord { _ in words += 1 }
        return words
    }
}

/// Reads the lines of one ``FileSplit`` through a buffer of fixed size, so
/// memory stays bounded whatever the file's size (a line longer than the
/// buffer grows it to that line's length, no more).
public struct LineReader {
    /// The split being read.
    public let split: FileSplit
    /// The buffer size in bytes.
    public let chunkBytes: Int

    public init(_ split: FileSplit, chunkBytes: Int = 4 << 20) {
        self.split = split
        self.chunkBytes = max(chunkBytes, 1)
    }

    /// Calls `line` for each line in order, and `chunk` after each buffer
    /// read with the number of bytes it held.
    ///
    /// - Throws: ``InputError`` when the file cannot be read, or when it
    ///   changed size while being read (it is being written to: wait until it
    ///   is complete); and whatever `line` or `chunk` throws.
    @inlinable
    public func forEachLine(_ line: (Line) throws -> Void, chunk: (Int) throws -> Void = { _ in }) throws {
        let file = split.file
        let descriptor = open(file.url.path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else {
            throw InputError(url: file.url, problem: "cannot be opened: \(String(cString: strerror(errno)))")
        }
        defer { close(descriptor) }
        try file.checkUnchanged(descriptor)
        var capacity = max(chunkBytes, 1)
        var buffer = UnsafeMutableRawPointer.allocate(byteCount: capacity, alignment: 16)
        defer { buffer.deallocate() }
        var position = split.range.lowerBound
        let end = split.range.upperBound
        var carried = 0  // bytes of an unfinished line at the buffer's start
        var carriedOffset = position  // where that line starts in the file
        while position < end {
            if carried == capacity {
                // A line longer than the buffer: make room for more of it.
                let larger = UnsafeMutableRawPointer.allocate(byteCount: capacity * 2, alignment: 16)
                larger.copyMemory(from: buffer, byteCount: carried)
                buffer.deallocate()
                buffer = larger
                capacity *= 2
            }
            let wanted = Int(min(Int64(capacity - carried), end - position))
            let got = pread(descriptor, buffer + carried, wanted, off_t(position))
            if got < 0 {
                if errno == EINTR { continue }
                throw InputError(url: file.url, problem: "cannot be read at byte \(position): \(String(cString: strerror(errno)))")
            }
            if got == 0 {
                throw InputError(url: file.url, problem: file.changedProblem(descriptor))
            }
            position += Int64(got)
            let filled = carried + got
            var start = 0
            while start < filled, let newline = memchr(buffer + start, 0x0A, filled - start) {
                let stop = buffer.distance(to: newline)
                try line(Line(bytes: Self.trimmed(buffer + start, stop - start), offset: carriedOffset + Int64(start)))
                start = stop + 1
            }
            carried = filled - start
            if carried > 0, start > 0 { buffer.copyMemory(from: buffer + start, byteCount: carried) }
            carriedOffset += Int64(start)
            try chunk(got)
        }
        if carried > 0 {
            // The file's last line, without a line end.
            try line(Line(bytes: Self.trimmed(buffer, carried), offset: carriedOffset))
        }
        try file.checkUnchanged(descriptor)
    }

    /// Calls `chunk` with the split's lines many at a time: each call gets
    /// every whole line the buffer holds (a line longer than the buffer
    /// grows it to that line's length, no more), then `progress` with the
    /// number of bytes read.
    ///
    /// - Throws: as ``forEachLine(_:chunk:)``.
    @inlinable
    public func forEachChunk(_ chunk: (TextChunk) throws -> Void, progress: (Int) throws -> Void = { _ in }) throws {
        let file = split.file
        let descriptor = open(file.url.path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else {
            throw InputError(url: file.url, problem: "cannot be opened: \(String(cString: strerror(errno)))")
        }
        defer { close(descriptor) }
        try file.checkUnchanged(descriptor)
        let padding = 16  // after the data: the scanners read 8 bytes at a time
        var capacity = max(chunkBytes, 1)
        var buffer = UnsafeMutableRawPointer.allocate(byteCount: capacity + padding, alignment: 16)
        defer { buffer.deallocate() }
        var position = split.range.lowerBound
        let end = split.range.upperBound
        var carried = 0  // bytes of an unfinished line at the buffer's start
        var carriedOffset = position  // where that line starts in the file
        while position < end {
            if carried == capacity {
                let larger = UnsafeMutableRawPointer.allocate(byteCount: capacity * 2 + padding, alignment: 16)
                larger.copyMemory(from: buffer, byteCount: carried)
                buffer.deallocate()
                buffer = larger
                capacity *= 2
            }
            let wanted = Int(min(Int64(capacity - carried), end - position))
            let got = pread(descriptor, buffer + carried, wanted, off_t(position))
            if got < 0 {
                if errno == EINTR { continue }
                throw InputError(url: file.url, problem: "cannot be read at byte \(position): \(String(cString: strerror(errno)))")
            }
            if got == 0 {
                throw InputError(url: file.url, problem: file.changedProblem(descriptor))
            }
            position += Int64(got)
            let filled = carried + got
            (buffer + filled).initializeMemory(as: UInt8.self, repeating: 0x20, count: padding)
            // Up to the last line end; at the split's end, everything.
            var whole = filled
            if position < end {
                while whole > 0, buffer.load(fromByteOffset: whole - 1, as: UInt8.self) != 0x0A { whole -= 1 }
            }
            if whole > 0 {
                try chunk(TextChunk(paddedBytes: UnsafeRawBufferPointer(start: buffer, count: whole), offset: carriedOffset))
            }
            carried = filled - whole
            if carried > 0, whole > 0 { buffer.copyMemory(from: buffer + whole, byteCount: carried) }
            carriedOffset += Int64(whole)
            try progress(got)
        }
        try file.checkUnchanged(descriptor)
    }

    /// The bytes without a final `\r` (CRLF line ends).
    @inlinable
    static func trimmed(_ start: UnsafeMutableRawPointer, _ count: Int) -> UnsafeRawBufferPointer {
        if count > 0, start.load(fromByteOffset: count - 1, as: UInt8.self) == 0x0D {
            return UnsafeRawBufferPointer(start: start, count: count - 1)
        }
        return UnsafeRawBufferPointer(start: start, count: count)
    }
}

extension InputFile {
    /// Throws when the open file no longer has the size it had when this
    /// value was made.
    @usableFromInline
    func checkUnchanged(_ descriptor: Int32) throws(InputError) {
        var info = stat()
        guard fstat(descriptor, &info) == 0 else { return }
        if Int64(info.st_size) != size {
            throw InputError(url: url, problem: changedProblem(descriptor))
        }
    }

    @usableFromInline
    func changedProblem(_ descriptor: Int32) -> String {
        var info = stat()
        let now = fstat(descriptor, &info) == 0 ? "\(info.st_size)" : "an unknown number of"
        return "changed size while being read (\(size) bytes when the step opened it, \(now) bytes now): "
            + "is something still writing it? Run the step once the file is complete"
    }
}
