#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import BatchKit
import Foundation

/// The content hashes of files, remembered by what `stat` says of them, so
/// that a file is read again only when its device, inode, size, modification
/// time or change time (both in nanoseconds) differ from when it was hashed.
/// Files to hash are hashed in parallel, one file per core at a time.
///
/// A file changed within the file system's clock tick of being hashed could
/// keep its times, so an entry is kept only when the file's times are at
/// least ``settled`` older than the moment it was hashed: a file changed
/// that recently is simply hashed again next time.
///
/// Kept as text in `logs/cache/<job>/files.index`, one file per line
/// (written by ``RunRecorder``). A missing or unreadable index only costs
/// the hashing.
public final class FileHashes: @unchecked Sendable {
    /// What `stat` says of a file, and its hash then.
    struct Entry: Equatable, Sendable {
        var device: UInt64
        var inode: UInt64
        var size: Int64
        var modified: Int64
        var changed: Int64
        var hash: ContentHash
    }

    /// How old a file's times must be for its hash to be remembered: more
    /// than the kernel's file-time clock tick.
    static let settled: Int64 = 20_000_000

    private static let header = "batchkit-file-hashes 1"
    private let lock = NSLock()
    private var entries: [String: Entry]
    /// Whether ``entries`` differ from what was loaded.
    private var edited = false
    /// How many files were read, for the bench and the tests.
    private var readCount = 0

    /// An empty index.
    public init() {
        entries = [:]
    }

    /// The index saved at `url`; empty when there is none or it cannot be read.
    public init(contentsOf url: URL) {
        entries = [:]
        guard let data = FileManager.default.contents(atPath: url.path) else { return }
        let lines = data.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: true)
        guard let first = lines.first, String(decoding: first, as: UTF8.self) == Self.header else { return }
        entries.reserveCapacity(lines.count)
        for line in lines.dropFirst() {
            let fields = line.split(separator: UInt8(ascii: "\t"), maxSplits: 6, omittingEmptySubsequences: false)
            guard fields.count == 7, let hash = ContentHash(hex: String(decoding: fields[0], as: UTF8.self)),
                  let device = UInt64(String(decoding: fields[1], as: UTF8.self)),
                  let inode = UInt64(String(decoding: fields[2], as: UTF8.self)),
                  let size = Int64(String(decoding: fields[3], as: UTF8.self)),
                  let modified = Int64(String(decoding: fields[4], as: UTF8.self)),
                  let changed = Int64(String(decoding: fields[5], as: UTF8.self))
            else { continue }
            entries[String(decoding: fields[6], as: UTF8.self)] = Entry(
                device: device, inode: inode, size: size, modified: modified, changed: changed, hash: hash)
        }
    }

    /// Whether the index changed since it was loaded, so it is worth saving.
    public var isEdited: Bool { lock.withLock { edited } }

    /// How many files were read so far.
    public var filesRead: Int { lock.withLock { readCount } }

    /// The index as its file holds it, without files that no longer exist
    /// (so dated inputs of past runs do not pile up).
    public func serialized() -> Data {
        let snapshot = lock.withLock { entries }
        var text = Self.header + "\n"
        for (path, entry) in snapshot.sorted(by: { $0.key < $1.key }) where !path.contains("\n") && access(path, F_OK) == 0 {
            text += "\(entry.hash)\t\(entry.device)\t\(entry.inode)\t\(entry.size)\t\(entry.modified)\t\(entry.changed)\t\(path)\n"
        }
        return Data(text.utf8)
    }

    /// The hash of each file (absolute paths), or why it cannot be read;
    /// `nil` for a file that does not exist. Files the index knows unchanged
    /// are not read; the others are read in parallel.
    public func hashes(of paths: [String]) -> [String: Result<ContentHash, FileProblem>?] {
        var results: [String: Result<ContentHash, FileProblem>?] = [:]
        var misses: [String] = []
        let known = lock.withLock { entries }
        for path in Set(paths) {
            guard let status = Self.status(path) else {
                results[path] = .some(nil)
                continue
            }
            if let entry = known[path], entry.device == status.device, entry.inode == status.inode, entry.size == status.size,
               entry.modified == status.modified, entry.changed == status.changed {
                results[path] = .success(entry.hash)
            } else {
                misses.append(path)
            }
        }
        guard !misses.isEmpty else { return results }
        let toRead = misses
        let read = ReadResults(count: toRead.count)
        let workers = min(toRead.count, max(1, ProcessInfo.processInfo.activeProcessorCount))
        let next = NextIndex()
        DispatchQueue.concurrentPerform(iterations: workers) { _ in
            let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 20, alignment: 16)
            defer { buffer.deallocate() }
            while let index = next.take(below: toRead.count) {
                read.set(index, hashOne(toRead[index], buffer: buffer))
            }
        }
        for (index, path) in toRead.enumerated() { results[path] = read.values[index] }
        return results
    }

    /// Reads and hashes one file, and remembers it when it did not change
    /// while it was read and its times are settled.
    private func hashOne(_ path: String, buffer: UnsafeMutableRawBufferPointer) -> Result<ContentHash, FileProblem>? {
        guard let before = Self.status(path) else { return nil }
        let hash: ContentHash
        do {
            hash = try ContentHasher.hashFile(atPath: path, buffer: buffer)
        } catch {
            return .failure(error)
        }
        var now = timespec()
        clock_gettime(CLOCK_REALTIME, &now)
        let nanoseconds = Int64(now.tv_sec) * 1_000_000_000 + Int64(now.tv_nsec)
        lock.withLock {
            readCount += 1
            guard let after = Self.status(path), after == before, nanoseconds - max(after.modified, after.changed) > Self.settled else {
                if entries.removeValue(forKey: path) != nil { edited = true }
                return
            }
            var entry = after
            entry.hash = hash
            entries[path] = entry
            edited = true
        }
        return .success(hash)
    }

    /// What `stat` says of a regular file (following links); `nil` when
    /// there is none.
    private static func status(_ path: String) -> Entry? {
        var info = stat()
        guard stat(path, &info) == 0, info.st_mode & S_IFMT == S_IFREG else { return nil }
        return Entry(
            device: UInt64(info.st_dev), inode: UInt64(info.st_ino), size: Int64(info.st_size),
            modified: Int64(info.st_mtim.tv_sec) * 1_000_000_000 + Int64(info.st_mtim.tv_nsec),
            changed: Int64(info.st_ctim.tv_sec) * 1_000_000_000 + Int64(info.st_ctim.tv_nsec),
            hash: ContentHash(high: 0, low: 0))
    }
}

/// What parallel workers found, by index.
private final class ReadResults: @unchecked Sendable {
    private let lock = NSLock()
    private var found: [Result<ContentHash, FileProblem>?]

    init(count: Int) { found = Array(repeating: nil, count: count) }

    func set(_ index: Int, _ value: Result<ContentHash, FileProblem>?) { lock.withLock { found[index] = value } }

    var values: [Result<ContentHash, FileProblem>?] { lock.withLock { found } }
}

/// A shared counter handing out indexes to parallel workers.
private final class NextIndex: @unchecked Sendable {
    private let lock = NSLock()
    private var value = 0

    func take(below limit: Int) -> Int? {
        lock.withLock {
            guard value < limit else { return nil }
            defer { value += 1 }
            return value
        }
    }
}
