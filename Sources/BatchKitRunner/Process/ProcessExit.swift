import BatchKit
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// How a child process ended, and what it used.
public struct ProcessExit: Sendable, Equatable {
    /// Normal exit with a code, or death by a signal.
    public enum Termination: Sendable, Equatable {
        case exited(Int32)
        case signaled(Int32)
    }

    public let termination: Termination
    /// User plus system CPU time, in seconds, of the child and its waited-for
    /// descendants.
    public let cpuSeconds: Double
    /// Peak resident set size, in kilobytes; `nil` when it could not be
    /// measured (see ``PeakMemory``).
    public let maxRSSKilobytes: Int?

    public init(termination: Termination, cpuSeconds: Double = 0, maxRSSKilobytes: Int? = nil) {
        self.termination = termination
        self.cpuSeconds = cpuSeconds
        self.maxRSSKilobytes = maxRSSKilobytes
    }

    /// Decodes a `wait4` status word (the `WIFEXITED` family are macros Swift
    /// cannot import).
    init(status: Int32, usage: rusage) {
        let low = status & 0x7f
        termination = low == 0 ? .exited((status >> 8) & 0xff) : .signaled(low)
        let user = Double(usage.ru_utime.tv_sec) + Double(usage.ru_utime.tv_usec) / 1e6
        let system = Double(usage.ru_stime.tv_sec) + Double(usage.ru_stime.tv_usec) / 1e6
        cpuSeconds = user + system
        #if canImport(Darwin)
        maxRSSKilobytes = Int(usage.ru_maxrss) / 1024  // bytes on Darwin
        #else
        maxRSSKilobytes = Int(usage.ru_maxrss)
        #endif
    }

    /// True for exit code 0.
    public var succeeded: Bool { termination == .exited(0) }

    /// "exited with code 3", "killed by SIGSEGV (segmentation fault)".
    public var summary: String {
        switch termination {
        case .exited(let code): return "exited with code \(code)"
        case .signaled(let signal): return "killed by \(SignalName.describe(signal))"
        }
    }
}

/// Names for signal numbers, so a crash reads as `SIGSEGV`, not `11`.
public enum SignalName {
    private static let names: [Int32: (String, String)] = [
        SIGHUP: ("SIGHUP", "hangup"), SIGINT: ("SIGINT", "interrupt"), SIGQUIT: ("SIGQUIT", "quit"),
        SIGILL: ("SIGILL", "illegal instruction, e.g. a Swift trap or fatalError"),
        SIGTRAP: ("SIGTRAP", "trace trap, e.g. a Swift trap or fatalError"),
        SIGABRT: ("SIGABRT", "abort"), SIGBUS: ("SIGBUS", "bus error"),
        SIGFPE: ("SIGFPE", "arithmetic error"),
        SIGKILL: ("SIGKILL", "killed, e.g. by the OOM killer or kill -9"),
        SIGSEGV: ("SIGSEGV", "segmentation fault"), SIGPIPE: ("SIGPIPE", "broken pipe"),
        SIGALRM: ("SIGALRM", "alarm"), SIGTERM: ("SIGTERM", "terminated"),
        SIGUSR1: ("SIGUSR1", "user signal 1"), SIGUSR2: ("SIGUSR2", "user signal 2"),
        SIGXCPU: ("SIGXCPU", "CPU time limit exceeded"), SIGXFSZ: ("SIGXFSZ", "file size limit exceeded"),
    ]

    /// `SIGSEGV`, or `signal 42` for one without a name here.
    public static func name(_ signal: Int32) -> String {
        names[signal]?.0 ?? "signal \(signal)"
    }

    /// `SIGSEGV (segmentation fault)`.
    public static func describe(_ signal: Int32) -> String {
        guard let (name, meaning) = names[signal] else { return "signal \(signal)" }
        return "\(name) (\(meaning))"
    }
}
