import BatchKit
import Foundation

extension Step {
    /// Write report: a short, human-readable `data/output/report.md` from
    /// the analysis's CSV files.
    static let writeReport = Step("Write report",
        reads: ["data/output/summary.json", "data/output/requests_by_status.csv", "data/output/top_paths.csv"],
        writes: ["data/output/report.md"]) { context in
        let summary = try LogSummary.read(from: context.path("data/output/summary.json"))
        let statuses = try CSVTable.read(context.path("data/output/requests_by_status.csv"))
        let paths = try CSVTable.read(context.path("data/output/top_paths.csv"))
        var text = "# Access log report\n\n"
        text += "\(summary.requests) requests, \(summary.bytes) bytes served, \(summary.malformed) malformed lines "
        text += "(in `\(LogAnalysis.rejectsFile)`), from \(summary.files.joined(separator: ", ")).\n\n"
        text += "## Requests per status\n\n| Status | Requests | Share |\n| --- | ---: | ---: |\n"
        for row in statuses.rows {
            let share = summary.requests > 0 ? Double(Int(row[1]) ?? 0) / Double(summary.requests) * 100 : 0
            text += "| \(row[0]) | \(row[1]) | \(String(format: "%.1f%%", share)) |\n"
        }
        text += "\n## Top paths\n\n| Path | Requests |\n| --- | ---: |\n"
        for row in paths.rows.prefix(10) { text += "| `\(row[0])` | \(row[1]) |\n" }
        try text.write(to: context.path("data/output/report.md"), atomically: true, encoding: .utf8)
        context.log.info("wrote data/output/report.md")
    }
}
