import BatchKit

/// Whole lines of an input file, many at a time: what
/// ``MapReduce/run(chunksOf:map:combine:)`` hands to its `map`. Working on
/// a chunk instead of line by line saves a call and a search for `\n` per
/// line — most of the time of a word count whose lines are short.
///
/// The bytes belong to the reader's buffer: use them inside the call that
/// received the chunk, and copy what must outlive it (``ByteString`` does).
public struct TextChunk {
    /// The lines' bytes, each line with its `\n` (the file's last line may
    /// have none).
    public let bytes: UnsafeRawBufferPointer
    /// Where the chunk starts in its file, in bytes from 0.
    public let offset: Int64

    /// Made by the reader, whose buffer has 16 readable bytes after the
    /// chunk's end: the scans below read 8 bytes at a time without
    /// checking for the end.
    @usableFromInline
    init(paddedBytes: UnsafeRawBufferPointer, offset: Int64) {
        self.bytes = paddedBytes
        self.offset = offset
    }

    /// Calls `body` with each run of bytes between ASCII whitespace (space,
    /// `\t`, `\n`, `\v`, `\f`, `\r`): the words of Python's `bytes.split()`
    /// and of `wc -w` in the C locale. UTF-8 is never cut: no byte of a
    /// multi-byte character is ASCII.
    @inlinable
    public func forEachWord(_ body: (UnsafeRawBufferPointer) throws -> Void) rethrows {
        guard let base = bytes.baseAddress else { return }
        try WordScanner.forEachWord(base, count: bytes.count, padded: true, body)
    }

    /// Calls `body` with each line, without its `\n` (or `\r\n`).
    @inlinable
    public func forEachLine(_ body: (Line) throws -> Void) rethrows {
        guard let base = bytes.baseAddress else { return }
        var start = 0
        let count = bytes.count
        while start < count {
            var end = start
            while end < count, base.load(fromByteOffset: end, as: UInt8.self) != 0x0A { end += 1 }
            var stop = end
            if stop > start, base.load(fromByteOffset: stop - 1, as: UInt8.self) == 0x0D { stop -= 1 }
            try body(Line(bytes: UnsafeRawBufferPointer(start: base + start, count: stop - start), offset: offset + Int64(start)))
            start = end + 1
        }
    }

    /// The number of lines (a last line without `\n` counts).
    @inlinable
    public var lineCount: Int {
        guard let base = bytes.baseAddress, !bytes.isEmpty else { return 0 }
        let feeds = WordScanner.lineFeeds(base, count: bytes.count)
        return bytes[bytes.count - 1] == 0x0A ? feeds : feeds + 1
    }
}
