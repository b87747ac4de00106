import BatchKit
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation

/// Ties a step's process to the runner's life: on Linux the kernel sends it
/// SIGKILL the moment the runner dies, even by SIGKILL, so a crashed runner
/// does not leave steps running on their own.
package enum ParentDeath {
    /// Asks for SIGKILL when the parent dies, then makes sure the parent named
    /// in `BATCHKIT_RUNNER_PID` is still the parent (it may have died first).
    ///
    /// - Returns: `false` when the runner is already gone.
    package static func followRunner() -> Bool {
        #if os(Linux)
        typealias Prctl = @convention(c) (Int32, UInt, UInt, UInt, UInt) -> Int32
        if let symbol = dlsym(nil, "prctl") {
            let prctl = unsafeBitCast(symbol, to: Prctl.self)
            _ = prctl(1 /* PR_SET_PDEATHSIG */, UInt(SIGKILL), 0, 0, 0)
        }
        #endif
        if let expected = ProcessInfo.processInfo.environment[ChildContract.runnerPID].flatMap({ Int32($0) }) {
            return getppid() == expected
        }
        return true
    }
}
