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

    /// Lower-cases a name, folds accents (`Écrire` → `ecrire`) and joins its
    /// ASCII letters and digits with `_`.
    public static func slug(_ name: String) -> String {
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
