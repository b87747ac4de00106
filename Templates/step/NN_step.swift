import BatchKit
import Foundation

extension Step {
    /// {{STEP_NAME_COMMENT}}: describe what this step reads and what it writes.
    static let {{STEP_PROPERTY}} = Step({{STEP_NAME_LITERAL}}{{STEP_AFTER}}) { context in
        // Read inputs with context.path("data/..."), write outputs the same way,
        // log with context.log.info(...), and throw an error to fail the step.
        context.log.info("{{STEP_PROPERTY}}: nothing to do yet")
    }
}
