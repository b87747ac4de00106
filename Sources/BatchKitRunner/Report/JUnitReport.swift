import BatchKit
import Foundation

/// A run as JUnit XML, which CI systems (Jenkins, GitLab, GitHub actions'
/// reporters) display: one test suite for the steps and one for the
/// post-job tests. A FAIL is a `<failure>`, a SKIPPED a `<skipped>`.
public struct JUnitReport: Sendable {
    public let report: RunReport

    public init(_ report: RunReport) {
        self.report = report
    }

    /// The XML document.
    public func xml() -> String {
        var lines = ["<?xml version=\"1.0\" encoding=\"UTF-8\"?>"]
        let stepFailures = report.steps.filter { $0.status == .fail }.count
        let testFailures = report.tests.filter { $0.status == .fail }.count
        lines.append("<testsuites name=\(Self.attribute(report.job)) tests=\"\(report.steps.count + report.tests.count)\" failures=\"\(stepFailures + testFailures)\" time=\"\(Self.seconds(report.wallSeconds))\">")

        lines.append("  <testsuite name=\(Self.attribute("\(report.job) steps")) tests=\"\(report.steps.count)\" failures=\"\(stepFailures)\" skipped=\"\(report.steps.filter { $0.status == .skipped }.count)\" timestamp=\(Self.attribute(Timestamp.iso8601(report.startedAt))) time=\"\(Self.seconds(report.stepSeconds))\">")
        lines.append("    <properties><property name=\"run_id\" value=\(Self.attribute(report.runID))/></properties>")
        for step in report.steps {
            let name = "\(step.stepID.display) \(step.name)"
            lines.append("    <testcase classname=\(Self.attribute("\(report.job).steps")) name=\(Self.attribute(name)) time=\"\(Self.seconds(step.durationSeconds))\">")
            let message = step.records.last?.message ?? ""
            switch step.status {
            case .fail:
                let tail = (report.failureLogTails[step.stepID] ?? []).joined(separator: "\n")
                lines.append("      <failure message=\(Self.attribute(message)) type=\(Self.attribute(step.records.last?.reason.rawValue ?? "fail"))>\(Self.text(tail))</failure>")
            case .skipped:
                lines.append("      <skipped message=\(Self.attribute(message))/>")
            case .cached:
                lines.append("      <system-out>\(Self.text("CACHED: \(message)"))</system-out>")
            case .pass, .pending, .running:
                break
            }
            if let log = step.records.last?.logFile, !log.isEmpty {
                lines.append("      <system-out>\(Self.text("log: \(log)"))</system-out>")
            }
            lines.append("    </testcase>")
        }
        lines.append("  </testsuite>")

        lines.append("  <testsuite name=\(Self.attribute("\(report.job) post-job tests")) tests=\"\(report.tests.count)\" failures=\"\(testFailures)\" skipped=\"0\" time=\"\(Self.seconds(report.tests.reduce(0) { $0 + $1.durationSeconds }))\">")
        for test in report.tests {
            lines.append("    <testcase classname=\(Self.attribute("\(report.job).post_job_tests")) name=\(Self.attribute(test.name)) time=\"\(Self.seconds(test.durationSeconds))\">")
            if test.status == .fail {
                lines.append("      <failure message=\(Self.attribute(test.message)) type=\"check\"/>")
            }
            lines.append("    </testcase>")
        }
        lines.append("  </testsuite>")
        lines.append("</testsuites>")
        return lines.joined(separator: "\n") + "\n"
    }

    static func seconds(_ value: Double) -> String { String(format: "%.3f", value) }

    /// A quoted attribute value.
    static func attribute(_ value: String) -> String { "\"" + text(value, quotes: true) + "\"" }

    /// Text with XML's special characters escaped and characters XML 1.0
    /// cannot hold (most control characters) dropped.
    static func text(_ value: String, quotes: Bool = false) -> String {
        var out = ""
        for scalar in value.unicodeScalars {
            switch scalar {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"" where quotes: out += "&quot;"
            case "'" where quotes: out += "&apos;"
            case "\n" where quotes: out += "&#10;"
            case "\t", "\n", "\r": out.unicodeScalars.append(scalar)
            default:
                let value = scalar.value
                let allowed = (0x20...0xD7FF).contains(value) || (0xE000...0xFFFD).contains(value) || (0x10000...0x10FFFF).contains(value)
                if allowed { out.unicodeScalars.append(scalar) }
            }
        }
        return out
    }
}
