import Foundation

/// What the runner and the child processes it starts (a step's `__step`, the
/// post-job tests' `__checks`, a shell step) agree on: the variables the
/// runner sets, in one place so the two sides cannot drift. The files they
/// exchange are named by `RunLayout` (`resultFile`, `contextFile`).
package enum ChildContract {
    /// The run's id; it also marks every process of the run for clean-up.
    package static let runID = "BATCHKIT_RUN_ID"
    /// The step being run.
    package static let stepID = "BATCHKIT_STEP_ID"
    /// The attempt number, from 1.
    package static let attempt = "BATCHKIT_ATTEMPT"
    /// The job's folder.
    package static let projectDirectory = "BATCHKIT_PROJECT_DIR"
    /// The run's log folder.
    package static let runDirectory = "BATCHKIT_RUN_DIR"
    /// The runner's pid, which a child checks is still its parent.
    package static let runnerPID = "BATCHKIT_RUNNER_PID"
    /// Where a Swift step's child (or the post-job tests) writes how it ended.
    package static let resultFile = "BATCHKIT_RESULT_FILE"
    /// Where a Swift step's child reads the shared context.
    package static let contextFile = "BATCHKIT_CONTEXT_FILE"
    /// The attempt's log file (a Python task's worker gets it as `logfile`).
    package static let logFile = "BATCHKIT_LOG_FILE"
    /// Where a step reports its progress (``StepProgress``).
    package static let progressFile = "BATCHKIT_PROGRESS_FILE"
    /// The attempt's token, which follows every process it starts.
    package static let attemptToken = "BATCHKIT_ATTEMPT_TOKEN"
    /// The run date, `YYYY-MM-DD` (``RunDate``).
    package static let runDate = "BATCHKIT_RUN_DATE"
    /// A capped step's memory cap, in bytes.
    package static let memoryCap = "BATCHKIT_MEMORY_CAP"
}
