import BatchKit
/// A word written for `sh`, for commands batchkit prints or generates.
public enum ShellWord {
    /// `word` as is when no shell treats any of its characters specially,
    /// else in single quotes (a `'` inside written `'\''`).
    public static func quoted(_ word: String) -> String {
        if isPlain(word) { return word }
        return "'" + word.replacingOccurrences(of: "'", with: "'\\''") + "'"
    }

    /// True for a non-empty word of letters, digits and `/ . _ - , : @ +`.
    public static func isPlain(_ word: String) -> Bool {
        !word.isEmpty && word.unicodeScalars.allSatisfy { scalar in
            switch scalar {
            case "a"..."z", "A"..."Z", "0"..."9", "/", ".", "_", "-", ",", ":", "@", "+": return true
            default: return false
            }
        }
    }
}
