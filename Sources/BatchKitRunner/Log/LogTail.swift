import BatchKit
import Foundation

/// The end of a log file, read without loading the whole file.
public enum LogTail {
    /// The last `count` non-empty lines of the last 16 KiB of `url`.
    public static func lines(of url: URL, count: Int) -> [String] {
        Array(window(of: url).split(whereSeparator: \.isNewline).map(String.init).suffix(count))
    }

    /// The last line that reports a Swift runtime failure (`…: Fatal error: …`),
    /// which a crash dump would otherwise bury.
    public static func fatalError(in url: URL) -> String? {
        window(of: url).split(whereSeparator: \.isNewline).last { $0.contains("Fatal error:") }
            .map { $0.trimmingCharacters(in: .whitespaces) }
    }

    private static func window(of url: URL) -> String {
        guard let handle = try? FileHandle(forReadingFrom: url) else { return "" }
        defer { try? handle.close() }
        let size = (try? handle.seekToEnd()) ?? 0
        let window: UInt64 = 16 * 1024
        try? handle.seek(toOffset: size > window ? size - window : 0)
        return String(decoding: (try? handle.readToEnd()) ?? Data(), as: UTF8.self)
    }
}
