import BatchKit

/// The {{JOB_NAME}} job: a small ETL over the orders in data/input/.
///
/// Its steps are the numbered files in this folder, one step per file; each
/// step's id is its file's number. A step runs after the one numbered before
/// it unless it names its parents: Extract regions names none, so it runs
/// beside Extract, and Validate input waits for both (`after: [1, 2]`). `batchkit add step
/// "NAME"` creates the next numbered file and adds its step to the list
/// below. A numbered file whose step is missing here is reported before
/// anything runs.
///
/// Each step declares the files it reads and writes, so a run skips a step
/// (CACHED) while its code, parameters and files are as they were when it
/// last passed; see README.md, Incremental runs.
public let job = Job(
    "{{JOB_NAME}}",
    steps: [
        .extract,
        .extractRegions,
        .validateInput,
        .transform,
        .load,
    ],
    tests: postJobTests
)
