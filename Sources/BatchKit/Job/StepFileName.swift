import Foundation

/// The naming rule for step files: a number, an underscore, a slug and
/// `.swift` — `03_transform.swift`.
public struct StepFileName: Sendable, Equatable {
    /// The step id the file declares.
    public let number: Int
    /// The file name itself, without folders.
    public let fileName: String

    /// Parses a file name or a `#fileID` (`MyJob/03_transform.swift`).
    /// Returns `nil` unless the last component is `<digits>_<anything>.swift`.
    public init?(fileID: String) {
        let name = fileID.split(separator: "/").last.map(String.init) ?? fileID
        guard name.hasSuffix(".swift") else { return nil }
        let digits = name.prefix { $0.isASCII && $0.isNumber }
        guard !digits.isEmpty, digits.count <= 6,
              name.dropFirst(digits.count).first == "_",
              let number = Int(digits), number > 0
        else { return nil }
        self.number = number
        self.fileName = name
    }

    /// Makes the file name for step `number` called `name`:
    /// `(5, "Score model")` → `05_score_model.swift`.
    public static func make(number: Int, name: String) -> String {
        let prefix = number < 10 ? "0\(number)" : String(number)
        return "\(prefix)_\(slug(name)).swift"
    }

    /// The longest slug, in bytes (a slug is ASCII). A file name may have at
    /// most 255 bytes; this leaves room for the step number, an attempt
    /// suffix and a job name around it.
    public static let longestSlug = 100

    /// Lower-cases a name, folds accents (`Écrire` → `ecrire`) and joins its
    /// ASCII letters and digits with `_`. A slug longer than ``longestSlug``
    /// keeps its start and ends in `_` and 16 hex digits of a hash of the
    /// whole slug (FNV-1a), the same on every run and machine, so long names
    /// that differ only at the end still get different files.
    public static func slug(_ name: String) -> String {
        bounded(fullSlug(name), toBytes: longestSlug)
    }

    /// `text` when it has at most `limit` UTF-8 bytes; else its start (cut
    /// between characters, without a trailing `_`), `_` and 16 hex digits of
    /// the FNV-1a hash of the whole text, `limit` bytes in all. For names
    /// that become file names or identifiers with a length limit.
    package static func bounded(_ text: String, toBytes limit: Int) -> String {
        guard text.utf8.count > limit else { return text }
        let hash = String(fnv1a(text.utf8), radix: 16)
        let suffix = "_" + String(repeating: "0", count: 16 - hash.count) + hash
        var start = ""
        var bytes = 0
        for character in text {
            let size = character.utf8.count
            guard bytes + size <= limit - suffix.utf8.count else { break }
            start.append(character)
            bytes += size
        }
        while start.hasSuffix("_") { start.removeLast() }
        return start + suffix
    }

    /// The 64-bit FNV-1a hash of `bytes`: simple, and unlike `hashValue`
    /// not seeded per process.
    static func fnv1a<Bytes: Sequence>(_ bytes: Bytes) -> UInt64 where Bytes.Element == UInt8 {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in bytes {
            hash ^= UInt64(byte)
            hash &*= 0x0000_0100_0000_01b3
        }
        return hash
    }

    private static func fullSlug(_ name: String) -> String {
        var words: [String] = []
        var current = ""
        for scalar in name.folding(options: .diacriticInsensitive, locale: nil).unicodeScalars {
            if scalar.isASCII, scalar.properties.isAlphabetic || ("0"..."9").contains(scalar) {
                current.unicodeScalars.append(scalar)
            } else if !current.isEmpty {
                words.append(current)
                current = ""
            }
        }
        if !current.isEmpty { words.append(current) }
        let slug = words.joined(separator: "_").lowercased()
        return slug.isEmpty ? "step" : slug
    }
}
