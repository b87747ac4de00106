import BatchKit

/// An executor that hands each attempt what the run's records leave out,
/// then lets `base` run it: the values of the secret parameters (the engine
/// builds attempts from the run's state, which shows them as `***`), and
/// the variables of the runner's environment the step must not inherit.
struct SecretSupply: StepExecutor {
    let base: any StepExecutor
    /// Secret parameter → its value.
    let secrets: [String: String]
    /// ``RunOptions/withheldVariables``.
    let withheld: Set<String>

    var limitsSlots: Bool { base.limitsSlots }
    var submitsAhead: Bool { base.submitsAhead }

    func prepare(_ run: PlannedRun) async throws {
        try await base.prepare(run)
    }

    func execute(_ attempt: StepAttempt) async -> AttemptOutcome {
        var attempt = attempt
        attempt.parameters.merge(secrets) { _, secret in secret }
        attempt.withheldVariables.formUnion(withheld)
        return await base.execute(attempt)
    }

    func abandon(_ stepIDs: [StepID]) {
        base.abandon(stepIDs)
    }

    func finish() async {
        await base.finish()
    }
}
