import BatchKit
import Foundation

extension Step {
    /// {{STEP_NAME_COMMENT}}: describe what this step reads and what it writes.
    ///
    /// List those files in `reads:` and `writes:` (paths, folders or globs
    /// relative to the job folder, such as `reads: ["data/staging/orders_valid.csv"]`):
    /// then a run skips the step (CACHED) while its code, its parameters and
    /// those files are as they were when it last passed. A step that declares
    /// neither always runs.
    static let {{STEP_PROPERTY}} = Step({{STEP_NAME_LITERAL}}{{STEP_AFTER}},
        reads: [],
        writes: []) { context in
        // Read inputs with context.path("data/..."), write outputs the same way,
        // log with context.log.info(...), and throw an error to fail the step.
        context.log.info("{{STEP_PROPERTY}}: nothing to do yet")
    }
}
