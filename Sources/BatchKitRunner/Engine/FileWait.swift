import BatchKit
import Foundation

/// `--wait-for PATH [--wait-timeout D]`: the event trigger. A run holds the
/// job's lock while it waits, so a second trigger is refused rather than
/// queued behind it.
public struct WaitCondition: Sendable, Equatable {
    /// Files that must all exist; relative paths are from the job's folder.
    public var paths: [String]
    /// Seconds to wait before failing; `nil` waits as long as it takes.
    public var timeout: Double?
    /// Seconds between looks.
    public var pollInterval: Double

    public init(paths: [String], timeout: Double? = nil, pollInterval: Double = 0.25) {
        self.paths = paths
        self.timeout = timeout
        self.pollInterval = pollInterval
    }

    /// The paths not there yet.
    func missing(in directory: URL) -> [String] {
        paths.filter { path in
            let url = path.hasPrefix("/") ? URL(fileURLWithPath: path) : directory.appendingPathComponent(path)
            return !FileManager.default.fileExists(atPath: url.path)
        }
    }

    /// Waits until every path exists.
    ///
    /// - Returns: The seconds waited.
    /// - Throws: ``WaitTimedOut``; `CancellationError` when the run is stopped.
    func wait(in directory: URL) async throws -> Double {
        let started = Date()
        while true {
            let missing = missing(in: directory)
            if missing.isEmpty { return Date().timeIntervalSince(started) }
            let waited = Date().timeIntervalSince(started)
            if let timeout, waited >= timeout {
                throw WaitTimedOut(missing: missing, waited: waited)
            }
            try Task.checkCancellation()
            let left = timeout.map { max(0, $0 - waited) } ?? pollInterval
            try await Task.sleep(for: .seconds(min(pollInterval, left)))
        }
    }
}

/// `--wait-for` gave up: the files did not appear in time. Nothing ran; the
/// history has a FAIL row with reason `wait timeout`.
public struct WaitTimedOut: Error, CustomStringConvertible {
    public let missing: [String]
    public let waited: Double
    public var description: String {
        "waited \(DurationFormat.seconds(waited)) for \(missing.joined(separator: ", ")); "
            + "\(missing.count == 1 ? "it did" : "they did") not appear, so nothing ran. Check what should produce "
            + "\(missing.count == 1 ? "it" : "them"), or give a longer --wait-timeout"
    }
}
