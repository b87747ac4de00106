import BatchKit

/// A history file (`logs/execution_logs.csv`, `logs/test_results.csv`)
/// cannot take a run's rows, found before any step runs: the run is refused,
/// and nothing is written.
public struct HistoryUnavailable: Error, CustomStringConvertible, Sendable {
    /// The file, relative to the project.
    public let file: String
    public let problem: CSVHistoryFile.Unusable

    public var description: String {
        let what: String
        switch problem {
        case .notAFile(let kind):
            what = "\(file) is \(kind), not the history file; move it aside (mv \(file) \(file).aside) and run again"
        case .notWritable(let reason, let folder):
            let place = folder ? "its folder, \(parent)," : "the file"
            what = "cannot write the history \(file): \(reason) (\(place) is not writable by this user); "
                + "make it writable (chmod u+w \(folder ? parent : file)) or run as its owner"
        case .foreign(let firstLine):
            let shown = firstLine.count > 60 ? String(firstLine.prefix(60)) + "…" : firstLine
            what = "\(file) is not a batchkit history (its first line is \(firstLine == "binary data, not text" ? firstLine : "\"\(shown)\"")); "
                + "appending would lose columns of every row. Move it aside (mv \(file) \(file).aside) and run again: a new history starts"
        }
        return what + ". Nothing was run"
    }

    private var parent: String {
        let folder = file.split(separator: "/").dropLast().joined(separator: "/")
        return folder.isEmpty ? "." : folder
    }
}
