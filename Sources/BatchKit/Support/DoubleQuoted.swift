/// A double-quoted literal built scalar by scalar, for the formats that
/// quote text this way (DOT, Swift, curl's config). Working on Unicode
/// scalars matters: a `"` or `\` that a combining mark follows is one
/// `Character` with it, yet still ends (or escapes inside) the literal.
package enum DoubleQuoted {
    /// `text` between double quotes, `\` and `"` escaped with a backslash,
    /// and each other scalar as `escape` says: its replacement, `""` to drop
    /// it, or `nil` to keep it as it is.
    package static func literal(_ text: String, escape: (Unicode.Scalar) -> String? = { _ in nil }) -> String {
        var out = String.UnicodeScalarView()
        out.append("\"")
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\\": out.append(contentsOf: #"\\"#.unicodeScalars)
            case "\"": out.append(contentsOf: #"\""#.unicodeScalars)
            default:
                if let replacement = escape(scalar) {
                    out.append(contentsOf: replacement.unicodeScalars)
                } else {
                    out.append(scalar)
                }
            }
        }
        out.append("\"")
        return String(out)
    }
}
