import BatchKit
import Foundation

/// A PyRunner task list in its shell form, the way a folder of scripts
/// becomes a batchkit job without writing Swift:
///
/// ```
/// #SHELL
/// #ID|PARENT_IDS|MAX_ATTEMPTS|RETRY_WAIT_TIME|PROCESS_NAME|SHELL_COMMAND|LOGFILE[|TIMEOUT[|MEMORY]]
/// 1|-1|1|0|Start|./start.sh|$ENV{APP_LOG_DIR}/start.log
/// 2|1|3|10|Download|curl -fsSO https://example.com/a.csv|
/// 3|1,2|1|0|Load|./load.sh data/a.csv \| tee load.out||15m
/// 4|3|2|0|Score|python3 score.py|||2GB
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
/// - `LOGFILE` may be empty; when given, each attempt's output is also
///   appended to it (relative paths are from the task list's folder).
/// - `$ENV{NAME}` is replaced by the environment variable NAME.
///   `APP_ROOT_DIR` defaults to the task list's folder and `APP_LOG_DIR` to
///   the run's `logs/` folder.
/// - Fields are separated by `|`; a `|` inside a command is written `\|`.
///   Delimiters (`|`, `\`, `,`, `#`, `$ENV{`, `}`) are found in the bytes, so
///   a `|` that a combining mark follows still separates fields.
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

    /// The job: named after the file, one shell step per task.
    public let job: Job

    /// Parses `text`, read from `file`.
    ///
    /// - Parameters:
    ///   - text: The task list.
    ///   - file: Its path, for messages and for relative LOGFILEs.
    ///   - environment: The variables `$ENV{…}` may use.
    /// - Throws: ``ParseError`` listing every malformed line.
    public init(text: String, file: URL, environment: [String: String]) throws(ParseError) {
        let name = file.deletingPathExtension().lastPathComponent
        let label = file.lastPathComponent
        var problems: [String] = []
        var steps: [Step] = []
        var sawHeader = false
        for (index, rawLine) in text.utf8.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false).enumerated() {
            let number = index + 1
            let line = Self.trimmed(rawLine)
            func problem(_ message: String) { problems.append("\(label):\(number): \(message)") }
            if line.isEmpty { continue }
            if !sawHeader {
                sawHeader = true
                if line == "#SHELL" { continue }
                if line.uppercased() == "#PYTHON" {
                    problem("#PYTHON task lists run PyRunner Worker classes, which batchkit cannot load; write each task as a shell command (such as `python3 -m workers start`) under a #SHELL header")
                    break
                }
                problem("the first line must be #SHELL (the task list's kind), not \"\(line)\"")
                break
            }
            if line.utf8.first == UInt8(ascii: "#") { continue }
            do {
                steps.append(try Self.task(line, source: "\(label):\(number)", folder: file.deletingLastPathComponent(), environment: environment))
            } catch {
                problem(error.description)
            }
        }
        if !sawHeader { problems.append("\(label):1: the file is empty; it needs a #SHELL line and one line per task") }
        if problems.isEmpty && steps.isEmpty { problems.append("\(label): there are no tasks, only comments") }
        if !problems.isEmpty { throw ParseError(problems: problems) }
        job = Job(name.isEmpty ? "tasks" : name, steps: steps)
    }

    /// Reads and parses the task list at `file`.
    ///
    /// - Throws: ``ParseError``, naming the file when it cannot be read.
    public init(contentsOf file: URL, environment: [String: String]) throws(ParseError) {
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
        try self.init(text: text, file: file, environment: environment)
    }

    private struct LineError: Error, CustomStringConvertible {
        let description: String
        init(_ description: String) { self.description = description }
    }

    private static let columns = "ID|PARENT_IDS|MAX_ATTEMPTS|RETRY_WAIT_TIME|PROCESS_NAME|SHELL_COMMAND|LOGFILE[|TIMEOUT[|MEMORY]]"
    private static let fieldNames = ["ID", "PARENT_IDS", "MAX_ATTEMPTS", "RETRY_WAIT_TIME", "PROCESS_NAME", "SHELL_COMMAND", "LOGFILE", "TIMEOUT", "MEMORY"]

    private static func task(_ line: String, source: String, folder: URL, environment: [String: String]) throws(LineError) -> Step {
        let fields = split(line)
        guard (7...9).contains(fields.count) else {
            let hint = fields.count > 9 ? "; a | inside SHELL_COMMAND must be written \\| (|| as \\|\\|), or put the pipeline in a script" : ""
            throw LineError("expected 7 to 9 fields (\(columns)), found \(fields.count)\(hint)")
        }
        for (index, field) in fields.enumerated() {
            guard let nul = field.utf8.firstIndex(of: 0) else { continue }
            let before = String(decoding: field.utf8[..<nul], as: UTF8.self)
            throw LineError("\(fieldNames[index]) holds a NUL character (byte 0) after \"\(before)\", which would cut the text there; remove it")
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
        let command = try expand(fields[5], environment: environment)
        guard !command.isEmpty else { throw LineError("SHELL_COMMAND is empty; give the command to run") }
        let logFile = try expand(fields[6], environment: environment)
        var timeout: Double?
        if fields.count >= 8, !fields[7].isEmpty {
            guard let value = seconds(fields[7]), value > 0 else {
                throw LineError("TIMEOUT \"\(fields[7])\" is not a duration above 0 (seconds, or a number with s, m or h)"
                    + pipeHint(fields, bad: fields[7]))
            }
            timeout = value
        }
        var memory: ByteCount?
        if fields.count == 9, !fields[8].isEmpty {
            guard let value = ByteCount(fields[8]), value >= StepPolicy.smallestMemory, value <= StepPolicy.largestMemory else {
                throw LineError("MEMORY \"\(fields[8])\" is not a memory size between \(StepPolicy.smallestMemory) and \(StepPolicy.largestMemory) (such as 512MB or 2GiB)"
                    + pipeHint(fields, bad: fields[8]))
            }
            memory = value
        }
        return Step(
            id: id, name: fields[4], parents: parents, source: source, action: .shell(command),
            policy: StepPolicy(maxAttempts: attempts, retryWait: wait, timeout: timeout, memory: memory),
            mirrorLog: logFile.isEmpty ? nil : URL(fileURLWithPath: logFile, relativeTo: folder).standardizedFileURL)
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

    /// Splits on `|`, honouring `\|`, and trims each field. Works on UTF-8
    /// bytes: `|` and `\` never occur inside a multi-byte character.
    static func split(_ line: String) -> [String] {
        var fields: [String] = []
        var current: [UInt8] = []
        var escaped = false
        for byte in line.utf8 {
            if escaped {
                if byte != UInt8(ascii: "|") { current.append(UInt8(ascii: "\\")) }
                current.append(byte)
                escaped = false
            } else if byte == UInt8(ascii: "\\") {
                escaped = true
            } else if byte == UInt8(ascii: "|") {
                fields.append(trimmed(current[...]))
                current.removeAll(keepingCapacity: true)
            } else {
                current.append(byte)
            }
        }
        if escaped { current.append(UInt8(ascii: "\\")) }
        fields.append(trimmed(current[...]))
        return fields
    }

    /// `bytes` as text without leading or trailing ASCII spaces, tabs and CRs.
    static func trimmed<Bytes: BidirectionalCollection>(_ bytes: Bytes) -> String where Bytes.Element == UInt8 {
        let isSpace = { (byte: UInt8) in byte == 0x20 || byte == 0x09 || byte == 0x0D }
        guard let first = bytes.firstIndex(where: { !isSpace($0) }), let last = bytes.lastIndex(where: { !isSpace($0) }) else {
            return ""
        }
        return String(decoding: bytes[first...last], as: UTF8.self)
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
