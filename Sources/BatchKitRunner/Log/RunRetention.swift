import BatchKit
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation

/// How many of a job's run folders (`logs/runs/<run_id>/`) `prune` keeps:
/// the newest N, those started less than an age ago, or both — a run that
/// either keeps is kept.
public struct RunRetention: Sendable, Equatable {
    /// Keep this many of the newest runs.
    public var keepRuns: Int?
    /// Keep runs started less than this many seconds ago.
    public var keepAge: TimeInterval?

    public init(keepRuns: Int? = nil, keepAge: TimeInterval? = nil) {
        self.keepRuns = keepRuns
        self.keepAge = keepAge
    }
}

/// What `prune` does with each folder under `logs/runs/`, decided before
/// anything is removed.
///
/// Only this job's runs are candidates (task lists sharing a folder share
/// `logs/`): a folder belongs to the job its `state.json` names, or, without
/// one, its `report.json` (a `--tests-only` run). Never removed: the run
/// `--resume` would continue, a run whose state says it is still running (its
/// runner was killed; its state is evidence), folders nothing attributes
/// (said so), and Airflow's `airflow-…` folders, which its tasks write without
/// the job's lock. Nothing outside `logs/runs/` is ever touched.
public struct PrunePlan: Sendable {
    /// One run folder of the job, and why it goes or stays.
    public struct Folder: Sendable, Codable, Equatable {
        public let runID: String
        public let startedAt: Date
        /// `running`, `passed`, `failed` or `interrupted`; `nil` for a
        /// `--tests-only` run, which keeps no state.
        public let phase: String?
        /// The disk space it takes (allocated blocks, as `du` counts them);
        /// measured for folders to remove.
        public var bytes: Int64?
        public let reason: String
        /// Kept because the run is unfinished (resumable or running), not by
        /// the retention.
        public let unfinished: Bool
    }

    public let job: String
    /// The folders to remove, oldest first.
    public private(set) var remove: [Folder]
    /// The job's folders that stay, newest first.
    public let keep: [Folder]
    /// Folders with no readable state or report, left alone.
    public let unattributed: [String]
    /// Airflow run folders (`airflow-…`), left alone.
    public let airflow: [String]

    /// Decides, from what is in `layout.runsDirectory` now.
    public init(layout: RunLayout, job: String, retention: RunRetention, now: Date = Date()) {
        self.job = job
        let names = ((try? FileManager.default.contentsOfDirectory(atPath: layout.runsDirectory.path)) ?? [])
            .filter { !$0.hasPrefix(".") }
            .sorted(by: >)
        let store = RunStateStore(layout: layout)
        var unattributed: [String] = []
        var airflow: [String] = []
        var runs: [(id: String, started: Date, phase: RunState.Phase?)] = []
        for name in names {
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: layout.runDirectory(name).path, isDirectory: &isDirectory), isDirectory.boolValue else { continue }
            if name.hasPrefix("airflow-") {
                airflow.append(name)
            } else if let state = store.load(name) {
                if state.job == job { runs.append((name, state.startedAt, state.phase)) }
            } else if let report = Self.report(layout.reportJSON(name)) {
                if report.job == job { runs.append((name, report.startedAt, nil)) }
            } else {
                unattributed.append(name)
            }
        }
        let resumable = store.latest(job: job).flatMap { $0.phase == .passed ? nil : $0.runID }
        var remove: [Folder] = []
        var keep: [Folder] = []
        for (index, run) in runs.enumerated() {
            let age = now.timeIntervalSince(run.started)
            func folder(_ reason: String, unfinished: Bool = false) -> Folder {
                Folder(runID: run.id, startedAt: run.started, phase: run.phase?.rawValue, bytes: nil, reason: reason, unfinished: unfinished)
            }
            if run.id == resumable {
                keep.append(folder(
                    run.phase == .running ? "running, or stopped mid-run: the run --resume continues" : "\(run.phase?.rawValue ?? "unfinished"): the run --resume continues",
                    unfinished: true))
            } else if run.phase == .running {
                keep.append(folder("its state says running, but a later run exists: its runner was stopped mid-run; remove it by hand once it is not needed", unfinished: true))
            } else if let count = retention.keepRuns, index < count {
                keep.append(folder("one of the \(count) newest runs"))
            } else if let keepAge = retention.keepAge, age < keepAge {
                keep.append(folder("started \(Self.days(age)) ago"))
            } else {
                remove.append(folder("\(run.phase?.rawValue ?? "tests only"), started \(Self.days(age)) ago"))
            }
        }
        for index in remove.indices { remove[index].bytes = Self.size(of: layout.runDirectory(remove[index].runID)) }
        self.remove = remove.reversed()
        self.keep = keep
        self.unattributed = unattributed
        self.airflow = airflow
    }

    /// Bytes in the folders to remove.
    public var bytesToRemove: Int64 { remove.reduce(0) { $0 + ($1.bytes ?? 0) } }

    /// Removes the folders of ``remove``, oldest first.
    ///
    /// - Returns: The folders removed, and a message for each that could not be.
    public func apply(layout: RunLayout) -> (removed: [Folder], failures: [String]) {
        var removed: [Folder] = []
        var failures: [String] = []
        for folder in remove {
            let url = layout.runDirectory(folder.runID)
            do {
                try FileManager.default.removeItem(at: url)
                removed.append(folder)
            } catch {
                failures.append("cannot remove \(layout.relative(url)): \(ErrorDescription.of(error))")
            }
        }
        return (removed, failures)
    }

    /// "3.5 days", "5.2 h", "12 min", "< 1 min".
    static func days(_ seconds: TimeInterval) -> String {
        if seconds >= 86_400 { return String(format: "%.1f days", seconds / 86_400) }
        if seconds >= 3_600 { return String(format: "%.1f h", seconds / 3_600) }
        return seconds < 60 ? "< 1 min" : "\(Int(seconds / 60)) min"
    }

    /// The disk space under `url`: allocated blocks of it and everything in
    /// it, as `du` counts them (what removing it frees; symbolic links are
    /// not followed).
    static func size(of url: URL) -> Int64 {
        var info = stat()
        guard lstat(url.path, &info) == 0 else { return 0 }
        var total = Int64(info.st_blocks) * 512
        if (info.st_mode & S_IFMT) == S_IFDIR {
            for name in (try? FileManager.default.contentsOfDirectory(atPath: url.path)) ?? [] {
                total += size(of: url.appendingPathComponent(name))
            }
        }
        return total
    }

    /// The job and start of a run that has a report but no state.
    private static func report(_ file: URL) -> (job: String, startedAt: Date)? {
        struct Header: Decodable {
            let job: String
            let startedAt: Date
        }
        guard let data = FileManager.default.contents(atPath: file.path),
              let header = try? JSONCoding.decoder().decode(Header.self, from: data)
        else { return nil }
        return (header.job, header.startedAt)
    }
}
