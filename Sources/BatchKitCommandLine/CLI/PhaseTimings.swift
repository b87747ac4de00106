import BatchKit
import BatchKitRunner
import BatchKitNotify
import BatchKitCluster
import BatchKitSchedule
import Foundation

/// With `BATCHKIT_TIMINGS=1`, prints how long start-up phases took (parsing,
/// validation, planning) to standard error, for `bench/`.
public enum PhaseTimings {
    static let enabled = ProcessInfo.processInfo.environment["BATCHKIT_TIMINGS"] == "1"

    /// Runs `body`, printing `timing: NAME 12.345 ms` when enabled.
    public static func measure<Value>(_ name: String, _ body: () throws -> Value) rethrows -> Value {
        guard enabled else { return try body() }
        let clock = ContinuousClock()
        let start = clock.now
        let value = try body()
        let elapsed = clock.now - start
        Console.error(String(format: "timing: %@ %.3f ms\n", name, elapsed.milliseconds))
        return value
    }
}

extension Duration {
    var milliseconds: Double { seconds * 1000 }
}
