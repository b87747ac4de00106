import BatchKit
import Foundation

extension RunHistory {
    /// The whole history as one self-contained HTML page (`history --html`):
    /// each step's trend over every run, with the `history` figures, then
    /// every run with what failed, and the runs that did not start.
    ///
    /// - Parameter trends: Every run of each step (``StepTrends/read(_:job:limit:)``
    ///   with no useful limit).
    public func html(trends: StepTrends) -> String {
        let counts = Dictionary(grouping: runList, by: \.outcome).mapValues(\.count)
        let summary = RunSummary.Outcome.allCases.compactMap { outcome in counts[outcome].map { "\($0) \(outcome.rawValue)" } }
            .joined(separator: ", ")
        var body = "<header class=\"banner\" id=\"status\"><h1>\(HTMLPage.escape(job)) · history</h1>"
            + "<div class=\"meta\">\(runs) run\(runs == 1 ? "" : "s")\(summary.isEmpty ? "" : ": \(HTMLPage.escape(summary))")"
            + (since.map { " · since \(Timestamp.iso8601($0))" } ?? "") + "</div></header>\n<main>\n"
        body += "<h2>Steps</h2>\n<table id=\"step-trends\"><thead><tr><th>ID</th><th>Step</th><th>Runs</th><th>Pass</th><th>Failed tries</th><th>Median</th><th>P95</th><th>Last</th><th>Every run</th></tr></thead><tbody>\n"
        for step in steps {
            let points = trends.points[step.stepID] ?? []
            body += "<tr data-step=\"\(step.stepID.display)\" data-status=\"\(step.lastStatus.rawValue)\"><td>\(step.stepID.display)</td>"
                + "<td>\(HTMLPage.escape(step.name))</td><td class=\"num\">\(step.runs)</td>"
                + "<td class=\"num\">\(Int((step.passRate * 100).rounded())) %</td><td class=\"num\">\(step.failedAttempts)</td>"
                + "<td class=\"num\">\(DurationFormat.seconds(step.medianSeconds))</td><td class=\"num\">\(DurationFormat.seconds(step.p95Seconds))</td>"
                + "<td>\(HTMLPage.badge(step.lastStatus)) \(DurationFormat.seconds(step.lastSeconds))"
                + (step.slow ? " <span class=\"slow\">⚠ slow</span>" : "") + "</td>"
                + "<td>\(HTMLPage.sparkline(points, width: 240))</td></tr>\n"
        }
        body += "</tbody></table>\n"
        body += "<h2>Runs</h2>\n<table id=\"runs\"><thead><tr><th>Started (UTC)</th><th>Run</th><th>Status</th><th>Duration</th><th>What failed</th></tr></thead><tbody>\n"
        for run in runList.reversed() {
            body += "<tr data-run=\"\(HTMLPage.escape(run.runID))\" data-outcome=\"\(HTMLPage.escape(run.outcome.rawValue))\">"
                + "<td>\(HTMLPage.escape(String(run.startedAt.prefix(19)).replacingOccurrences(of: "T", with: " ")))</td>"
                + "<td><code>\(HTMLPage.escape(run.runID))</code></td><td>\(HTMLPage.escape(run.outcome.rawValue))</td>"
                + "<td class=\"num\">\(run.outcome == .notStarted ? "-" : DurationFormat.seconds(run.seconds))</td>"
                + "<td>\(HTMLPage.escape(run.failures))</td></tr>\n"
        }
        body += "</tbody></table>\n"
        if !notStarted.isEmpty {
            body += "<h2>Runs that did not start</h2>\n<ul id=\"not-started\">"
                + notStarted.map { "<li><code>\(HTMLPage.escape($0.runID))</code> \(HTMLPage.escape($0.at)): \(HTMLPage.escape($0.message))</li>" }.joined()
                + "</ul>\n"
        }
        body += "</main>"
        return HTMLPage.page(title: "\(job) history", body: body)
    }
}
