/// BatchKit: the runtime of a batch job made by `batchkit new`.
///
/// A job is a ``Job``: numbered ``Step``s that form a DAG, and post-job
/// ``Check``s that validate the results. ``JobCommand`` is the job binary's
/// entry point; ``Engine`` runs the steps, each attempt in its own process,
/// and records every attempt in ``ExecutionLog``.
public enum BatchKit {
    /// The version of this runtime. A generated project records the version
    /// it vendored in `Vendor/BatchKit/VERSION`.
    public static let version = "0.2.0"
}
