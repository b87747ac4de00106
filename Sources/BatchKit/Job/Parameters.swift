import Foundation

/// A run's parameters, given as `--param key=value` and read by steps with
/// the type they expect:
///
/// ```swift
/// let size = try context.parameters.byteCount("size") ?? 0     // --param size=1GB
/// let day = try context.parameters.string("day") ?? "today"
/// ```
///
/// A shell step sees each one as `BATCHKIT_PARAM_<KEY>` (upper case, other
/// characters as `_`), and all of them as JSON in `BATCHKIT_PARAMS`. A
/// resumed run keeps the parameters it started with.
public struct Parameters: Sendable, Equatable {
    /// Key → value, as given.
    public let values: [String: String]

    public init(_ values: [String: String] = [:]) {
        self.values = values
    }

    /// A value that is not of the type a step asked for.
    public struct InvalidValue: Error, CustomStringConvertible, Sendable {
        public let key: String
        public let value: String
        public let expected: String
        public var description: String {
            "parameter \(key)=\(value) is not \(expected); give it as --param \(key)=<\(expected)>"
        }
    }

    /// The text of `key`, or nil when it was not given.
    public func string(_ key: String) -> String? { values[key] }

    /// `key` as a whole number.
    public func int(_ key: String) throws(InvalidValue) -> Int? {
        guard let text = values[key] else { return nil }
        guard let value = Int(text.replacingOccurrences(of: "_", with: "")) else {
            throw InvalidValue(key: key, value: text, expected: "a whole number")
        }
        return value
    }

    /// `key` as a number.
    public func double(_ key: String) throws(InvalidValue) -> Double? {
        guard let text = values[key] else { return nil }
        guard let value = Double(text), value.isFinite else { throw InvalidValue(key: key, value: text, expected: "a number") }
        return value
    }

    /// `key` as true/false (also yes/no, 1/0, on/off).
    public func bool(_ key: String) throws(InvalidValue) -> Bool? {
        guard let text = values[key] else { return nil }
        switch text.lowercased() {
        case "true", "yes", "1", "on": return true
        case "false", "no", "0", "off": return false
        default: throw InvalidValue(key: key, value: text, expected: "true or false")
        }
    }

    /// `key` as a size in bytes: `512`, `64KB`, `200MB`, `2GB` (powers of
    /// 1000), `1GiB` (powers of 1024).
    public func byteCount(_ key: String) throws(InvalidValue) -> Int64? {
        guard let text = values[key] else { return nil }
        guard let value = Self.byteCount(text) else {
            throw InvalidValue(key: key, value: text, expected: "a size such as 200MB or 2GB")
        }
        return value
    }

    /// Parses a size such as `200MB`.
    public static func byteCount(_ text: String) -> Int64? {
        let trimmed = text.trimmingCharacters(in: .whitespaces).uppercased()
        let units: [(String, Double)] = [
            ("KIB", 1024), ("MIB", 1024 * 1024), ("GIB", 1024 * 1024 * 1024), ("TIB", 1024 * 1024 * 1024 * 1024),
            ("KB", 1e3), ("MB", 1e6), ("GB", 1e9), ("TB", 1e12), ("K", 1e3), ("M", 1e6), ("G", 1e9), ("B", 1),
        ]
        var number = trimmed
        var scale = 1.0
        for (suffix, factor) in units where trimmed.hasSuffix(suffix) {
            number = String(trimmed.dropLast(suffix.count)).trimmingCharacters(in: .whitespaces)
            scale = factor
            break
        }
        guard let value = Double(number), value >= 0, value.isFinite, value * scale < 9e18 else { return nil }
        return Int64((value * scale).rounded())
    }

    /// Parses `key=value` words (from `--param`).
    ///
    /// - Throws: ``UsageError`` for a word without `=` or with an empty or
    ///   unusual key.
    public static func parse(_ words: [String], command: String) throws(UsageError) -> [String: String] {
        var values: [String: String] = [:]
        for word in words {
            guard let equals = word.firstIndex(of: "=") else {
                throw UsageError("--param takes key=value, like --param size=1GB; got \"\(word)\"", command: command)
            }
            let key = String(word[..<equals])
            guard !key.isEmpty, key.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_" || $0 == "-" || $0 == ".") }) else {
                throw UsageError("--param key \"\(key)\" must be letters, digits, _, - or . (in \"\(word)\")", command: command)
            }
            values[key] = String(word[word.index(after: equals)...])
        }
        return values
    }

    /// The variables a step's process gets.
    public var environment: [String: String] {
        var environment: [String: String] = [:]
        guard !values.isEmpty else { return environment }
        if let data = try? JSONCoding.encoder(pretty: false).encode(values) {
            environment["BATCHKIT_PARAMS"] = String(decoding: data, as: UTF8.self)
        }
        for (key, value) in values { environment[Self.variableName(key)] = value }
        return environment
    }

    /// The variable that carries `key` to a shell step, and that sets it
    /// from the environment: `BATCHKIT_PARAM_<KEY>`, upper case, other
    /// characters as `_`.
    public static func variableName(_ key: String) -> String {
        "BATCHKIT_PARAM_" + String(key.uppercased().map { $0.isASCII && ($0.isLetter || $0.isNumber) ? $0 : "_" })
    }

    /// The parameters the runner passed to this process.
    public static func fromEnvironment() -> Parameters {
        guard let json = ProcessInfo.processInfo.environment["BATCHKIT_PARAMS"],
              let values = try? JSONDecoder().decode([String: String].self, from: Data(json.utf8))
        else { return Parameters() }
        return Parameters(values)
    }
}
