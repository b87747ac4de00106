import Foundation

/// A run's parameters, given as `--param key=value` and read by steps with
/// the type they expect:
///
/// ```swift
/// let topN = try context.parameters.require("top_n", as: Int.self)   // declared with a default
/// let size = try context.parameters.byteCount("size")                // nil when not given
/// ```
///
/// A parameter `config/base.json` declares with a default, or as required,
/// always has a value by the time a step runs (the runner resolves the
/// defaults and refuses a run that lacks a required one), so read it with
/// ``require(_:as:)``: no optional to unwrap, and a clear failure if the
/// declaration is ever removed. The optional getters (``int(_:)``, …) are
/// for parameters that may be left out.
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

    /// A parameter a step requires that has no value: the job declares it
    /// with no default (or not at all), and the run was not given it.
    public struct MissingValue: Error, CustomStringConvertible, Sendable {
        public let key: String
        /// What its value must look like: "a whole number".
        public let expected: String
        public var description: String {
            "parameter \(key) is not set: declare it with a default in config/base.json (\"params\": {\"\(key)\": …}), "
                + "or give it as --param \(key)=<\(expected)>"
        }
    }

    /// The value of `key` as `type`, which the run must have: a parameter
    /// `config/base.json` declares with a default (or as required) always
    /// has one.
    ///
    /// ```swift
    /// let topN = try context.parameters.require("top_n", as: Int.self)
    /// ```
    ///
    /// - Throws: ``MissingValue`` when it has no value, so the step fails
    ///   saying so; ``InvalidValue`` when the value is not a `type`.
    public func require<Value: ParameterValue>(_ key: String, as type: Value.Type = Value.self) throws -> Value {
        guard let value = try value(key, as: type) else { throw MissingValue(key: key, expected: Value.expectedForm) }
        return value
    }

    /// The value of `key` as `type`, or nil when it was not given.
    ///
    /// - Throws: ``InvalidValue`` when the value is not a `type`.
    public func value<Value: ParameterValue>(_ key: String, as type: Value.Type = Value.self) throws(InvalidValue) -> Value? {
        guard let text = values[key] else { return nil }
        guard let value = Value(parameter: text) else { throw InvalidValue(key: key, value: text, expected: Value.expectedForm) }
        return value
    }

    /// The text of `key`, or nil when it was not given.
    public func string(_ key: String) -> String? { values[key] }

    /// `key` as a whole number (`_` may group digits: `1_000`).
    public func int(_ key: String) throws(InvalidValue) -> Int? { try value(key, as: Int.self) }

    /// `key` as a number.
    public func double(_ key: String) throws(InvalidValue) -> Double? { try value(key, as: Double.self) }

    /// `key` as true/false (also yes/no, 1/0, on/off).
    public func bool(_ key: String) throws(InvalidValue) -> Bool? { try value(key, as: Bool.self) }

    /// `key` as a size in bytes: `512`, `64KB`, `200MB`, `2GB` (powers of
    /// 1000), `1GiB` (powers of 1024).
    public func byteCount(_ key: String) throws(InvalidValue) -> Int64? { try value(key, as: ByteCount.self)?.bytes }

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

/// A type a parameter can be read as, with ``Parameters/require(_:as:)`` or
/// ``Parameters/value(_:as:)``: `Int`, `Double`, `Bool`, `String` and
/// ``ByteCount``.
public protocol ParameterValue: Sendable {
    /// Reads a `--param` value; `nil` when `text` is not one.
    init?(parameter text: String)
    /// What a value must look like, for messages: "a whole number".
    static var expectedForm: String { get }
}

extension Int: ParameterValue {
    public init?(parameter text: String) { self.init(text.replacingOccurrences(of: "_", with: "")) }
    public static var expectedForm: String { "a whole number" }
}

extension Double: ParameterValue {
    public init?(parameter text: String) {
        guard let value = Double(text), value.isFinite else { return nil }
        self = value
    }
    public static var expectedForm: String { "a number" }
}

extension Bool: ParameterValue {
    public init?(parameter text: String) {
        switch text.lowercased() {
        case "true", "yes", "1", "on": self = true
        case "false", "no", "0", "off": self = false
        default: return nil
        }
    }
    public static var expectedForm: String { "true or false" }
}

extension String: ParameterValue {
    public init?(parameter text: String) { self = text }
    public static var expectedForm: String { "text" }
}

extension ByteCount: ParameterValue {
    public init?(parameter text: String) { self.init(text) }
    public static var expectedForm: String { "a size such as 200MB or 2GB" }
}
