import Foundation

/// What a notification says about a run: the job, the status, the failed
/// steps, the duration and the log folder. Webhooks and email send its
/// ``text``; Swift hooks get the whole value.
public struct RunNotice: Sendable, Codable, Equatable {
    /// When a notification is sent.
    public enum Event: String, Sendable, Codable, CaseIterable {
        /// The run took the lock (and its `--wait-for` files appeared).
        case start
        /// Every step and post-job test passed.
        case success
        /// A step or test failed, the run was interrupted, another run held
        /// the lock, or `--wait-for` timed out.
        case failure
    }

    /// A step that did not pass.
    public struct FailedStep: Sendable, Codable, Equatable {
        public var id: StepID
        public var name: String
        public var reason: FailureReason
        public var message: String

        public init(id: StepID, name: String, reason: FailureReason, message: String) {
            self.id = id
            self.name = name
            self.reason = reason
            self.message = message
        }
    }

    public var event: Event
    public var job: String
    public var runID: String
    /// `started`, `passed`, `failed`, `interrupted`, `refused` (another run
    /// held the lock) or `wait timed out`.
    public var status: String
    public var failedSteps: [FailedStep]
    /// Failed post-job tests, by name.
    public var failedTests: [String]
    /// Wall time so far; `nil` at the start.
    public var durationSeconds: Double?
    /// The run's log folder, absolute.
    public var logFolder: String
    public var host: String
    /// The `--env` name, if any.
    public var environment: String?
    /// One line on what happened, when the status alone does not say it.
    public var detail: String?

    public init(
        event: Event, job: String, runID: String, status: String, failedSteps: [FailedStep] = [], failedTests: [String] = [],
        durationSeconds: Double? = nil, logFolder: String, host: String = ProcessInfo.processInfo.hostName,
        environment: String? = nil, detail: String? = nil
    ) {
        self.event = event
        self.job = job
        self.runID = runID
        self.status = status
        self.failedSteps = failedSteps
        self.failedTests = failedTests
        self.durationSeconds = durationSeconds
        self.logFolder = logFolder
        self.host = host
        self.environment = environment
        self.detail = detail
    }

    /// A short title: `myjob FAILED`.
    public var title: String {
        switch event {
        case .start: "\(job) started"
        case .success: "\(job) passed"
        case .failure: "\(job) \(status == "failed" ? "FAILED" : status.uppercased())"
        }
    }

    /// The message, a few plain lines.
    public var text: String {
        var head = "batchkit: \(title) on \(host)"
        if let durationSeconds { head += " after \(DurationFormat.seconds(durationSeconds))" }
        head += " (run \(runID)\(environment.map { ", env \($0)" } ?? ""))"
        var lines = [head]
        if let detail { lines.append(detail) }
        if !failedSteps.isEmpty {
            let shown = failedSteps.prefix(10).map { step in
                "\(step.id.display) \(step.name) (\(step.reason)\(step.message.isEmpty || step.reason == .upstreamFailed ? "" : ": \(step.message.prefix(160))"))"
            }
            lines.append("Failed steps: " + shown.joined(separator: "; ") + (failedSteps.count > 10 ? "; and \(failedSteps.count - 10) more" : ""))
        }
        if !failedTests.isEmpty { lines.append("Failed tests: " + failedTests.joined(separator: ", ")) }
        lines.append("Logs: \(logFolder)")
        return lines.joined(separator: "\n")
    }
}

/// Swift hooks that run in the runner when a run starts, passes or fails:
/// custom channels beside the built-in webhook and email.
///
/// ```swift
/// let job = Job("nightly", steps: […])
///     .onFailure { notice in try await Pager.page(notice.text) }
/// ```
///
/// A hook that throws or takes longer than 30 s is logged in
/// `logs/notifications.log` and never fails the run.
public struct JobHooks: Sendable {
    public typealias Hook = @Sendable (RunNotice) async throws -> Void
    public var onStart: [Hook] = []
    public var onSuccess: [Hook] = []
    public var onFailure: [Hook] = []

    public init() {}

    package func hooks(for event: RunNotice.Event) -> [Hook] {
        switch event {
        case .start: onStart
        case .success: onSuccess
        case .failure: onFailure
        }
    }
}

extension Job {
    /// Adds a hook run when a run starts.
    public func onStart(_ hook: @escaping JobHooks.Hook) -> Job {
        var job = self
        job.hooks.onStart.append(hook)
        return job
    }

    /// Adds a hook run when a run passes.
    public func onSuccess(_ hook: @escaping JobHooks.Hook) -> Job {
        var job = self
        job.hooks.onSuccess.append(hook)
        return job
    }

    /// Adds a hook run when a run fails, is interrupted, or cannot start.
    public func onFailure(_ hook: @escaping JobHooks.Hook) -> Job {
        var job = self
        job.hooks.onFailure.append(hook)
        return job
    }
}
