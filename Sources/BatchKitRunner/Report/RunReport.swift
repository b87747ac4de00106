import BatchKit
import Foundation

/// The feedback of one run, as the style guide asks: overall status, each
/// step's status and time, the test results and where the logs are. It is
/// printed at the end of a run and saved in `logs/runs/<run_id>/` as
/// `report.txt`, `report.json` and `junit.xml`.
public struct RunReport: Sendable, Codable {
    public let job: String
    public let runID: String
    /// PASS when every step and every test passed.
    public let status: Status
    public let startedAt: Date
    public let endedAt: Date
    public internal(set) var steps: [StepRun]
    public let tests: [CheckResult]
    /// Why the tests did not run, when they did not.
    public let testsNotRun: String?
    /// The last lines of each failed step's last log, by step id.
    public let failureLogTails: [StepID: [String]]
    /// The run's log folder, relative to the project.
    public let logDirectory: String
    /// The history files, relative to the project.
    public let historyFiles: [String]
    /// Things worth knowing that did not fail the run.
    public let notes: [String]
    /// Each reported step's parents, by step id (for the DAG as text).
    public let parents: [StepID: [StepID]]
    /// The run's effective parameters.
    public let parameters: [String: String]?
    /// Where each parameter came from: `config/base.json`, `config/prod.json`,
    /// `$BATCHKIT_PARAM_ROWS`, `--param`.
    public let parameterSources: [String: String]?
    /// The `--env` the run used.
    public let environment: String?
    /// `true` when a signal stopped the run before its records were closed
    /// (the command line then exits 129, 130 or 143); absent otherwise.
    public var interrupted: Bool?
    /// The day the run was for (`--date`).
    public var runDate: RunDate?
    /// The chain of steps that set the wall time (``CriticalPath``); `nil`
    /// when no step ran in this session.
    public var criticalPath: CriticalPath?
    /// The sessions of a resumed run before this one, oldest first, for the
    /// timeline of `report.html`; `nil` for a run that was not resumed.
    public var earlierSessions: [Session]?

    /// A session of a resumed run: when it started and the attempts it made.
    public struct Session: Sendable, Codable {
        public let startedAt: Date
        /// Its attempts (attempt 1 and up), in start order.
        public let attempts: [ExecutionRecord]

        public init(startedAt: Date, attempts: [ExecutionRecord]) {
            self.startedAt = startedAt
            self.attempts = attempts
        }
    }

    public init(
        job: String, runID: String, status: Status, startedAt: Date, endedAt: Date, steps: [StepRun],
        tests: [CheckResult], testsNotRun: String?, failureLogTails: [StepID: [String]],
        logDirectory: String, historyFiles: [String], notes: [String], parameters: [String: String] = [:],
        parameterSources: [String: String] = [:], environment: String? = nil, parents: [StepID: [StepID]] = [:]
    ) {
        self.parameters = parameters.isEmpty ? nil : parameters
        self.parameterSources = parameterSources.isEmpty ? nil : parameterSources
        self.environment = environment
        self.job = job
        self.runID = runID
        self.status = status
        self.startedAt = startedAt
        self.endedAt = endedAt
        self.steps = steps
        self.tests = tests
        self.testsNotRun = testsNotRun
        self.failureLogTails = failureLogTails
        self.logDirectory = logDirectory
        self.historyFiles = historyFiles
        self.notes = notes
        self.parents = parents
    }

    /// Wall time of the run, in seconds; of this session, for a resumed run.
    public var wallSeconds: Double { endedAt.timeIntervalSince(startedAt) }

    /// Sum of the shown steps' wall times, in seconds (what running them one
    /// after another would take), including those that passed in an earlier
    /// session of a resumed run.
    public var stepSeconds: Double { steps.reduce(0) { $0 + $1.durationSeconds } }

    /// Whether `step` passed in an earlier session of this resumed run: the
    /// report shows such a step with the records of that session, which all
    /// ended before this one started (``startedAt``). A step run in this
    /// session has no record that ended before it started.
    public func passedEarlier(_ step: StepRun) -> Bool {
        step.status.isSuccess && step.records.allSatisfy { $0.endedAt < startedAt }
    }

    /// How this session's attempts used its time: steps that passed in an
    /// earlier session of a resumed run are not counted.
    public var parallelTime: ParallelTime {
        ParallelTime(intervals: steps.filter { !passedEarlier($0) }.flatMap(\.records)
            .filter { $0.attempt > 0 }.map { ($0.startedAt, $0.endedAt) })
    }

    /// The report as pretty-printed JSON, for machines (`--json`).
    public func json() throws -> String {
        String(decoding: try jsonBytes(), as: UTF8.self)
    }

    /// The report as pretty-printed JSON, as UTF-8 ending in a newline
    /// (`report.json`).
    ///
    /// `JSONEncoder` builds a tree of the whole value before it writes a
    /// byte: 30 MB for a 10,000-step run. So the steps are encoded
    /// `stepsPerChunk` at a time and set into the rest, indented one level
    /// deeper; the bytes are the same as one `encode` would give (a test
    /// holds them to it), and when the encoder's layout is not the one this
    /// expects, the report is encoded whole.
    public func jsonBytes(stepsPerChunk: Int = 200) throws -> [UInt8] {
        let encoder = JSONCoding.encoder()
        func whole() throws -> [UInt8] { Array(try encoder.encode(self)) + [UInt8(ascii: "\n")] }
        guard steps.count > stepsPerChunk else { return try whole() }
        var outline = self
        outline.steps = []
        let rest = Array(try encoder.encode(outline))
        // The empty array of the top level's "steps", as the encoder writes it.
        let empty = Array("\n  \"steps\" : [\n\n  ]".utf8)
        guard let at = rest.firstRange(of: empty) else { return try whole() }
        var bytes = Array(rest[..<at.lowerBound])
        bytes.reserveCapacity(rest.count + steps.count * 1_000)
        bytes += "\n  \"steps\" : [\n".utf8
        for start in stride(from: 0, to: steps.count, by: stepsPerChunk) {
            // "[\n  {…},\n  {…}\n]": the elements, at one level deeper.
            let chunk = try encoder.encode(Array(steps[start..<min(start + stepsPerChunk, steps.count)]))
            guard chunk.count > 4 else { return try whole() }
            if start > 0 { bytes += ",\n".utf8 }
            bytes += "  ".utf8
            for byte in chunk[(chunk.startIndex + 2)..<(chunk.endIndex - 2)] {
                bytes.append(byte)
                if byte == UInt8(ascii: "\n") { bytes += "  ".utf8 }
            }
        }
        bytes += "\n  ]".utf8
        bytes += rest[at.upperBound...]
        bytes.append(UInt8(ascii: "\n"))
        return bytes
    }

    /// Reads a report saved by ``RunRecorder/saveReport(_:)``.
    public static func load(_ url: URL) throws -> RunReport {
        try JSONCoding.decoder().decode(RunReport.self, from: Data(contentsOf: url))
    }
}

extension String {
    func trimmingTrailingSpaces() -> String {
        var copy = self
        while copy.last == " " { copy.removeLast() }
        return copy
    }
}
