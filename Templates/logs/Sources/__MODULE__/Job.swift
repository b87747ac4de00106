import BatchKit
import BatchKitParallel

/// The {{JOB_NAME}} job: analyses the web access logs in data/input/ on
/// every core with BatchKit's MapReduce — requests per status code, the top
/// paths, bytes per hour — and sets malformed lines aside.
///
/// Its steps are the numbered files in this folder, one step per file, run in
/// number order; each step's id is its file's number. `batchkit add step
/// "NAME"` creates the next numbered file and adds its step to the list
/// below.
///
/// Each step declares the files it reads and writes, so a run skips a step
/// (CACHED) while its code, parameters and files are as they were when it
/// last passed; see README.md, Incremental runs.
public let job = Job(
    "{{JOB_NAME}}",
    steps: [
        .prepareInput,
        .analyzeRequests,
        .writeReport,
    ],
    tests: postJobTests
)
