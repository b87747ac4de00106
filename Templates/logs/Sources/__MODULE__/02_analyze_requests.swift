import BatchKit
import BatchKitParallel
import Foundation

extension Step {
    /// Analyze requests: one MapReduce pass over the logs on every core.
    /// Each line maps to three pairs — its status, its path and its hour —
    /// combined per worker, shuffled by key and reduced in parallel.
    /// Malformed lines go to `data/rejects/malformed_lines.csv`; more than
    /// 5% of them fails the step.
    static let analyzeRequests = Step("Analyze requests",
        reads: ["data/input/*.log", "data/generated/access_*.log"],
        writes: [
            "data/output/requests_by_status.csv", "data/output/top_paths.csv", "data/output/bytes_by_hour.csv",
            "data/output/summary.json", LogAnalysis.rejectsFile,
        ]) { context in
        let files = try context.values.require("input_files", as: [String].self)
        let inputs = try files.map { try InputFile(URL(fileURLWithPath: $0)) }
        // --param workers=N uses N cores instead of all of them.
        let mapReduce = MapReduce(
            context, workers: try context.parameters.int("workers"), errorBudget: LogAnalysis.errorBudget, rejectsFile: context.path(LogAnalysis.rejectsFile))
        let analysis = try await LogAnalysis.analyze(inputs, using: mapReduce)
        try analysis.write(to: context.path("data/output"), files: files.map { LogAnalysis.relative($0, to: context.projectDirectory) })
        context.log.info("\(analysis.requests) requests, \(analysis.malformed) malformed lines, \(analysis.bytes) bytes, in \(String(format: "%.2f", analysis.seconds)) s on \(analysis.workers) worker(s)")
    }
}
