import BatchKit
import BatchKitRunner
import BatchKitNotify
import BatchKitCluster
import BatchKitSchedule
import Foundation

/// `prune --keep-runs N | --keep-days D [--dry-run] [--json]`: removes old
/// run folders under `logs/runs/`, never the history files.
enum JobPruneCommand {
    /// Its options, as `--help` shows them and the parser takes them.
    static let options: [OptionDeclaration] = [
        .option("--keep-runs", "N", "Keep the job's N newest runs (0 or more)."),
        .option("--keep-days", "D", "Keep runs started less than D days ago (0 or more; 0.5 is 12 hours).\nWith both, a run that either keeps is kept."),
        .flag("--dry-run", "List what would be removed; remove nothing."),
        .flag("--json", "Print the result as JSON."),
        .help,
    ]

    static func usage(_ command: String) -> String {
        """
        USAGE: \(command) --keep-runs N | --keep-days D [--dry-run] [--json]

        Removes this job's old run folders, logs/runs/<run_id>/ (step logs, state, reports).
        logs/execution_logs.csv and logs/test_results.csv keep every run's rows.

        OPTIONS:
        \(OptionDeclaration.helpText(options))
        Never removed: the run --resume would continue, a run whose state says it is
        running, other jobs' runs (task lists can share logs/), folders with no run
        state, and Airflow's airflow-... folders. prune takes the job's lock, so it
        refuses (exit 1) while a run of the job is in progress, and no run starts
        while it prunes.

        """
    }

    static func run(_ job: Job, environment: JobCommand.Environment, arguments: [String]) throws -> Int32 {
        let command = "\(environment.command) prune"
        let parsed = try Arguments(arguments, declared: options, command: command)
        if parsed.has("--help") {
            Console.out(usage(command))
            return ExitCode.success.rawValue
        }
        if let extra = parsed.positionals.first {
            throw UsageError("unexpected argument '\(extra)'", command: command)
        }
        var retention = RunRetention()
        if let text = parsed.value("--keep-runs") {
            guard let count = Int(text), count >= 0 else {
                throw UsageError("--keep-runs must be a whole number of runs, 0 or more, not \"\(text)\"", command: command)
            }
            retention.keepRuns = count
        }
        if let text = parsed.value("--keep-days") {
            guard let days = Double(text), days.isFinite, days >= 0 else {
                throw UsageError("--keep-days must be a number of days, 0 or more (such as 30 or 0.5), not \"\(text)\"", command: command)
            }
            retention.keepAge = days * 86_400
        }
        guard retention.keepRuns != nil || retention.keepAge != nil else {
            throw UsageError("say what to keep: --keep-runs N (the newest N runs) or --keep-days D (runs younger than D days)", command: command)
        }
        let layout = environment.layout
        let dryRun = parsed.has("--dry-run")
        // The job's lock: no run is in progress, and none starts, while folders go.
        var lock: RunLock?
        var notes: [String] = []
        if FileManager.default.fileExists(atPath: layout.runsDirectory.path) {
            do {
                lock = try RunLock(layout: layout, job: job.name, runID: "prune")
            } catch let busy as RunLock.Busy {
                guard dryRun else {
                    Console.reportError("\(busy); prune removed nothing")
                    return ExitCode.failure.rawValue
                }
                notes.append("a run of \(job.name) is in progress (\(busy.holder)); prune without --dry-run refuses until it ends")
            }
        }
        defer { withExtendedLifetime(lock) {} }

        let plan = PrunePlan(layout: layout, job: job.name, retention: retention)
        let (removed, failures) = dryRun ? (plan.remove, []) : plan.apply(layout: layout)
        if !plan.unattributed.isEmpty {
            notes.append("left alone \(plan.unattributed.count) folder(s) with no readable run state or report, so no job to attribute them to: \(plan.unattributed.joined(separator: ", "))")
        }
        if !plan.airflow.isEmpty {
            notes.append("left alone \(plan.airflow.count) Airflow run folder(s) (airflow-...): Airflow tasks write them without the job's lock, so one may be running; remove them by hand once their DAG runs are over")
        }
        let bytes = removed.reduce(Int64(0)) { $0 + ($1.bytes ?? 0) }
        if parsed.has("--json") {
            struct Output: Encodable {
                let job: String
                let dryRun: Bool
                let removed: [PrunePlan.Folder]
                let kept: [PrunePlan.Folder]
                let bytesRemoved: Int64
                let leftAlone: [String]
                let errors: [String]
                let notes: [String]
            }
            let output = Output(
                job: job.name, dryRun: dryRun, removed: removed, kept: plan.keep, bytesRemoved: bytes,
                leftAlone: plan.unattributed + plan.airflow, errors: failures, notes: notes)
            Console.out(String(decoding: try JSONCoding.encoder().encode(output), as: UTF8.self) + "\n")
        } else {
            var text = ""
            let verb = dryRun ? "would remove" : "removed"
            for folder in removed {
                text += "\(verb) \(layout.relative(layout.runDirectory(folder.runID)))/  \(size(folder.bytes ?? 0))  (\(folder.reason))\n"
            }
            for folder in plan.keep where folder.unfinished {
                text += "kept \(layout.relative(layout.runDirectory(folder.runID)))/  (\(folder.reason))\n"
            }
            for note in notes { text += "note: \(VisibleText.lines(note))\n" }
            let runs = removed.count == 1 ? "run folder" : "run folders"
            text += "\(verb) \(removed.count) \(runs), \(size(bytes)); \(dryRun ? "would keep" : "kept") \(plan.keep.count)"
            text += dryRun ? " (dry run: nothing was removed)\n" : "\n"
            Console.out(text)
        }
        for failure in failures { Console.reportError(String(describing: failure)) }
        return failures.isEmpty ? ExitCode.success.rawValue : ExitCode.failure.rawValue
    }

    /// `812 B`, `4.0 KB`, `340.2 MB`, `1.2 GB` (powers of 1024).
    static func size(_ bytes: Int64) -> String {
        let units = ["KB", "MB", "GB", "TB"]
        guard bytes >= 1024 else { return "\(bytes) B" }
        var value = Double(bytes) / 1024
        var unit = 0
        while value >= 1024, unit < units.count - 1 {
            value /= 1024
            unit += 1
        }
        return String(format: "%.1f", value) + " " + units[unit]
    }
}
