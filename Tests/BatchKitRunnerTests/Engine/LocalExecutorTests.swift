@testable import BatchKit
@testable import BatchKitRunner
import Foundation
import TestSupport
import Testing

/// How `LocalExecutor` starts a shell step: its command exec'd directly when
/// it has no shell syntax, else through `/bin/sh -c`, with the same outcome.
@Suite struct LocalExecutorTests {
    func attempt(_ command: String, memory: ByteCount? = nil, in directory: TemporaryDirectory) -> StepAttempt {
        let layout = RunLayout(projectDirectory: directory.url)
        // Its own run id: the attempt's token marks its processes, and tests run side by side.
        let runID = directory.url.lastPathComponent
        let step = Step(id: 1, name: "s", parents: nil, source: "test:1", action: .shell(command), policy: StepPolicy(memory: memory))
        return StepAttempt(
            job: "j", runID: runID, step: step, attempt: 1, logFile: directory.path("step.log"),
            resultFile: layout.resultFile(runID: runID, stepID: 1, attempt: 1), context: [:], layout: layout)
    }

    /// The step's log and how it ended, run by the executor.
    func run(_ command: String, in directory: TemporaryDirectory) async throws -> (log: String, outcome: AttemptOutcome) {
        try? FileManager.default.removeItem(at: directory.path("step.log"))
        let outcome = await LocalExecutor(executable: "/bin/sh").execute(attempt(command, in: directory))
        return ((try? directory.read("step.log")) ?? "", outcome)
    }

    #if os(Linux)
    @Test func aCommandWithoutShellSyntaxIsExecDirectlyWithTheShellAsItsFallback() throws {
        let directory = try TemporaryDirectory()
        let request = try LocalExecutor(executable: "/bin/sh").makeRequest(attempt("sleep 0.1", in: directory))
        #expect(request.executable.hasSuffix("/sleep"))
        #expect(request.programName == "sleep")
        #expect(request.arguments == ["0.1"])
        #expect(request.fallback == ["/bin/sh", "-c", "sleep 0.1"])
        #expect(request.parentDeathSignal == SIGKILL)
        #expect(request.dataLimit == nil)
    }

    @Test(arguments: ["echo \"a  b\" > out.txt", "ls *.txt", "X=1 env", "nosuch-program-xyz", "cd /tmp", "true --version"])
    func aCommandWithShellSyntaxOrWithoutAProgramGoesToTheShell(command: String) throws {
        let directory = try TemporaryDirectory()
        let request = try LocalExecutor(executable: "/bin/sh").makeRequest(attempt(command, in: directory))
        #expect(request.executable == "/bin/sh")
        #expect(request.arguments == ["-c", command])
        #expect(request.parentDeathSignal == SIGKILL, "the runner's death kills it without setpriv")
    }

    @Test func aCappedStepGetsItsMemoryLimitWithoutAShellInBetween() throws {
        let directory = try TemporaryDirectory()
        let request = try LocalExecutor(executable: "/bin/sh").makeRequest(attempt("sleep 1", memory: .megabytes(100), in: directory))
        #expect(request.executable.hasSuffix("/sleep"))
        #expect(request.dataLimit == MemoryLimit.dataLimit(forCap: .megabytes(100)))
    }
    #endif

    /// Each command, run as a step, leaves the log and exit code `sh -c` gives.
    @Test(arguments: [
        "echo \"a  b\" > out.txt; cat out.txt", "ls *.txt", "printf '%s|' one two", "X=1 env | grep ^X=", "echo $((1 + 2))",
        "cat < in.txt", "true", "false", "ls in.txt", "ls no-such-file", "nosuch-program-xyz arg", "./plain-script",
        "sh -c 'exit 3'", "head -c 5 in.txt",
    ])
    func aStepBehavesAsItsCommandDoesInSh(command: String) async throws {
        let directory = try TemporaryDirectory()
        try directory.write("in.txt", "input text\n")
        // A script without `#!`: exec fails with ENOEXEC, and the shell runs it.
        try directory.write("plain-script", "echo from the script\n")
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: directory.path("plain-script").path)
        let expected = try await runProgram("/bin/sh", ["-c", command + " 2>&1; echo \"exit $?\""], in: directory.url)
        let (log, outcome) = try await run(command, in: directory)
        #expect(log + "exit \(outcome.exitStatus)\n" == expected.stdout)
        #expect((outcome.status == .pass) == expected.stdout.hasSuffix("exit 0\n"))
    }

    @Test func aMissingProgramFailsAsTheShellSaysWithCode127() async throws {
        let directory = try TemporaryDirectory()
        let (log, outcome) = try await run("nosuch-program-xyz --flag", in: directory)
        #expect(outcome.status == .fail)
        #expect(outcome.exitStatus == "127")
        #expect(log.contains("nosuch-program-xyz: not found"), "\(log)")
    }

    @Test func aDirectlyExecutedStepSeesItsWorkingFolderAsPWD() async throws {
        let directory = try TemporaryDirectory()
        let (log, outcome) = try await run("env", in: directory)
        #expect(outcome.status == .pass)
        let real = try #require(realpath(directory.url.path, nil))
        defer { free(real) }
        let pwd = log.split(separator: "\n").first { $0.hasPrefix("PWD=") }
        #expect(pwd.map(String.init) == "PWD=\(String(cString: real))" || pwd.map(String.init) == "PWD=\(directory.url.path)")
        #expect(log.contains("BATCHKIT_RUN_ID=\(directory.url.lastPathComponent)\n"))
    }
}
