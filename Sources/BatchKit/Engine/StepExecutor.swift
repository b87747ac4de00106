import Foundation

/// One attempt of one step, as the engine hands it to an executor.
public struct StepAttempt: Sendable {
    public let job: String
    public let runID: String
    public let step: Step
    /// From 1.
    public let attempt: Int
    /// Where the attempt's output goes.
    public let logFile: URL
    /// Where a Swift step's child reports how its body ended.
    public let resultFile: URL
    /// The shared context as the step should see it (key → JSON text).
    public let context: [String: String]
    public let layout: RunLayout
    /// The run's `--param` values.
    public var parameters: [String: String] = [:]

    /// Where the attempt reports its progress.
    public var progressFile: URL { layout.progressFile(runID: runID, stepID: step.id) }
}

/// How an attempt ended.
public struct AttemptOutcome: Sendable {
    public var status: Status
    public var startedAt: Date
    public var endedAt: Date
    /// `0`, `3` or a signal name.
    public var exitStatus: String
    /// `exit`, `signal`, `error`, `spawn`; empty on success.
    public var reason: String
    public var message: String
    public var cpuSeconds: Double?
    public var maxRSSKilobytes: Int?
    /// Context values the step set, merged into the run when it passed.
    public var contextChanges: [String: String]

    public init(
        status: Status, startedAt: Date, endedAt: Date, exitStatus: String = "", reason: String = "",
        message: String = "", cpuSeconds: Double? = nil, maxRSSKilobytes: Int? = nil,
        contextChanges: [String: String] = [:]
    ) {
        self.status = status
        self.startedAt = startedAt
        self.endedAt = endedAt
        self.exitStatus = exitStatus
        self.reason = reason
        self.message = message
        self.cpuSeconds = cpuSeconds
        self.maxRSSKilobytes = maxRSSKilobytes
        self.contextChanges = contextChanges
    }
}

/// Runs step attempts somewhere: in local child processes, or (later) on a
/// cluster. The engine decides what runs when; an executor decides where.
public protocol StepExecutor: Sendable {
    /// Runs one attempt to completion and says how it ended. It never throws:
    /// every failure is an outcome.
    func execute(_ attempt: StepAttempt) async -> AttemptOutcome
}

/// What a Swift step's child writes when its body returns or throws, so the
/// runner can tell a finished step from a process that merely exited 0.
struct StepResultFile: Codable {
    var ok: Bool
    var error: String?
    /// Context values the step set (key → JSON text).
    var context: [String: String]?
    /// The step process's own peak memory (`VmHWM`), in kilobytes.
    var peakKilobytes: Int?

    static func read(_ url: URL) -> StepResultFile? {
        guard let data = try? Data(contentsOf: url) else { return nil }
        return try? JSONDecoder().decode(StepResultFile.self, from: data)
    }

    func write(to url: URL) throws {
        try JSONEncoder().encode(self).write(to: url, options: .atomic)
    }
}
