#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import BatchKit
import Foundation

/// The files a step's `reads` or `writes` name: each entry is a path, a
/// folder (every file under it, at any depth) or a glob (`*`, `?` and
/// `[…]`, as `sh` matches them; a folder it matches counts with all its
/// files), relative to the job's folder. A path that names nothing is kept,
/// as missing, so that its absence is part of what the step saw.
public enum DeclaredFiles {
    /// One file a declaration names.
    public struct File: Hashable, Sendable {
        /// As the job names it: `data/input/orders.csv`.
        public let relative: String
        /// Where it is.
        public let absolute: String
    }

    /// The files `patterns` name under `folder`, sorted by path, each once.
    public static func expand(_ patterns: [String], in folder: URL) -> [File] {
        var files: Set<File> = []
        let base = folder.standardizedFileURL.path
        for pattern in patterns {
            let trimmed = pattern.hasPrefix("./") ? String(pattern.dropFirst(2)) : pattern
            let isAbsolute = trimmed.hasPrefix("/")
            let full = isAbsolute ? trimmed : base + "/" + trimmed
            func relative(_ path: String) -> String {
                !isAbsolute && path.hasPrefix(base + "/") ? String(path.dropFirst(base.count + 1)) : path
            }
            if trimmed.contains(where: { "*?[".contains($0) }) {
                for match in matches(full) { add(match, as: relative(match), into: &files) }
            } else {
                add(full, as: relative(full).trimmingSlashes, into: &files)
            }
        }
        return files.sorted { $0.relative < $1.relative }
    }

    /// A file, or every file under a folder.
    private static func add(_ path: String, as shown: String, into files: inout Set<File>) {
        var info = stat()
        guard stat(path, &info) == 0, info.st_mode & S_IFMT == S_IFDIR else {
            files.insert(File(relative: shown, absolute: path))
            return
        }
        for name in entries(of: path) {
            add(path + "/" + name, as: shown + "/" + name, into: &files)
        }
    }

    /// The names in a folder, without `.` and `..`.
    private static func entries(of folder: String) -> [String] {
        guard let directory = opendir(folder) else { return [] }
        defer { closedir(directory) }
        var names: [String] = []
        while let entry = readdir(directory) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
            }
            if name != ".", name != ".." { names.append(name) }
        }
        return names
    }

    /// The paths `pattern` matches, as `sh` would.
    private static func matches(_ pattern: String) -> [String] {
        var found = glob_t()
        defer { globfree(&found) }
        guard glob(pattern, 0, nil, &found) == 0 else { return [] }
        return (0..<Int(found.gl_pathc)).compactMap { index in found.gl_pathv[index].map { String(cString: $0) } }
    }
}

extension String {
    /// Without a trailing `/` (`data/input/` names the folder `data/input`).
    fileprivate var trimmingSlashes: String {
        var text = self
        while text.count > 1, text.hasSuffix("/") { text.removeLast() }
        return text
    }
}
