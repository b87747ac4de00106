import BatchKit
import Foundation

/// A PyRunner task list, the way a folder of scripts or a PyRunner app
/// becomes a batchkit job without writing Swift. In its shell form:
///
/// ```
/// #SHELL
/// #ID|PARENT_IDS|MAX_ATTEMPTS|RETRY_WAIT_TIME|PROCESS_NAME|SHELL_COMMAND|LOGFILE[|TIMEOUT[|MEMORY[|READS[|WRITES]]]]
/// 1|-1|1|0|Start|./start.sh|$ENV{APP_LOG_DIR}/start.log
/// 2|1|3|10|Download|curl -fsSO https://example.com/a.csv|
/// 3|1,2|1|0|Load|./load.sh data/a.csv \| tee load.out||15m
/// 4|3|2|0|Score|python3 score.py|||2GB|data/a.csv,score.py|out/scores.csv
/// ```
///
/// - The first line that is not blank must be `#SHELL`. Other lines starting
///   with `#` are comments, and blank lines are ignored.
/// - `PARENT_IDS` is `-1` for none, or ids separated by commas. Ids may be
///   listed in any order: a parent may come after its child.
/// - `RETRY_WAIT_TIME` and `TIMEOUT` are seconds, or a number with `s`, `m`
///   or `h`. `TIMEOUT` is an optional eighth column; empty means no limit.
/// - `MEMORY` is an optional ninth column: the step's memory cap, a size
///   such as `512MB` or `2GiB` (see ``ByteCount/init(_:)``); empty means none.
/// - `READS` and `WRITES` are optional tenth and eleventh columns: the
///   files the task reads and writes, separated by commas (paths, folders
///   or globs, relative to the folder tasks run in). A task that declares
///   them is not rerun while its command, parameters, inputs and outputs
///   are unchanged (status `CACHED`); one that declares neither always runs.
///   In a `#PYTHON` list they come two columns later, like TIMEOUT.
/// - `LOGFILE` may be empty; when given, each attempt's output is also
///   appended to it (relative paths are from the task list's folder).
/// - `$ENV{NAME}` is replaced by the environment variable NAME.
///   `APP_ROOT_DIR` defaults to the task list's folder and `APP_LOG_DIR` to
///   the run's `logs/` folder.
/// - Fields are separated by `|`. As in PyRunner, quotes protect a `|`
///   (`sh -c 'a | b'`); a `|` can also be written `\|`. Delimiters (`|`,
///   `\`, `,`, quotes, `#`, `$ENV{`, `}`) are found in the bytes, so a `|`
///   that a combining mark follows still separates fields.
/// - A NUL character is refused: the shell would see the command cut there.
public struct TaskList: Sendable {
    /// A task list that cannot be used: every problem, each with `file:line`.
    public struct ParseError: Error, CustomStringConvertible, Sendable {
        public let problems: [String]
        /// Every problem on its line, with the control characters of the
        /// file's text shown as escapes (``VisibleText``).
        public var description: String {
            let shown = problems.map(VisibleText.line)
            return shown.count == 1
                ? "invalid task list: \(shown[0])"
                : "invalid task list (\(shown.count) problems):\n" + shown.map { "  - \($0)" }.joined(separator: "\n")
        }
    }

    /// The job: named after the file, one shell step or Python task per task.
    public let job: Job

    /// Whether the list is `#SHELL` (commands) or `#PYTHON` (Worker classes).
    public enum Kind: String, Sendable {
        case shell = "#SHELL"
        case python = "#PYTHON"
    }

    /// The list's kind, from its first line.
    public let kind: Kind

    /// Parses `text`, read from `file`.
    ///
    /// - Parameters:
    ///   - text: The task list.
    ///   - file: Its path, for messages and for relative LOGFILEs.
    ///   - environment: The variables `$ENV{…}` may use; `APP_WORKER_DIR` and
    ///     `APP_ROOT_DIR` also say where Python workers are.
    ///   - interpreter: The Python 3 that runs a `#PYTHON` list's tasks.
    /// - Throws: ``ParseError`` listing every malformed line.
    public init(text: String, file: URL, environment: [String: String], interpreter: String = "python3") throws(ParseError) {
        let name = file.deletingPathExtension().lastPathComponent
        let label = file.lastPathComponent
        var problems: [String] = []
        var steps: [Step] = []
        var sawHeader = false
        var kind = Kind.shell
        let folder = file.deletingLastPathComponent()
        let python = (interpreter: interpreter, workerDirectory: Self.workerDirectory(environment: environment, listFolder: folder))
        for (index, rawLine) in text.utf8.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false).enumerated() {
            let number = index + 1
            let line = Self.trimmed(rawLine)
            func problem(_ message: String) { problems.append("\(label):\(number): \(message)") }
            if line.isEmpty { continue }
            if !sawHeader {
                sawHeader = true
                // PyRunner reads the mode up to a `|`: `#SHELL|…` is a #SHELL list.
                let mode = String(decoding: line.utf8.prefix { $0 != UInt8(ascii: "|") }, as: UTF8.self)
                if let found = Kind(rawValue: TaskListFields.trimmed(mode.utf8)) {
                    kind = found
                    continue
                }
                problem("the first line must be #SHELL or #PYTHON (the task list's kind), not \"\(line)\"")
                break
            }
            if line.utf8.first == UInt8(ascii: "#") { continue }
            do {
                steps.append(try Self.task(line, kind: kind, source: "\(label):\(number)", folder: folder, environment: environment, python: python))
            } catch {
                problem(error.description)
            }
        }
        if !sawHeader { problems.append("\(label):1: the file is empty; it needs a #SHELL or #PYTHON line and one line per task") }
        if problems.isEmpty && steps.isEmpty { problems.append("\(label): there are no tasks, only comments") }
        if !problems.isEmpty { throw ParseError(problems: problems) }
        job = Job(name.isEmpty ? "tasks" : name, steps: steps)
        self.kind = kind
    }

    /// Where a `#PYTHON` list's modules are imported from: `$APP_WORKER_DIR`,
    /// else `$APP_ROOT_DIR/python` when it is a folder (PyRunner's app
    /// layout), else the task list's folder.
    public static func workerDirectory(environment: [String: String], listFolder: URL) -> String {
        if let folder = environment["APP_WORKER_DIR"], !folder.isEmpty {
            return URL(fileURLWithPath: folder, relativeTo: listFolder).standardizedFileURL.path
        }
        if let root = environment["APP_ROOT_DIR"], !root.isEmpty {
            let python = URL(fileURLWithPath: root, relativeTo: listFolder).appendingPathComponent("python").standardizedFileURL
            var isFolder: ObjCBool = false
            if FileManager.default.fileExists(atPath: python.path, isDirectory: &isFolder), isFolder.boolValue { return python.path }
        }
        return listFolder.standardizedFileURL.path
    }

    /// Reads and parses the task list at `file`.
    ///
    /// - Throws: ``ParseError``, naming the file when it cannot be read.
    public init(contentsOf file: URL, environment: [String: String], interpreter: String = "python3") throws(ParseError) {
        var status = stat()
        guard stat(file.path, &status) == 0 else {
            throw ParseError(problems: ["cannot read the task list: \(ErrorDescription.posix(errno, path: file.path))"])
        }
        guard status.st_mode & S_IFMT == S_IFREG else {
            let kind = status.st_mode & S_IFMT == S_IFDIR ? "a folder" : "not a regular file"
            throw ParseError(problems: ["\(file.path) is \(kind); give the path of a task list file, as in: batchkit run tasks.lst"])
        }
        guard let data = FileManager.default.contents(atPath: file.path) else {
            throw ParseError(problems: ["cannot read the task list \(file.path): \(ErrorDescription.posix(EACCES, path: file.path))"])
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw ParseError(problems: ["\(file.path) is not UTF-8 text"])
        }
        try self.init(text: text, file: file, environment: environment, interpreter: interpreter)
    }

    private struct LineError: Error, CustomStringConvertible {
        let description: String
        init(_ description: String) { self.description = description }
    }

    /// A kind's columns, as a comment line shows them.
    private static func columns(_ kind: Kind) -> String {
        fieldNames(kind).prefix(4).joined(separator: "|") + "|" + fieldNames(kind).dropFirst(4).dropLast(4).joined(separator: "|")
            + "[|TIMEOUT[|MEMORY[|READS[|WRITES]]]]"
    }

    private static func fieldNames(_ kind: Kind) -> [String] {
        let own = kind == .shell ? ["SHELL_COMMAND", "LOGFILE"] : ["MODULE_NAME", "WORKER_NAME", "ARGUMENTS", "LOGFILE"]
        return ["ID", "PARENT_IDS", "MAX_ATTEMPTS", "RETRY_WAIT_TIME", "PROCESS_NAME"] + own + ["TIMEOUT", "MEMORY", "READS", "WRITES"]
    }

    private static func task(
        _ line: String, kind: Kind, source: String, folder: URL, environment: [String: String],
        python: (interpreter: String, workerDirectory: String)
    ) throws(LineError) -> Step {
        var fields = TaskListFields.split(line)
        let names = fieldNames(kind)
        // ARGUMENTS and LOGFILE of a Python task are optional, as in PyRunner.
        let fewest = 7
        guard (fewest...names.count).contains(fields.count) else {
            let hint = fields.count > names.count
                ? (kind == .shell
                    ? "; a | inside SHELL_COMMAND must be quoted ('a | b') or written \\| (|| as \\|\\|), or put the pipeline in a script"
                    : "; a | inside ARGUMENTS must be quoted or written \\|")
                : ""
            throw LineError("expected \(fewest) to \(names.count) fields (\(columns(kind))), found \(fields.count)\(hint)")
        }
        if kind == .python {
            while fields.count < 9 { fields.append("") }
        }
        // From here on, a Python task's fields line up with a shell task's:
        // TIMEOUT and MEMORY two columns later.
        let extra = kind == .python ? 2 : 0
        for (index, field) in fields.enumerated() {
            guard let nul = field.utf8.firstIndex(of: 0) else { continue }
            let before = String(decoding: field.utf8[..<nul], as: UTF8.self)
            throw LineError("\(names[index]) holds a NUL character (byte 0) after \"\(before)\", which would cut the text there; remove it")
        }
        guard let id = StepID(fields[0]), id > 0 else {
            throw LineError("ID \"\(fields[0])\" is not a whole number above 0")
        }
        let parents: [StepID]
        if fields[1] == "-1" {
            parents = []
        } else {
            let parts = fields[1].utf8.split(separator: UInt8(ascii: ","), omittingEmptySubsequences: false).map { trimmed($0) }
            let values = parts.map { StepID($0) }
            guard !fields[1].isEmpty, values.allSatisfy({ ($0 ?? 0) > 0 }) else {
                throw LineError("PARENT_IDS \"\(fields[1])\" must be -1 (no parent) or task ids separated by commas")
            }
            parents = values.compactMap { $0 }
        }
        guard let attempts = Int(fields[2]) else {
            throw LineError("MAX_ATTEMPTS \"\(fields[2])\" is not a whole number")
        }
        guard attempts >= 1 else { throw LineError("MAX_ATTEMPTS is \(attempts); it must be at least 1") }
        guard let wait = seconds(fields[3]) else {
            throw LineError("RETRY_WAIT_TIME \"\(fields[3])\" is not a duration (seconds, or a number with s, m or h, at most a year)")
        }
        guard wait >= 0 else { throw LineError("RETRY_WAIT_TIME is \(fields[3]); it must not be negative") }
        guard !fields[4].isEmpty else { throw LineError("PROCESS_NAME is empty; give the task a name") }
        let action: Step.Action
        if kind == .python {
            let module = try expand(fields[5], environment: environment)
            guard isModuleName(module) else {
                throw LineError("MODULE_NAME \"\(module)\" is not a Python module name (such as workers or etl.steps)")
            }
            let worker = try expand(fields[6], environment: environment)
            guard isIdentifier(worker) else {
                throw LineError("WORKER_NAME \"\(worker)\" is not a Python class name")
            }
            let arguments = TaskListFields.arguments(try expand(fields[7], environment: environment))
            action = .python(PythonTask(
                module: module, worker: worker, arguments: arguments, workerDirectory: python.workerDirectory,
                interpreter: python.interpreter))
        } else {
            let command = try expand(fields[5], environment: environment)
            guard !command.isEmpty else { throw LineError("SHELL_COMMAND is empty; give the command to run") }
            action = .shell(command)
        }
        let logFile = try expand(fields[6 + extra], environment: environment)
        var timeout: Double?
        if fields.count >= 8 + extra, !fields[7 + extra].isEmpty {
            let text = fields[7 + extra]
            guard let value = seconds(text), value > 0 else {
                throw LineError("TIMEOUT \"\(text)\" is not a duration above 0 (seconds, or a number with s, m or h)"
                    + (kind == .shell ? pipeHint(fields, bad: text) : ""))
            }
            timeout = value
        }
        var memory: ByteCount?
        if fields.count >= 9 + extra, !fields[8 + extra].isEmpty {
            let text = fields[8 + extra]
            guard let value = ByteCount(text), value >= StepPolicy.smallestMemory, value <= StepPolicy.largestMemory else {
                throw LineError("MEMORY \"\(text)\" is not a memory size between \(StepPolicy.smallestMemory) and \(StepPolicy.largestMemory) (such as 512MB or 2GiB)"
                    + (kind == .shell ? pipeHint(fields, bad: text) : ""))
            }
            memory = value
        }
        // READS and WRITES: paths, folders or globs, separated by commas.
        func paths(_ index: Int) throws(LineError) -> [String] {
            guard fields.count > index else { return [] }
            return try expand(fields[index], environment: environment).split(separator: ",")
                .map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        }
        return Step(
            id: id, name: fields[4], parents: parents, source: source, action: action,
            policy: StepPolicy(maxAttempts: attempts, retryWait: wait, timeout: timeout, memory: memory),
            mirrorLog: logFile.isEmpty ? nil : URL(fileURLWithPath: logFile, relativeTo: folder).standardizedFileURL,
            reads: try paths(9 + extra), writes: try paths(10 + extra))
    }

    /// Why a TIMEOUT or MEMORY that is not a number is most likely there: a
    /// `|` or `||` in the command split it into more fields, and its tail
    /// landed in these columns. Empty when `bad` reads as a number's attempt.
    private static func pipeHint(_ fields: [String], bad: String) -> String {
        let looksNumeric = bad.utf8.first.map { (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) || $0 == UInt8(ascii: ".") } ?? true
        guard !looksNumeric || bad.utf8.contains(UInt8(ascii: " ")) else { return "" }
        return "; SHELL_COMMAND reads \"\(fields[5])\": if the command has a | or || in it, the line was cut there, "
            + "because | separates the fields. Write each | of the command as \\|, or put the pipeline in a script "
            + "and give the script as SHELL_COMMAND"
    }

    /// Splits a line into fields (``TaskListFields/split(_:)``).
    static func split(_ line: String) -> [String] { TaskListFields.split(line) }

    static func trimmed<Bytes: BidirectionalCollection>(_ bytes: Bytes) -> String where Bytes.Element == UInt8 {
        TaskListFields.trimmed(bytes)
    }

    /// `workers`, `etl.steps`: identifiers joined by dots.
    private static func isModuleName(_ text: String) -> Bool {
        !text.isEmpty && text.split(separator: ".", omittingEmptySubsequences: false).allSatisfy { isIdentifier(String($0)) }
    }

    /// A Python identifier, in its ASCII form (letters, digits, `_`, not
    /// starting with a digit) or with letters beyond ASCII.
    private static func isIdentifier(_ text: String) -> Bool {
        guard let first = text.unicodeScalars.first, !("0"..."9").contains(first) else { return false }
        return text.unicodeScalars.allSatisfy { $0 == "_" || $0.properties.isAlphabetic || ("0"..."9").contains($0) }
    }

    /// `30`, `30s`, `1.5m`, `2h`, `1d` → seconds; `nil` for anything else, or for
    /// more than a year (`inf`, `1e300`, …).
    package static func seconds(_ text: String) -> Double? {
        let units: [Character: Double] = ["s": 1, "m": 60, "h": 3600, "d": 86_400]
        var value: Double?
        if let last = text.last, let unit = units[last] {
            value = Double(text.dropLast()).map { $0 * unit }
        } else {
            value = Double(text)
        }
        guard let value, value.isFinite, abs(value) <= StepPolicy.longest else { return nil }
        return value
    }

    /// Replaces every `$ENV{NAME}`, finding `$ENV{` and `}` in the bytes.
    private static func expand(_ text: String, environment: [String: String]) throws(LineError) -> String {
        let open = Array("$ENV{".utf8)
        let bytes = Array(text.utf8)
        var result: [UInt8] = []
        var index = 0
        while index < bytes.count {
            guard bytes[index...].starts(with: open) else {
                result.append(bytes[index])
                index += 1
                continue
            }
            let nameStart = index + open.count
            guard let end = bytes[nameStart...].firstIndex(of: UInt8(ascii: "}")) else {
                throw LineError("\"$ENV{\" is not closed with }")
            }
            let name = String(decoding: bytes[nameStart..<end], as: UTF8.self)
            guard let value = environment[name] else {
                throw LineError("$ENV{\(name)} is not set; export \(name) before running, or change the task list")
            }
            result += value.utf8
            index = end + 1
        }
        return String(decoding: result, as: UTF8.self)
    }
}
