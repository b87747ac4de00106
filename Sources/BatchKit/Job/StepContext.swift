import Foundation

/// What a running step knows about its run, passed to every ``Step`` body.
public struct StepContext: Sendable {
    /// The job's name.
    public let job: String
    /// The run this attempt belongs to, as in the CSV history.
    public let runID: String
    /// The step's id.
    public let stepID: StepID
    /// The step's name.
    public let stepName: String
    /// Which attempt this is, from 1.
    public let attempt: Int
    /// The job's root folder (where `run.sh` is). Steps run with it as the
    /// working directory too.
    public let projectDirectory: URL
    /// This run's log folder, `logs/runs/<run_id>/`.
    public let runDirectory: URL
    /// Writes timestamped lines to the step's log file.
    public let log: StepLogger
    /// Values shared between steps (PyRunner's `context`), saved with the run.
    public let values: SharedContext
    /// Reports how far the step has got to the runner's progress display
    /// (``MapReduce`` does it for you).
    public let progress: StepProgress
    /// The run's `--param key=value` values, with typed access.
    public let parameters: Parameters
    /// The day the run is for (`--date`, by default the day the run started
    /// in the job's time zone): what a nightly step processes.
    public let runDate: RunDate

    /// Creates a context; the runner does this, and tests of steps may too.
    public init(
        job: String, runID: String, stepID: StepID, stepName: String, attempt: Int,
        projectDirectory: URL, runDirectory: URL, log: StepLogger = StepLogger(),
        values: SharedContext = SharedContext(), progress: StepProgress = .none,
        parameters: Parameters = Parameters(), runDate: RunDate = .today(in: RunDate.jobTimeZone)
    ) {
        self.parameters = parameters
        self.runDate = runDate
        self.job = job
        self.runID = runID
        self.stepID = stepID
        self.stepName = stepName
        self.attempt = attempt
        self.projectDirectory = projectDirectory
        self.runDirectory = runDirectory
        self.log = log
        self.values = values
        self.progress = progress
    }

    /// A path inside the project: `context.path("data/output/report.csv")`.
    public func path(_ relative: String) -> URL {
        projectDirectory.appendingPathComponent(relative)
    }
}
