import BatchKit

/// The {{JOB_NAME}} job: a small ETL over the orders in data/input/.
///
/// Its steps are the numbered files in this folder, one step per file, run in
/// number order; each step's id is its file's number. `batchkit add step
/// "NAME"` creates the next numbered file and adds its step to the list
/// below. A numbered file whose step is missing here is reported before
/// anything runs.
public let job = Job(
    "{{JOB_NAME}}",
    steps: [
        .extract,
        .validateInput,
        .transform,
        .load,
    ],
    tests: postJobTests
)
