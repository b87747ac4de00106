import BatchKit
import BatchKitRunner
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation

/// Where and how a run's steps are submitted to Slurm: the options of
/// `./run.sh --backend slurm`.
public struct SlurmOptions: Sendable, Equatable {
    /// `--partition`; `nil` for the cluster's default.
    public var partition: String?
    /// `--account`; `nil` for the user's default.
    public var account: String?
    /// Further `sbatch` flags, passed as they are (`--sbatch-arg`, repeatable).
    public var extraArguments: [String]
    /// How often the runner asks Slurm about the run's jobs.
    public var pollInterval: Double

    public init(partition: String? = nil, account: String? = nil, extraArguments: [String] = [], pollInterval: Double = 1) {
        self.partition = partition
        self.account = account
        self.extraArguments = extraArguments
        self.pollInterval = pollInterval
    }
}

/// Slurm could not be used: not installed, not reachable, or it refused a
/// submission. Nothing of the run has been recorded when this is thrown.
public struct SlurmError: Error, CustomStringConvertible {
    public let message: String
    public var description: String { message }
}

/// Slurm's command-line clients (`sbatch`, `squeue`, `scontrol`, `scancel`),
/// found on `PATH` and run as child processes.
struct SlurmClient: Sendable {
    let sbatch: String
    let squeue: String
    let scontrol: String
    let scancel: String

    /// Finds the clients on `PATH`.
    ///
    /// - Throws: ``SlurmError`` naming what is missing.
    static func locate(environment: [String: String] = ProcessInfo.processInfo.environment) throws -> SlurmClient {
        let names = ["sbatch", "squeue", "scontrol", "scancel"]
        let found = names.map { ExecutablePath.find($0, environment: environment) }
        let missing = zip(names, found).filter { $0.1 == nil }.map(\.0)
        guard missing.isEmpty else {
            throw SlurmError(message: "--backend slurm needs Slurm's commands on PATH, and \(missing.joined(separator: ", ")) \(missing.count == 1 ? "is" : "are") missing; install Slurm's client (Debian: apt-get install slurm-client) on this machine, or run without --backend slurm")
        }
        return SlurmClient(sbatch: found[0]!, squeue: found[1]!, scontrol: found[2]!, scancel: found[3]!)
    }

    /// Checks that the controller answers.
    ///
    /// - Throws: ``SlurmError`` with `scontrol ping`'s answer and what to check.
    func ping() async throws {
        let (exit, output) = try await Self.capture(scontrol, ["ping"], timeout: 15)
        guard exit.succeeded, output.contains("is UP") else {
            let conf = ProcessInfo.processInfo.environment["SLURM_CONF"].map { "SLURM_CONF=\($0)" } ?? "SLURM_CONF is not set, so the default slurm.conf is used"
            let answer = output.split(whereSeparator: \.isNewline)
                .map { $0.trimmingCharacters(in: .whitespaces) }
                .filter { !$0.isEmpty && !$0.hasPrefix("*") }
                .joined(separator: "; ")
            throw SlurmError(message: "cannot reach the Slurm controller: `scontrol ping` \(exit.summary)\(answer.isEmpty ? "" : ": \(answer)"). Check that slurmctld runs and that this machine uses its slurm.conf (\(conf)); nothing was submitted")
        }
    }

    /// Submits a batch job.
    ///
    /// - Parameters:
    ///   - environment: Variables added to sbatch's environment, which Slurm
    ///     exports to the job (so no secret is on a command line).
    ///   - withholding: Variables of the runner's environment the job does not get.
    /// - Returns: The job id.
    /// - Throws: ``SlurmError`` with sbatch's message.
    func submit(_ arguments: [String], environment: [String: String] = [:], withholding: Set<String> = []) async throws -> String {
        let (exit, output) = try await Self.capture(sbatch, ["--parsable"] + arguments, environment: environment, withholding: withholding)
        let lines = output.split(whereSeparator: \.isNewline).map { $0.trimmingCharacters(in: .whitespaces) }
        // --parsable prints "ID" or "ID;CLUSTER".
        if exit.succeeded, let line = lines.last(where: { $0.first?.isNumber == true }),
           let id = line.split(separator: ";").first, id.allSatisfy(\.isNumber) {
            return id.description
        }
        let message = lines.filter { !$0.isEmpty }.joined(separator: "; ")
        throw SlurmError(message: "sbatch \(exit.summary)\(message.isEmpty ? "" : ": \(message)")")
    }

    /// The state (`PENDING`, `RUNNING`, `COMPLETED`, …) of each job Slurm
    /// still knows; a job it has forgotten is missing from the result.
    func states(of jobs: [String]) async -> [String: String]? {
        guard !jobs.isEmpty else { return [:] }
        guard let (exit, output) = try? await Self.capture(squeue, ["-h", "--states=all", "--jobs=\(jobs.joined(separator: ","))", "-o", "%i|%T"]) else { return nil }
        var states: [String: String] = [:]
        for line in output.split(whereSeparator: \.isNewline) {
            let fields = line.split(separator: "|")
            if fields.count == 2 { states[String(fields[0])] = String(fields[1]) }
        }
        // squeue refuses the whole list when one id is unknown; ask one by one.
        if !exit.succeeded, states.isEmpty {
            for job in jobs {
                if let details = await details(of: job) { states[job] = details.state }
            }
        }
        return states
    }

    /// What `scontrol show job` says of a job; `nil` when Slurm has forgotten it.
    func details(of job: String) async -> JobDetails? {
        guard let (exit, output) = try? await Self.capture(scontrol, ["show", "job", "-o", job]), exit.succeeded else { return nil }
        var fields: [String: String] = [:]
        for token in output.split(whereSeparator: { $0 == " " || $0.isNewline }) {
            guard let equals = token.firstIndex(of: "=") else { continue }
            let key = String(token[..<equals])
            if fields[key] == nil { fields[key] = String(token[token.index(after: equals)...]) }
        }
        guard let state = fields["JobState"] else { return nil }
        return JobDetails(
            state: state, reason: fields["Reason"] ?? "", exitCode: fields["ExitCode"] ?? "",
            timeLimit: fields["TimeLimit"] ?? "", node: fields["NodeList"] ?? "",
            restarts: fields["Restarts"].flatMap { Int($0) } ?? 0)
    }

    /// Cancels jobs; ids Slurm no longer knows are ignored.
    func cancel(_ jobs: [String]) async {
        guard !jobs.isEmpty else { return }
        _ = try? await Self.capture(scancel, jobs)
    }

    /// A job as `scontrol show job` describes it.
    struct JobDetails: Sendable {
        var state: String
        var reason: String
        /// `EXIT:SIGNAL`, as `1:0` or `0:9`.
        var exitCode: String
        var timeLimit: String
        var node: String
        /// How often Slurm requeued the job.
        var restarts: Int
    }

    /// Whether a job in `state` has ended for good.
    static func isFinished(_ state: String) -> Bool {
        let base = state.split(separator: " ").first.map(String.init) ?? state
        return ["COMPLETED", "FAILED", "CANCELLED", "TIMEOUT", "NODE_FAIL", "PREEMPTED", "BOOT_FAIL",
                "DEADLINE", "OUT_OF_MEMORY", "REVOKED", "SPECIAL_EXIT"].contains(base)
    }

    /// Runs a command and returns its exit and its output (standard output
    /// and error together).
    /// A command that has not ended after `timeout` seconds is killed, and
    /// its output so far is returned with a note.
    static func capture(
        _ executable: String, _ arguments: [String], environment: [String: String] = [:], withholding: Set<String> = [], timeout: Double = 30
    ) async throws -> (ProcessExit, String) {
        let result = try await CommandOutput.run(
            executable, arguments, environment: environment, withholding: withholding, mergingErrors: true, timeout: timeout)
        return (result.exit, result.standardOutput)
    }
}
