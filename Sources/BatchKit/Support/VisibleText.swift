/// Text as a terminal may show it: control characters written as Swift-style
/// escapes, so a name holding `ESC [2J` reads `\u{1B}[2J` instead of clearing
/// the screen.
///
/// Everything a person reads on a terminal that comes from a job's own text
/// (step and job names, messages, error lines) goes through here; files meant
/// for programs (the CSV history, JSON) keep the real text. Escaped are the C0
/// and C1 controls and DEL (`\0`, `\t`, `\n`, `\r`, else `\u{1B}`), the line
/// and paragraph separators, and the bidirectional controls that reorder
/// what is shown (U+202E and its kin). A backslash is left as it is, so
/// ordinary text reads unchanged.
package enum VisibleText {
    /// `text` on one line: every hidden character escaped, line breaks too.
    package static func line(_ text: String) -> String {
        escaped(text, keepingLineFeeds: false)
    }

    /// `text` with its line feeds kept, for multi-line messages; every other
    /// hidden character, carriage returns included, escaped.
    package static func lines(_ text: String) -> String {
        escaped(text, keepingLineFeeds: true)
    }

    /// Whether `scalar` is shown as an escape rather than as itself.
    package static func isHidden(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.value {
        case 0x00...0x1F, 0x7F...0x9F: true  // C0, DEL, C1 (0x9B is an 8-bit CSI)
        case 0x2028, 0x2029: true  // line and paragraph separators
        case 0x061C, 0x200E, 0x200F, 0x202A...0x202E, 0x2066...0x2069: true  // bidirectional controls
        default: false
        }
    }

    private static func escaped(_ text: String, keepingLineFeeds: Bool) -> String {
        guard text.unicodeScalars.contains(where: { isHidden($0) && !(keepingLineFeeds && $0 == "\n") }) else { return text }
        var out = String.UnicodeScalarView()
        for scalar in text.unicodeScalars {
            guard isHidden(scalar), !(keepingLineFeeds && scalar == "\n") else {
                out.append(scalar)
                continue
            }
            let escape = switch scalar {
            case "\0": "\\0"
            case "\t": "\\t"
            case "\n": "\\n"
            case "\r": "\\r"
            default: "\\u{" + String(scalar.value, radix: 16, uppercase: true) + "}"
            }
            out.append(contentsOf: escape.unicodeScalars)
        }
        return String(out)
    }
}
