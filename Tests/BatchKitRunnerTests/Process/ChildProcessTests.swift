@testable import BatchKit
@testable import BatchKitRunner
import Foundation
import TestSupport
import Testing

@Suite struct ChildProcessTests {
    func run(_ script: String, in directory: TemporaryDirectory) async throws -> ProcessExit {
        let child = try await ChildProcess.spawn(.init(
            executable: "/bin/sh", arguments: ["-c", script], workingDirectory: directory.url.path,
            logFile: directory.path("out.log").path))
        return await child.wait()
    }

    @Test func exitCodesAndOutputAreCaptured() async throws {
        let directory = try TemporaryDirectory()
        let exit = try await run("echo to-stdout; echo to-stderr >&2; pwd; exit 3", in: directory)
        #expect(exit.termination == .exited(3))
        #expect(exit.summary == "exited with code 3")
        let log = try directory.read("out.log")
        #expect(log.contains("to-stdout\nto-stderr\n"))
        #expect(log.contains(directory.url.lastPathComponent), "runs in the requested working directory")
    }

    @Test(arguments: [("SEGV", SIGSEGV, "SIGSEGV (segmentation fault)"), ("KILL", SIGKILL, "SIGKILL"), ("ABRT", SIGABRT, "SIGABRT (abort)")])
    func deathBySignalIsNamed(name: String, signal: Int32, summary: String) async throws {
        let directory = try TemporaryDirectory()
        let exit = try await run("kill -\(name) $$", in: directory)
        #expect(exit.termination == .signaled(signal))
        #expect(exit.summary.contains(summary))
        #expect(!exit.succeeded)
    }

    @Test func theChildLeadsItsOwnProcessGroup() async throws {
        let directory = try TemporaryDirectory()
        _ = try await run("ps -o pgid= -p $$ | tr -d ' ' > pgid; echo $$ > pid", in: directory)
        #expect(try directory.read("pgid") == directory.read("pid"))
    }

    @Test func whatAChildLeavesRunningIsKilledWhenItExits() async throws {
        let directory = try TemporaryDirectory()
        _ = try await run("(trap '' TERM; sleep 60) & echo $! > orphan; exit 0", in: directory)
        let orphan = try #require(pid_t(try directory.read("orphan").trimmingCharacters(in: .whitespacesAndNewlines)))
        var alive = true
        for _ in 0..<100 where alive {
            alive = kill(orphan, 0) == 0 && !isZombie(orphan)
            if alive { try await Task.sleep(for: .milliseconds(20)) }
        }
        #expect(!alive, "the background process of a finished child must not outlive it")
    }

    @Test func ignoredSignalsInTheRunnerAreResetForTheChild() async throws {
        let directory = try TemporaryDirectory()
        let previous = signal(SIGTERM, SIG_IGN)
        defer { signal(SIGTERM, previous) }
        let exit = try await run("kill -TERM $$; sleep 5", in: directory)
        #expect(exit.termination == .signaled(SIGTERM))
    }

    @Test func theRunnersOtherDescriptorsAreNotInherited() async throws {
        let directory = try TemporaryDirectory()
        let leaked = open(directory.path("held").path, O_WRONLY | O_CREAT, 0o644)  // no O_CLOEXEC
        defer { close(leaked) }
        _ = try await run("ls /proc/self/fd > fds", in: directory)
        let fds = try directory.read("fds").split(separator: "\n").compactMap { Int32($0) }
        #expect(!fds.contains(leaked), "descriptor \(leaked) leaked into the child: \(fds)")
    }

    @Test func usageIsMeasured() async throws {
        let directory = try TemporaryDirectory()
        let exit = try await run("i=0; while [ $i -lt 200000 ]; do i=$((i+1)); done; sleep 1", in: directory)
        #expect(exit.cpuSeconds > 0)
        // Peak memory is checked through a real runner in FeedbackCommandTests; here the
        // test process itself is too busy to promise a sample inside one second.
    }

    @Test func aMissingExecutableIsASpawnError() async throws {
        let directory = try TemporaryDirectory()
        await #expect(throws: ChildProcess.SpawnError.self) {
            try await ChildProcess.spawn(.init(executable: "/nonexistent/tool", arguments: [], logFile: directory.path("l").path))
        }
    }

    #if os(Linux)
    @Test func theParentDeathSignalAndTheMemoryLimitAreSetBeforeExec() async throws {
        guard let python = requireTool("python3", for: "reading the parent-death signal with prctl") else { return }
        let directory = try TemporaryDirectory()
        var request = ChildProcess.Request(
            executable: python,
            arguments: ["-c", "import ctypes, resource; c = ctypes.c_int(); ctypes.CDLL(None).prctl(2, ctypes.byref(c), 0, 0, 0); print(c.value, resource.getrlimit(resource.RLIMIT_DATA))"],
            logFile: directory.path("out.log").path)
        request.parentDeathSignal = SIGKILL
        request.dataLimit = 1 << 30
        let exit = try await ChildProcess.spawn(request).wait()
        #expect(exit.termination == .exited(0))
        #expect(try directory.read("out.log") == "9 (1073741824, 1073741824)\n")
    }

    @Test func theFallbackRunsWhenTheProgramCannotBeExeced() async throws {
        let directory = try TemporaryDirectory()
        try directory.write("script", "echo ran by sh as $0\n")
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: directory.path("script").path)
        var request = ChildProcess.Request(
            executable: directory.path("script").path, arguments: [], workingDirectory: directory.url.path, logFile: directory.path("out.log").path)
        request.fallback = ["/bin/sh", "-c", "./script"]
        let exit = try await ChildProcess.spawn(request).wait()
        #expect(exit.termination == .exited(0))
        #expect(try directory.read("out.log") == "ran by sh as ./script\n")
    }

    @Test func aChildThatCannotOpenItsLogIsASpawnError() async throws {
        await #expect(throws: ChildProcess.SpawnError.self) {
            try await ChildProcess.spawn(.init(executable: "/bin/true", arguments: [], logFile: "/nonexistent/folder/log"))
        }
    }
    #endif

    private func isZombie(_ pid: pid_t) -> Bool {
        let stat = (try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8)) ?? ""
        return stat.contains(") Z ")
    }
}
