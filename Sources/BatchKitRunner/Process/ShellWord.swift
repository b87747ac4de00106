import BatchKit
/// A word written for `sh`, for commands batchkit prints or generates.
///
/// Works on Unicode scalars: a `'` that a combining mark follows is one
/// `Character` with it, but to the shell it is still a quote.
public enum ShellWord {
    /// `word` as is when no shell treats any of its characters specially,
    /// else in single quotes (a `'` inside written `'\''`).
    public static func quoted(_ word: String) -> String {
        isPlain(word) ? word : singleQuoted(word)
    }

    /// As ``quoted(_:)``, but `=` counts as plain too: for an argument after
    /// the command, where `--name=value` cannot be read as an assignment.
    public static func quotedArgument(_ word: String) -> String {
        !word.isEmpty && word.unicodeScalars.allSatisfy({ $0 == "=" || isPlain($0) }) ? word : singleQuoted(word)
    }

    /// `word` in single quotes, whatever it holds; a `'` inside is written
    /// `'\''`.
    public static func singleQuoted(_ word: String) -> String {
        var out = String.UnicodeScalarView()
        out.append("'")
        for scalar in word.unicodeScalars {
            if scalar == "'" {
                out.append(contentsOf: "'\\''".unicodeScalars)
            } else {
                out.append(scalar)
            }
        }
        out.append("'")
        return String(out)
    }

    /// True for a non-empty word of letters, digits and `/ . _ - , : @ +`.
    public static func isPlain(_ word: String) -> Bool {
        !word.isEmpty && word.unicodeScalars.allSatisfy(isPlain)
    }

    private static func isPlain(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar {
        case "a"..."z", "A"..."Z", "0"..."9", "/", ".", "_", "-", ",", ":", "@", "+": true
        default: false
        }
    }
}
