/// How a step is run: how often it may be tried, how long to wait between
/// tries, how long an attempt may take, how many of the run's slots it
/// occupies, and how much memory it may use.
public struct StepPolicy: Sendable, Equatable, Codable {
    /// Attempts before the step counts as failed; at least 1.
    public var maxAttempts: Int
    /// Seconds to wait before the second attempt; not negative.
    public var retryWait: Double
    /// Each further wait is the previous one times this (1 = constant, 2 =
    /// exponential); at least 1.
    public var backoff: Double
    /// Seconds an attempt may run before its process group gets SIGTERM (and
    /// SIGKILL after ``killGrace``); `nil` for no limit.
    public var timeout: Double?
    /// Seconds between SIGTERM and SIGKILL when an attempt is stopped.
    public var killGrace: Double
    /// Slots of `--jobs` the step occupies while it runs; at least 1.
    public var cpus: Int
    /// The most resident memory an attempt's processes may use together;
    /// above it the attempt fails with reason `memory`. `nil` for no cap.
    /// Between 1 MB and 1 PB. (Absent from JSON written before caps existed.)
    public var memory: ByteCount?

    public init(
        maxAttempts: Int = 1, retryWait: Double = 0, backoff: Double = 1, timeout: Double? = nil,
        killGrace: Double = 5, cpus: Int = 1, memory: ByteCount? = nil
    ) {
        self.maxAttempts = maxAttempts
        self.retryWait = retryWait
        self.backoff = backoff
        self.timeout = timeout
        self.killGrace = killGrace
        self.cpus = cpus
        self.memory = memory
    }

    /// Seconds to wait before attempt `attempt` (2 or more): `retryWait ×
    /// backoff^(attempt − 2)`.
    public func wait(beforeAttempt attempt: Int) -> Double {
        guard attempt > 1 else { return 0 }
        var wait = retryWait
        for _ in 0..<(attempt - 2) { wait = min(wait * backoff, Self.longest) }
        return min(wait, Self.longest)
    }

    /// The longest wait or timeout accepted: a year, in seconds.
    public static let longest: Double = 366 * 86_400

    /// The smallest memory cap accepted: 1 MB, less than any program needs,
    /// so a smaller one is a slip of units (`.bytes(512)` for `.megabytes(512)`).
    public static let smallestMemory = ByteCount.megabytes(1)
    /// The largest memory cap accepted: 1 PB.
    public static let largestMemory = ByteCount.gigabytes(1_000_000)

    /// What is wrong with this policy, one phrase per problem.
    package func problems() -> [String] {
        var problems: [String] = []
        for (name, value) in [("retry wait", retryWait), ("timeout", timeout ?? 1), ("kill grace", killGrace)]
        where !value.isFinite || value > Self.longest {
            problems.append("\(name) is \(value) s; it must be a finite number of seconds, at most a year")
        }
        if !backoff.isFinite || backoff > 1000 { problems.append("backoff is \(backoff); it must be at most 1000") }
        if maxAttempts < 1 { problems.append("max attempts is \(maxAttempts); it must be at least 1") }
        if retryWait < 0 { problems.append("retry wait is \(retryWait) s; it must not be negative") }
        if backoff < 1 { problems.append("backoff is \(backoff); it must be at least 1") }
        if let timeout, timeout <= 0 { problems.append("timeout is \(timeout) s; it must be above 0") }
        if killGrace < 0 { problems.append("kill grace is \(killGrace) s; it must not be negative") }
        if cpus < 1 { problems.append("cpus is \(cpus); it must be at least 1") }
        if let memory, memory < Self.smallestMemory || memory > Self.largestMemory {
            problems.append("memory cap is \(memory); it must be between \(Self.smallestMemory) and \(Self.largestMemory), such as .megabytes(512) (512MB in a task list)")
        }
        return problems
    }
}

extension Duration {
    /// The duration in seconds, as a `Double`.
    package var seconds: Double {
        let (seconds, attoseconds) = components
        return Double(seconds) + Double(attoseconds) / 1e18
    }
}
