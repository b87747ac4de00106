import Foundation

/// A post-job test: a named check on what the job produced, run after the
/// steps. It passes with an optional detail, or fails with a message.
///
/// ```swift
/// let postJobTests: [Check] = [
///     .fileNotEmpty("data/output/daily_revenue.csv"),
///     .csvRowCount("data/output/daily_revenue.csv", atLeast: 1),
///     Check("every region has revenue") { context in
///         let table = try CSVTable.read(context.path("data/output/daily_revenue.csv"))
///         guard !table.rows.isEmpty else { throw CheckFailure("no rows") }
///         return "\(table.rows.count) rows"
///     },
/// ]
/// ```
public struct Check: Sendable {
    /// The body: return a detail to pass (or `nil`), throw to fail.
    public typealias Body = @Sendable (CheckContext) async throws -> String?

    /// The name shown in the report and the test history.
    public let name: String
    let body: Body

    /// A custom check.
    ///
    /// - Parameters:
    ///   - name: What the check asserts, e.g. "revenue adds up".
    ///   - body: Returns a detail on success; throws ``CheckFailure`` (or any
    ///     error) to fail with that message.
    public init(_ name: String, _ body: @escaping Body) {
        self.name = name
        self.body = body
    }

    /// Runs the check, turning a thrown error into a failed result.
    public func run(in context: CheckContext) async -> CheckResult {
        let started = Date()
        do {
            let detail = try await body(context)
            return CheckResult(name: name, status: .pass, message: detail ?? "", startedAt: started, endedAt: Date())
        } catch let failure as CheckFailure {
            return CheckResult(name: name, status: .fail, message: failure.message, startedAt: started, endedAt: Date())
        } catch {
            return CheckResult(name: name, status: .fail, message: ErrorDescription.of(error), startedAt: started, endedAt: Date())
        }
    }
}

/// Thrown by a check to fail with a message.
public struct CheckFailure: Error, CustomStringConvertible, Sendable {
    public let message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

/// What a check can see: the project, to find the job's outputs.
public struct CheckContext: Sendable {
    /// The job's root folder.
    public let projectDirectory: URL

    public init(projectDirectory: URL) {
        self.projectDirectory = projectDirectory
    }

    /// A path inside the project.
    public func path(_ relative: String) -> URL {
        projectDirectory.appendingPathComponent(relative)
    }
}

/// The outcome of one check in one run.
public struct CheckResult: Sendable, Codable, Equatable {
    public let name: String
    /// `pass` or `fail`.
    public let status: Status
    /// The detail on success, the reason on failure.
    public let message: String
    public let startedAt: Date
    public let endedAt: Date

    public init(name: String, status: Status, message: String, startedAt: Date, endedAt: Date) {
        self.name = name
        self.status = status
        self.message = message
        self.startedAt = startedAt
        self.endedAt = endedAt
    }

    /// Wall time in seconds.
    public var durationSeconds: Double { endedAt.timeIntervalSince(startedAt) }
}
