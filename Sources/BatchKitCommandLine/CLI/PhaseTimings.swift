import BatchKit
import BatchKitRunner
import BatchKitNotify
import BatchKitCluster
import BatchKitSchedule
import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// With `BATCHKIT_TIMINGS=1`, prints how long start-up phases took (parsing,
/// validation, planning) to standard error, for `bench/`. With
/// `BATCHKIT_TIMINGS=cpu`, the same lines give the CPU time the process
/// spent in each phase instead, which other work on a busy machine inflates
/// far less than the wall time.
public enum PhaseTimings {
    static let setting = ProcessInfo.processInfo.environment["BATCHKIT_TIMINGS"]
    static let enabled = setting == "1" || setting == "cpu"

    /// Runs `body`, printing `timing: NAME 12.345 ms` when enabled.
    public static func measure<Value>(_ name: String, _ body: () throws -> Value) rethrows -> Value {
        guard enabled else { return try body() }
        let clock = ContinuousClock()
        let start = clock.now, cpuStart = cpuSeconds()
        let value = try body()
        let milliseconds = setting == "cpu" ? (cpuSeconds() - cpuStart) * 1000 : (clock.now - start).milliseconds
        Console.error(String(format: "timing: %@ %.3f ms\n", name, milliseconds))
        return value
    }

    /// The CPU time the process has used, every thread's.
    private static func cpuSeconds() -> Double {
        var time = timespec()
        clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &time)
        return Double(time.tv_sec) + Double(time.tv_nsec) / 1e9
    }
}

extension Duration {
    var milliseconds: Double { seconds * 1000 }
}
