/// A run's state (`state.json`, or a line of `state.journal`) exists but
/// cannot be read: `--resume` stops rather than guess, and never takes an
/// older run in its place.
public struct UnreadableState: Error, CustomStringConvertible, Sendable {
    public let runID: String
    /// The file, relative to the project.
    public let file: String
    /// What is wrong with it: "it is empty", "line 4 is not a state change".
    public let problem: String
    /// The journal line at fault, when it is one.
    public var journalLine: Int?

    public init(runID: String, file: String, problem: String, journalLine: Int? = nil) {
        self.runID = runID
        self.file = file
        self.problem = problem
        self.journalLine = journalLine
    }

    public var description: String {
        let folder = file.split(separator: "/").dropLast().joined(separator: "/")
        // A name starting with a dot is not a run: `--resume` passes over it.
        let aside = file.split(separator: "/").dropLast(2).joined(separator: "/") + "/.\(runID).damaged"
        var text = "cannot resume run \(runID): its state \(file) cannot be read: \(problem). "
        text += "The history (logs/execution_logs.csv) keeps every attempt it recorded. Either: "
        text += "run without --resume to start a new run; "
        if let journalLine {
            text += "or delete line \(journalLine) of \(file) and --resume again (the step that line recorded may run again); "
        }
        text += "or move the run aside (mv \(folder) \(aside)) so that --resume continues the run before it"
        return text
    }
}
