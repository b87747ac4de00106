@testable import BatchKit
@testable import BatchKitRunner
#if canImport(Glibc)
import Glibc
#endif
import Foundation
import TestSupport
import Testing

/// The content hash is MurmurHash3 x64-128: the same value in every process
/// and however the bytes are fed; the file hash index reads a file again
/// only when `stat` says it changed.
@Suite struct ContentHashTests {
    /// Reference values from the `mmh3` package (MurmurHash3 x64-128, seed
    /// 0), as h1 then h2 in hexadecimal.
    @Test(arguments: [
        ("", "00000000000000000000000000000000"),
        ("hello", "cbd8a7b341bd9b025b1e906a48ae1d19"),
        ("The quick brown fox jumps over the lazy dog", "e34bbc7bbc071b6c7a433ca9c49a9347"),
    ])
    func matchesTheReferenceImplementation(text: String, expected: String) {
        #expect(ContentHash.of(text).description == expected)
    }

    @Test func isTheSameHoweverTheBytesAreCut() {
        var bytes = [UInt8]()
        for round in 0..<3 { bytes += (0...255).map { UInt8($0) }; _ = round }
        bytes += Array("abc".utf8)
        let whole = bytes.withUnsafeBytes { raw in
            var hasher = ContentHasher()
            hasher.update(raw)
            return hasher.finalize()
        }
        #expect(whole.description == "1f24405971f4aaf9954cd9f5edbaa543", "reference value from mmh3")
        for cut in [1, 3, 7, 8, 15, 16, 17, 100, 767] {
            let pieces = bytes.withUnsafeBytes { raw in
                var hasher = ContentHasher()
                var offset = 0
                while offset < raw.count {
                    let end = min(raw.count, offset + cut)
                    hasher.update(UnsafeRawBufferPointer(rebasing: raw[offset..<end]))
                    offset = end
                }
                return hasher.finalize()
            }
            #expect(pieces == whole, "fed in pieces of \(cut) bytes")
        }
    }

    @Test func partsKeepTheirBoundaries() {
        #expect(ContentHash.of(parts: ["ab", "c"]) != ContentHash.of(parts: ["a", "bc"]))
        #expect(ContentHash(hex: ContentHash.of("x").description) == ContentHash.of("x"))
        #expect(ContentHash(hex: "xyz") == nil)
    }

    @Test func theIndexReadsAFileAgainOnlyWhenStatSaysItChanged() throws {
        let directory = try TemporaryDirectory()
        try directory.write("a.txt", "one")
        let path = directory.path("a.txt").path
        // Times older than the settling margin, so the entry is kept.
        settle()
        let index = FileHashes()
        let first = index.hashes(of: [path])[path]
        #expect(try first??.get() == ContentHash.of("one"))
        #expect(index.filesRead == 1 && index.isEdited)

        let saved = directory.path("files.index")
        try index.serialized().write(to: saved)
        let reloaded = FileHashes(contentsOf: saved)
        #expect(try reloaded.hashes(of: [path])[path]??.get() == ContentHash.of("one"))
        #expect(reloaded.filesRead == 0, "unchanged by stat: not read again")

        // Same size, new content: the times (and ctime) change, so it is read.
        try directory.write("a.txt", "two")
        settle()
        #expect(try reloaded.hashes(of: [path])[path]??.get() == ContentHash.of("two"))
        #expect(reloaded.filesRead == 1)

        // A file that does not exist is nil, not an error.
        let missing = directory.path("none.txt").path
        #expect(reloaded.hashes(of: [missing])[missing] == .some(nil))
    }

    @Test func aFileChangedJustNowIsNotRemembered() throws {
        let directory = try TemporaryDirectory()
        try directory.write("fresh.txt", "new")
        let path = directory.path("fresh.txt").path
        // A modification time not yet settled when the file is hashed (here
        // in the future, so a slow machine cannot make it settle first).
        let later = Int(Date().timeIntervalSince1970) + 60
        var times = [timespec(tv_sec: later, tv_nsec: 0), timespec(tv_sec: later, tv_nsec: 0)]
        #expect(utimensat(AT_FDCWD, path, &times, 0) == 0)
        let index = FileHashes()
        _ = index.hashes(of: [path])
        // Its times are within the file system's clock tick of now: a change
        // in the same tick could keep them, so it is hashed again next time.
        #expect(!index.serialized().contains(path))
        #expect(index.hashes(of: [path])[path] != nil)
        #expect(index.filesRead == 2)
    }

    @Test func manyFilesAreHashedInParallelWithTheSameResults() throws {
        let directory = try TemporaryDirectory()
        var paths: [String] = []
        for number in 0..<40 {
            let text = String(repeating: "line \(number)\n", count: 1000 + number)
            try directory.write("f\(number).txt", text)
            paths.append(directory.path("f\(number).txt").path)
        }
        let found = FileHashes().hashes(of: paths)
        for (number, path) in paths.enumerated() {
            #expect(try found[path]??.get() == ContentHash.of(String(repeating: "line \(number)\n", count: 1000 + number)))
        }
    }

    @Test func declaredFilesExpandFoldersAndGlobsAndKeepMissingOnes() throws {
        let directory = try TemporaryDirectory()
        try FileManager.default.createDirectory(at: directory.path("data/in/sub"), withIntermediateDirectories: true)
        try directory.write("data/in/a.csv", "a")
        try directory.write("data/in/b.csv", "b")
        try directory.write("data/in/notes.txt", "n")
        try directory.write("data/in/sub/c.csv", "c")
        let folder = DeclaredFiles.expand(["data/in/"], in: directory.url).map(\.relative)
        #expect(folder == ["data/in/a.csv", "data/in/b.csv", "data/in/notes.txt", "data/in/sub/c.csv"])
        let glob = DeclaredFiles.expand(["data/in/*.csv", "./data/in/a.csv"], in: directory.url).map(\.relative)
        #expect(glob == ["data/in/a.csv", "data/in/b.csv"])
        let missing = DeclaredFiles.expand(["data/in/none.csv"], in: directory.url)
        #expect(missing.map(\.relative) == ["data/in/none.csv"])
        #expect(DeclaredFiles.expand(["data/none/*.csv"], in: directory.url).isEmpty, "a glob matching nothing names no file")
    }

    /// Waits past ``FileHashes/settled``, so a file just written counts as settled.
    private func settle() {
        usleep(useconds_t(FileHashes.settled / 1000 * 3))
    }
}

extension Data {
    fileprivate func contains(_ text: String) -> Bool {
        String(decoding: self, as: UTF8.self).contains(text)
    }
}
