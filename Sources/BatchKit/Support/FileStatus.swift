#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation

/// A file's size and modification time, from one `stat`.
///
/// `FileManager.attributesOfItem` also looks up the owner's and the group's
/// names (`/etc/passwd`, `/etc/group`, nscd), which is most of its cost.
package struct FileStatus: Sendable {
    package let size: Int64
    package let modified: Date

    /// The status of the file at `path`; `nil` when it cannot be had.
    package init?(path: String) {
        var status = stat()
        guard stat(path, &status) == 0 else { return nil }
        size = Int64(status.st_size)
        #if canImport(Glibc)
        let time = status.st_mtim
        #else
        let time = status.st_mtimespec
        #endif
        modified = Date(timeIntervalSince1970: Double(time.tv_sec) + Double(time.tv_nsec) / 1e9)
    }
}
