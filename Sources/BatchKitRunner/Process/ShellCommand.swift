import BatchKit
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A shell step's command, run without a shell when the shell would do
/// nothing but split it into words and look the program up in `PATH`: one
/// `exec` per step instead of two.
///
/// A command has **no shell syntax** when every character is a letter, a
/// digit, a space or tab between words, or one of `- _ . / : , + @ % =`, or
/// any non-ASCII character; when its first word has no `=` (an assignment)
/// and is neither a reserved word (`if`, `for`, `{`, …) nor a builtin of
/// `sh` or `bash` (`cd`, `echo`, `exit`, `export`, `test`, `.`, …, but `true`
/// and `false` without arguments, which behave as their programs do). So any
/// quote, backslash, `$`, backquote, glob (`* ? [`), redirection, `;`, `|`,
/// `&`, `<`, `>`, `(`, `)`, `{`, `}`, `~`, `#`, `!`, newline or other control
/// character sends the command to `/bin/sh -c`, as does a program not found
/// in `PATH` (so a missing one fails with the shell's own "not found" and
/// exit code 127) or a `PATH` with a relative entry.
enum ShellCommand {
    /// The words of `command` when it has no shell syntax, else `nil`.
    static func words(_ command: String) -> [String]? {
        var words: [String] = []
        var word = ""
        for scalar in command.unicodeScalars {
            if scalar == " " || scalar == "\t" {
                if !word.isEmpty { words.append(word) }
                word = ""
            } else if isPlain(scalar) {
                word.unicodeScalars.append(scalar)
            } else {
                return nil
            }
        }
        if !word.isEmpty { words.append(word) }
        guard let first = words.first, !first.contains("=") else { return nil }
        if first == "true" || first == "false" { return words.count == 1 ? words : nil }
        return shellWords.contains(first) ? nil : words
    }

    /// Characters that mean nothing to `sh` inside a word.
    private static func isPlain(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar {
        case "a"..."z", "A"..."Z", "0"..."9", "-", "_", ".", "/", ":", ",", "+", "@", "%", "=": true
        default: scalar.value >= 0x80
        }
    }

    /// Reserved words and builtins (of dash, POSIX and bash): a command
    /// starting with one means what the shell makes of it.
    private static let shellWords: Set<String> = [
        "!", "{", "}", "case", "do", "done", "elif", "else", "esac", "fi", "for", "function", "if", "in", "select",
        "then", "until", "while", "time", "[[", "]]",
        ".", ":", "[", "alias", "bg", "bind", "break", "builtin", "caller", "cd", "chdir", "command", "compgen",
        "complete", "compopt", "continue", "coproc", "declare", "dirs", "disown", "echo", "enable", "eval", "exec",
        "exit", "export", "false", "fc", "fg", "getopts", "hash", "help", "history", "jobs", "kill", "let", "local",
        "logout", "mapfile", "popd", "printf", "pushd", "pwd", "read", "readarray", "readonly", "return", "set",
        "shift", "shopt", "source", "suspend", "test", "times", "trap", "true", "type", "typeset", "ulimit", "umask",
        "unalias", "unset", "wait",
    ]

    /// Where `sh` would find `name`: the first regular, executable file
    /// named so in `path`'s folders; a name with a `/` is taken as it is
    /// (relative to `directory`). `nil` when there is none, or `path` has an
    /// empty or relative entry (the shell would look in the working folder).
    static func program(_ name: String, path: String?, directory: String) -> String? {
        if name.contains("/") {
            return isExecutableFile(name.hasPrefix("/") ? name : directory + "/" + name) ? name : nil
        }
        guard let path else { return nil }
        let folders = path.split(separator: ":", omittingEmptySubsequences: false)
        guard folders.allSatisfy({ $0.hasPrefix("/") }) else { return nil }
        for folder in folders {
            let candidate = folder.hasSuffix("/") ? String(folder) + name : String(folder) + "/" + name
            if isExecutableFile(candidate) { return candidate }
        }
        return nil
    }

    private static func isExecutableFile(_ path: String) -> Bool {
        var status = stat()
        return stat(path, &status) == 0 && (status.st_mode & S_IFMT) == S_IFREG && access(path, X_OK) == 0
    }

    /// The `PWD` `sh` would give a program run in `directory`: the inherited
    /// one when it names that folder, else the folder's real path.
    static func workingDirectoryVariable(inherited: String?, directory: String) -> String? {
        var here = stat()
        guard stat(directory, &here) == 0 else { return nil }
        var there = stat()
        if let inherited, inherited.hasPrefix("/"), stat(inherited, &there) == 0, there.st_dev == here.st_dev, there.st_ino == here.st_ino {
            return inherited
        }
        guard let resolved = realpath(directory, nil) else { return nil }
        defer { free(resolved) }
        return String(cString: resolved)
    }
}
