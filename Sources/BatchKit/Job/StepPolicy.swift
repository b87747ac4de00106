/// How a step is run: how often it may be tried, how long to wait between
/// tries, how long an attempt may take, and how many of the run's slots it
/// occupies.
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

    public init(
        maxAttempts: Int = 1, retryWait: Double = 0, backoff: Double = 1, timeout: Double? = nil,
        killGrace: Double = 5, cpus: Int = 1
    ) {
        self.maxAttempts = maxAttempts
        self.retryWait = retryWait
        self.backoff = backoff
        self.timeout = timeout
        self.killGrace = killGrace
        self.cpus = cpus
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

    /// What is wrong with this policy, one phrase per problem.
    func problems() -> [String] {
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
        return problems
    }
}

extension Duration {
    /// The duration in seconds, as a `Double`.
    var seconds: Double {
        let (seconds, attoseconds) = components
        return Double(seconds) + Double(attoseconds) / 1e18
    }
}
