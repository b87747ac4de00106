import Foundation

/// A thrown error as one readable line: a `LocalizedError`'s description,
/// Foundation's message with the file it names (not its `NSError` dump), or
/// else the error's own `description`.
public enum ErrorDescription {
    /// The line to show for `error`.
    public static func of(_ error: any Error) -> String {
        if let localized = error as? LocalizedError, let description = localized.errorDescription {
            return description
        }
        let bridged = error as NSError
        if bridged.domain == NSCocoaErrorDomain || bridged.domain == NSPOSIXErrorDomain {
            var text = bridged.localizedDescription
            let boilerplate = "The operation could not be completed. "
            if text.hasPrefix(boilerplate), text.count > boilerplate.count { text.removeFirst(boilerplate.count) }
            let path = bridged.userInfo[NSFilePathErrorKey] as? String ?? (bridged.userInfo[NSURLErrorKey] as? URL)?.path
            if let path { text += " (\(path))" }
            return text
        }
        return String(describing: error)
    }
}
