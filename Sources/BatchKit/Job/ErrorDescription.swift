#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation

/// A thrown error as one readable line: a `LocalizedError`'s description,
/// a file-system failure in our own words (what happened, to which path,
/// and what to do; never Foundation's `NSCocoaErrorDomain …` text), or else
/// the error's own `description`.
public enum ErrorDescription {
    /// The line to show for `error`.
    public static func of(_ error: any Error) -> String {
        if let localized = error as? LocalizedError, let description = localized.errorDescription {
            return description
        }
        let bridged = error as NSError
        if bridged.domain == NSCocoaErrorDomain || bridged.domain == NSPOSIXErrorDomain {
            return fileProblem(bridged)
        }
        return String(describing: error)
    }

    /// A Foundation or POSIX file error, from its code and the POSIX error
    /// under it.
    private static func fileProblem(_ error: NSError) -> String {
        let path = error.userInfo[NSFilePathErrorKey] as? String ?? (error.userInfo[NSURLErrorKey] as? URL)?.path
        var code: Int32?
        if error.domain == NSPOSIXErrorDomain {
            code = Int32(error.code)
        } else if let underlying = error.userInfo[NSUnderlyingErrorKey] as? NSError, underlying.domain == NSPOSIXErrorDomain {
            code = Int32(underlying.code)
        }
        if let code { return posix(code, path: path) }
        if let path, let found = diagnose(path) { return posix(found, path: path) }
        let target = path ?? "a file"
        switch CocoaError.Code(rawValue: error.code) {
        case .fileNoSuchFile, .fileReadNoSuchFile:
            return "\(target) does not exist; check the path"
        case .fileReadNoPermission, .fileWriteNoPermission:
            return posix(EACCES, path: path)
        case .fileWriteOutOfSpace:
            return posix(ENOSPC, path: path)
        case .fileWriteVolumeReadOnly:
            return posix(EROFS, path: path)
        case .fileWriteFileExists:
            return "\(target) already exists; move it aside or choose another path"
        case .fileReadInapplicableStringEncoding, .fileWriteInapplicableStringEncoding:
            return "\(target) is not UTF-8 text"
        case .fileReadCorruptFile:
            return "\(target) is not in the expected format"
        case .fileReadTooLarge:
            return "\(target) is too large to read"
        default:
            return "a file operation on \(target) failed (code \(error.code)); check that the path exists and this user may use it"
        }
    }

    /// Foundation on Linux often reports a failure without its cause (code
    /// 512); look at the path: a file where a folder should be, or a folder
    /// this user cannot write.
    private static func diagnose(_ path: String) -> Int32? {
        var url = URL(fileURLWithPath: path)
        var status = stat()
        while url.path != "/" {
            url.deleteLastPathComponent()
            guard stat(url.path, &status) == 0 else { continue }
            if status.st_mode & S_IFMT != S_IFDIR { return ENOTDIR }
            return access(url.path, W_OK) == 0 ? nil : EACCES
        }
        return nil
    }

    /// A POSIX error on `path`, in words, with what to do.
    public static func posix(_ code: Int32, path: String?) -> String {
        let target = path ?? "a file"
        switch code {
        case ENOENT: return "\(target) does not exist; check the path"
        case EACCES, EPERM:
            return "permission denied for \(target); check its owner and mode (ls -ld), or run as a user who may use it"
        case ENOTDIR: return "a part of \(target) is a file, not a folder; check the path"
        case EISDIR: return "\(target) is a folder, not a file; check the path"
        case EEXIST: return "\(target) already exists; move it aside or choose another path"
        case ENOSPC: return "no space left on the disk holding \(target); free some space and run again"
        case EDQUOT: return "the disk quota is exceeded for \(target); free some space and run again"
        case EROFS: return "\(target) is on a read-only file system"
        case ENAMETOOLONG: return "the path \(target) is too long"
        case ELOOP: return "\(target) has too many symbolic links (a loop?)"
        default: return "\(String(cString: strerror(code)).lowercased()): \(target)"
        }
    }
}
