@testable import BatchKit
@testable import BatchKitRunner
import Foundation
import TestSupport
import Testing

@Suite struct ShellCommandTests {
    @Test(arguments: [
        ("true", ["true"]),
        ("  sleep\t0.1  ", ["sleep", "0.1"]),
        ("python3 -u tool.py --out=data/x.csv", ["python3", "-u", "tool.py", "--out=data/x.csv"]),
        ("/usr/bin/env", ["/usr/bin/env"]),
        ("./bin/run-job a,b c:d 50% +1 me@host", ["./bin/run-job", "a,b", "c:d", "50%", "+1", "me@host"]),
        ("grep é café.txt", ["grep", "é", "café.txt"]),
    ])
    func aCommandWithoutShellSyntaxIsItsWords(command: String, words: [String]) {
        #expect(ShellCommand.words(command) == words)
    }

    @Test(arguments: [
        "", "   ", "echo \"a b\"", "echo 'a'", "echo a\\ b", "echo $HOME", "echo ${X}", "echo `date`", "ls *.txt", "ls file?",
        "ls [ab]", "echo > out", "cat < in", "a; b", "a && b", "a || b", "a | b", "sleep 1 &", "(cd x)", "{ a; }",
        "ls ~", "ls ~/x", "true # comment", "! false", "a\nb", "a\rb", "X=1 env", "cd /tmp", "echo hi", "exit 3",
        "export X=1", ". ./profile", "source ./profile", "test -f x", "[ -f x ]", "pwd", "true x", "false --help",
        "if", "while", "printf x", "kill 1", "exec ls", "ulimit -d 1", "umask 022", "wait", "set -e",
    ])
    func aCommandWithShellSyntaxGoesToTheShell(command: String) {
        #expect(ShellCommand.words(command) == nil)
    }

    @Test func programsAreFoundAsTheShellFindsThem() throws {
        let directory = try TemporaryDirectory()
        try directory.write("bin/tool", "#!/bin/sh\n")
        try directory.write("other/tool", "#!/bin/sh\n")
        try directory.write("plain/tool", "not executable\n")
        for folder in ["bin", "other"] {
            try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: directory.path("\(folder)/tool").path)
        }
        let root = directory.url.path
        #expect(ShellCommand.program("tool", path: "\(root)/plain:\(root)/bin:\(root)/other", directory: "/") == "\(root)/bin/tool",
                "a file that is not executable is passed over")
        #expect(ShellCommand.program("missing", path: "\(root)/bin", directory: "/") == nil)
        #expect(ShellCommand.program("tool", path: "bin:\(root)/bin", directory: root) == nil, "a relative PATH entry: the shell decides")
        #expect(ShellCommand.program("tool", path: ":\(root)/bin", directory: root) == nil, "an empty PATH entry means the working folder")
        #expect(ShellCommand.program("tool", path: nil, directory: root) == nil)
        #expect(ShellCommand.program("bin/tool", path: "/usr/bin", directory: root) == "bin/tool", "a name with a slash is not searched")
        #expect(ShellCommand.program("plain/tool", path: "/usr/bin", directory: root) == nil)
        #expect(ShellCommand.program("bin", path: root, directory: root) == nil, "a folder is not a program")
    }
}
