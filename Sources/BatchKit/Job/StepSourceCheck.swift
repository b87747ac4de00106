import Foundation

/// Keeps the numbered files and the job's step list in step: a numbered file
/// whose step is missing from the job is an error before anything runs. (Two
/// listed steps sharing a number are ``JobGraph``'s to report.)
public enum StepSourceCheck {
    /// Where each Swift step's file is, by its `#fileID`, as a path from
    /// the job's folder: `Nightly/01_extract.swift` →
    /// `Sources/Nightly/01_extract.swift`, or the subfolder of
    /// `Sources/Nightly/` that holds it. A file not found there (a deployed
    /// binary without its sources) is given as `Sources/<fileID>`, the
    /// folder SwiftPM takes a module's files from.
    public static func sourcePaths(job: Job, projectDirectory: URL) -> [String: String] {
        let fileIDs = job.steps.compactMap { step -> String? in
            if case .swift = step.action { return step.source } else { return nil }
        }
        var found: [String: String] = [:]
        let root = projectDirectory.standardizedFileURL.path + "/"
        for module in Set(fileIDs.compactMap { $0.split(separator: "/").first.map(String.init) }) {
            let folder = projectDirectory.appendingPathComponent("Sources/\(module)")
            guard let enumerator = FileManager.default.enumerator(at: folder, includingPropertiesForKeys: nil) else { continue }
            for case let url as URL in enumerator where url.pathExtension == "swift" {
                let path = url.standardizedFileURL.path
                // Swift refuses two files of one name in a module, so the name finds the file.
                found["\(module)/\(url.lastPathComponent)"] = path.hasPrefix(root) ? String(path.dropFirst(root.count)) : path
            }
        }
        return Dictionary(uniqueKeysWithValues: Set(fileIDs).map { ($0, found[$0] ?? "Sources/\($0)") })
    }

    /// Problems found comparing `Sources/<Module>/` with `job`'s steps; empty
    /// when they agree or when the sources are not beside the binary (a
    /// deployed job).
    public static func problems(job: Job, projectDirectory: URL) -> [String] {
        let swiftSteps = job.steps.filter { if case .swift = $0.action { return true } else { return false } }
        guard let module = swiftSteps.first?.source.split(separator: "/").first.map(String.init) else { return [] }
        let folder = projectDirectory.appendingPathComponent("Sources/\(module)")
        guard let enumerator = FileManager.default.enumerator(at: folder, includingPropertiesForKeys: nil) else { return [] }

        var filesByNumber: [Int: [String]] = [:]
        for case let url as URL in enumerator {
            guard let name = StepFileName(fileID: url.lastPathComponent) else { continue }
            let relative = url.path.replacingOccurrences(of: projectDirectory.standardizedFileURL.path + "/", with: "")
            filesByNumber[name.number, default: []].append(relative)
        }
        let declared = Set(swiftSteps.compactMap { StepFileName(fileID: $0.source)?.fileName })
        let listFile = "Sources/\(module)/Job.swift"

        var problems: [String] = []
        for (_, files) in filesByNumber.sorted(by: { $0.key < $1.key }) {
            for file in files.sorted() where !declared.contains(URL(fileURLWithPath: file).lastPathComponent) {
                problems.append("\(file) is a numbered step file, but no step from it is in the job's `steps:` list; add its step to \(listFile) (or rename the file if it is not a step)")
            }
        }
        return problems
    }
}
