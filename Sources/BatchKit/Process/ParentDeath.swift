#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation

/// Ties a step's process to the runner's life: on Linux the kernel sends it
/// SIGKILL the moment the runner dies, even by SIGKILL, so a crashed runner
/// does not leave steps running on their own.
enum ParentDeath {
    /// Asks for SIGKILL when the parent dies, then makes sure the parent named
    /// in `BATCHKIT_RUNNER_PID` is still the parent (it may have died first).
    ///
    /// - Returns: `false` when the runner is already gone.
    static func followRunner() -> Bool {
        #if os(Linux)
        typealias Prctl = @convention(c) (Int32, UInt, UInt, UInt, UInt) -> Int32
        if let symbol = dlsym(nil, "prctl") {
            let prctl = unsafeBitCast(symbol, to: Prctl.self)
            _ = prctl(1 /* PR_SET_PDEATHSIG */, UInt(SIGKILL), 0, 0, 0)
        }
        #endif
        if let expected = ProcessInfo.processInfo.environment["BATCHKIT_RUNNER_PID"].flatMap({ Int32($0) }) {
            return getppid() == expected
        }
        return true
    }

    /// `__exec PROGRAM ARGS…`: follow the runner, then become PROGRAM. Shell
    /// steps run through this so that they, too, die with the runner.
    static func exec(_ arguments: [String]) -> Int32 {
        guard let program = arguments.first else {
            Console.error("error: __exec needs a program; it is internal to the runner\n")
            return ExitCode.usage.rawValue
        }
        guard followRunner() else { return 128 + SIGKILL }
        // This may run on a runtime worker thread, whose blocked signals the
        // new program would inherit: give it a clean mask and default handlers.
        for number in Int32(1)..<32 where number != SIGKILL && number != SIGSTOP {
            signal(number, SIG_DFL)
        }
        var empty = sigset_t()
        sigemptyset(&empty)
        pthread_sigmask(SIG_SETMASK, &empty, nil)
        let argv = arguments.map { strdup($0) } + [nil]
        execv(program, argv)
        Console.error("error: cannot run \(program): \(String(cString: strerror(errno)))\n")
        return 127
    }
}
