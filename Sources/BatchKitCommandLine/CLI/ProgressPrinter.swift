import BatchKit
import BatchKitRunner
import BatchKitNotify
import BatchKitCluster
import BatchKitSchedule
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation

/// Live progress on standard error.
///
/// - On a terminal: one status line, redrawn in place four times a second —
///   counts of done, running, pending and failed steps, the elapsed time and
///   the names of the running steps — with a permanent line above it for each
///   step that ends.
/// - Otherwise (CI logs, files): plain, timestamped lines, one per event,
///   and a `PROGRESS` line at most every ``plainProgressInterval`` seconds for
///   a step that reports progress (``StepProgress``).
///
/// Names and messages are shown through ``VisibleText``: a step named with an
/// escape sequence or a carriage return cannot clear the screen, set the
/// title or redraw the line.
public final class ProgressPrinter: @unchecked Sendable {
    public let style: TerminalStyle
    /// Whether the status line is drawn (a terminal).
    public let live: Bool

    private let lock = NSLock()
    private let started = Date()
    private var planned = 0
    private var running: [StepID: String] = [:]
    private var progressFiles: [StepID: URL] = [:]
    private var lastProgressLine: [StepID: (at: Date, text: String)] = [:]
    private var timer: (any DispatchSourceTimer)?
    /// How often, at most, a plain-lines display prints a step's progress.
    public let plainProgressInterval: Double
    private var done = 0
    private var failed = 0
    private var active = true
    private var lineShown = false

    /// - Parameters:
    ///   - style: Colours or not.
    ///   - live: Draw the status line; by default, when standard error is a
    ///     terminal that is not `TERM=dumb`.
    ///   - plainProgressInterval: Without a terminal, a step's progress is
    ///     printed at most this often (seconds).
    public init(style: TerminalStyle, live: Bool? = nil, plainProgressInterval: Double = 10) {
        self.style = style
        self.live = live ?? (isatty(2) == 1 && ProcessInfo.processInfo.environment["TERM"] != "dumb")
        self.plainProgressInterval = plainProgressInterval
        let timer = DispatchSource.makeTimerSource(queue: DispatchQueue(label: "batchkit-progress"))
        let period = self.live ? 0.25 : min(1, max(plainProgressInterval / 4, 0.05))
        timer.schedule(deadline: .now() + period, repeating: period)
        timer.setEventHandler { [weak self] in self?.tick() }
        timer.resume()
        self.timer = timer
    }

    deinit { timer?.cancel() }

    /// Records an event and shows it.
    public func handle(_ event: RunEvent) {
        lock.withLock {
            switch event {
            case .planned(let count):
                planned = count
            case .started(let step, let attempt, let progressFile):
                running[step.id] = VisibleText.line(step.name)
                progressFiles[step.id] = progressFile
                lastProgressLine[step.id] = nil
                if !live {
                    let retry = attempt > 1 ? " (attempt \(attempt))" : ""
                    write("\(style.paint(Timestamp.iso8601(Date()), .gray)) START   \(step.displayID) \(VisibleText.line(step.name))\(retry)\n")
                }
            case .finished(let record):
                running[record.stepID] = nil
                progressFiles[record.stepID] = nil
                done += 1
                if record.status == .fail { failed += 1 }
                write(clear() + finishedLine(record) + "\n")
                if live { drawStatus() }
            case .attemptFailed(let record, let wait):
                progressFiles[record.stepID] = nil
                running[record.stepID] = "\(VisibleText.line(record.stepName)) (retry in \(DurationFormat.seconds(wait)))"
                write(clear() + finishedLine(record) + "  — will retry in \(DurationFormat.seconds(wait))\n")
                if live { drawStatus() }
            case .warning(let message):
                write(clear() + "\(style.paint(Timestamp.iso8601(Date()), .gray)) \(style.paint("WARNING", .yellow)) \(VisibleText.lines(message))\n")
                if live { drawStatus() }
            case .note(let message):
                write(clear() + "\(style.paint(Timestamp.iso8601(Date()), .gray)) \(VisibleText.lines(message))\n")
                if live { drawStatus() }
            }
        }
    }

    /// Removes the status line; call before printing the report.
    public func finish() {
        lock.withLock {
            active = false
            write(clear())
        }
        timer?.cancel()
    }

    private func tick() {
        lock.withLock {
            guard active else { return }
            if live {
                drawStatus()
            } else {
                printProgressLines()
            }
        }
    }

    /// What a running step last reported, if anything.
    private func progress(of stepID: StepID) -> StepProgress.Reading? {
        progressFiles[stepID].flatMap { StepProgress.Reading(contentsOf: $0) }
    }

    /// `PROGRESS 02 count words 45% (90.1 MB of 200 MB)`, for each step whose
    /// progress changed, at most once per interval.
    private func printProgressLines() {
        let now = Date()
        for (id, name) in running.sorted(by: { $0.key < $1.key }) {
            guard let reading = progress(of: id) else { continue }
            let text = VisibleText.line(reading.summary)
            if let last = lastProgressLine[id], last.text == text || now.timeIntervalSince(last.at) < plainProgressInterval {
                continue
            }
            lastProgressLine[id] = (now, text)
            write("\(style.paint(Timestamp.iso8601(now), .gray)) PROGRESS \(id.display) \(name) \(text)\n")
        }
    }

    private func finishedLine(_ record: ExecutionRecord) -> String {
        let id = record.stepID.display
        var line = "\(style.paint(Timestamp.iso8601(Date()), .gray)) \(style.status(record.status))"
            + String(repeating: " ", count: max(1, 8 - record.status.rawValue.count))
            + "\(id) \(VisibleText.line(record.stepName))"
        if record.status != .skipped, record.status != .cached { line += "  \(DurationFormat.seconds(record.durationSeconds))" }
        if !record.message.isEmpty { line += "  \(VisibleText.line(record.message))" }
        return line
    }

    /// The status line: `[12.3 s] 3 done · 2 running · 5 pending · 1 failed — running: 04 Load, 05 Score`.
    private func drawStatus() {
        guard live, active else { return }
        let elapsed = DurationFormat.seconds(Date().timeIntervalSince(started))
        let pending = max(0, planned - done - running.count)
        var line = "[\(elapsed)] \(done) done · \(running.count) running · \(pending) pending"
        if failed > 0 { line += " · " + style.paint("\(failed) failed", .red) }
        if !running.isEmpty {
            line += " — running: " + running.sorted { $0.key < $1.key }.map { id, name in
                let progress = self.progress(of: id).map { " " + VisibleText.line($0.summary) } ?? ""
                return "\(id.display) \(name)\(progress)"
            }.joined(separator: ", ")
        }
        var columns = winsize()
        let width = ioctl(2, UInt(TIOCGWINSZ), &columns) == 0 && columns.ws_col > 10 ? Int(columns.ws_col) - 1 : 119
        if line.count > width { line = String(line.prefix(width - 1)) + "…" }
        write("\r\u{1B}[K" + line)
        lineShown = true
    }

    private func clear() -> String {
        guard live, lineShown else { return "" }
        lineShown = false
        return "\r\u{1B}[K"
    }

    private func write(_ text: String) {
        guard !text.isEmpty else { return }
        Console.error(text)
    }
}
