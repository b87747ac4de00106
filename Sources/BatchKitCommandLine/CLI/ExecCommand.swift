import BatchKit
import BatchKitRunner
import BatchKitNotify
import BatchKitCluster
import BatchKitSchedule
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation

/// `<job> __exec PROGRAM ARGS…`: how a shell step follows the runner where
/// the runner cannot set the parent-death signal itself (``ChildProcess``
/// does on Linux, with the C spawn; see ``ParentDeath``).
enum ExecCommand {
    /// `__exec PROGRAM ARGS…`: follow the runner, then become PROGRAM. Shell
    /// steps run through this so that they, too, die with the runner.
    static func run(_ arguments: [String]) -> Int32 {
        guard let program = arguments.first else {
            Console.error("error: __exec needs a program; it is internal to the runner\n")
            return ExitCode.usage.rawValue
        }
        guard ParentDeath.followRunner() else { return 128 + SIGKILL }
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
