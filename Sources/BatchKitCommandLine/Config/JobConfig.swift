import BatchKit
import BatchKitRunner
import BatchKitNotify
import BatchKitCluster
import BatchKitSchedule
import Foundation

/// A job's configuration: `config/base.json`, overridden by
/// `config/<env>.json` for `--env NAME`, then by environment variables,
/// then by `--param`:
///
/// ```json
/// {
///   "params": {
///     "rows": 100000,
///     "day": {"type": "string", "required": true, "description": "the day to load, YYYY-MM-DD"},
///     "size": {"type": "size", "default": "200MB"}
///   },
///   "notify": {
///     "on": ["start", "success", "failure"],
///     "webhook": {"url_env": "SLACK_WEBHOOK_URL"},
///     "email": {"to": ["ops@example.com"]}
///   },
///   "timeZone": "Europe/Paris"
/// }
/// ```
///
/// `timeZone` (an IANA name: `Europe/Paris`, `America/New_York`, `UTC`)
/// is the job's time zone: the run date defaults to today there, and
/// `--date today`/`yesterday` mean days there. Without it, `$TZ`, else the
/// machine's. An environment file may set it too.
///
/// `params` in `base.json` declares the job's parameters: a plain value is
/// the default and its JSON type is the parameter's type; an object gives
/// `type` (`string`, `int`, `number`, `bool`, `size`), `default`,
/// `required`, `description` and `secret`. Once a job declares parameters,
/// any other key is an error, and every value is checked against its type
/// before anything runs. An environment file may only set declared
/// parameters. A parameter is also read from `BATCHKIT_PARAM_<KEY>` (upper
/// case, other characters as `_`), so two names that differ only in case or
/// in `.`, `-` and `_` are one parameter to a step, and refused. A job
/// without `config/base.json` takes any `--param`.
///
/// A secret parameter (`"secret": true`, for a password or a token) reaches
/// the steps as any other, but its value is never written or shown: the
/// run's state, its reports, the screen and `--dry-run` show `***`.
/// `--resume` takes it again, from `--param` or the environment:
///
/// ```json
/// "params": {
///   "db_password": {"type": "string", "secret": true, "required": true, "description": "the warehouse password"}
/// }
/// ```
public struct JobConfig: Sendable {
    /// One declared parameter.
    public struct Declaration: Sendable, Equatable {
        public var name: String
        public var type: ParameterType
        public var defaultValue: String?
        public var required: Bool
        public var description: String?
        /// Whether the value is a secret: steps get it, records and screens show `***`.
        public var secret = false
    }

    /// The types a declared parameter can have.
    public enum ParameterType: String, Sendable, CaseIterable {
        case string, int, number, bool, size

        /// "a whole number", for messages.
        var phrase: String {
            switch self {
            case .string: "text"
            case .int: "a whole number"
            case .number: "a number"
            case .bool: "true or false"
            case .size: "a size such as 200MB or 2GB"
            }
        }

        /// Whether `text` reads as this type (the way steps read it).
        func accepts(_ text: String) -> Bool {
            let parameters = Parameters(["value": text])
            switch self {
            case .string: return true
            case .int: return (try? parameters.int("value")) != nil
            case .number: return (try? parameters.double("value")) != nil
            case .bool: return (try? parameters.bool("value")) != nil
            case .size: return Parameters.byteCount(text) != nil
            }
        }
    }

    /// The `--env` name, if any.
    public var environment: String?
    /// The files read, relative to the project: `config/base.json`, then the environment's.
    public var files: [String]
    /// The declared parameters, by name; `nil` when the job declares none
    /// (then any `--param` is taken as given).
    public var declarations: [String: Declaration]?
    /// Values the environment file gives, by name.
    var environmentValues: [String: String]
    /// Where notifications go.
    public var notify: NotifySettings
    /// The `timeZone` the files give, and the file that gives it; `nil`
    /// when none does.
    public var timeZone: (zone: TimeZone, file: String)?

    /// The job's time zone: the configured one, else `$TZ`, else the machine's.
    public var runTimeZone: TimeZone { timeZone?.zone ?? RunDate.jobTimeZone }

    /// Today in the job's time zone: the default run date.
    public var today: RunDate { .today(in: runTimeZone) }

    /// Effective parameters and where each came from.
    public struct Resolved: Sendable, Equatable {
        public var values: [String: String]
        /// Key → `config/base.json`, `config/prod.json`, `$BATCHKIT_PARAM_ROWS` or `--param`.
        public var sources: [String: String]
        /// The keys of `values` declared secret.
        public var secrets: Set<String> = []
    }

    /// A configuration that cannot be used: what, where, and what to do.
    public struct Problem: Error, CustomStringConvertible, Sendable {
        public let message: String
        public init(_ message: String) { self.message = message }
        public var description: String { message }
    }

    /// No configuration: no declared parameters, no notifications.
    public init() {
        environment = nil
        files = []
        declarations = nil
        environmentValues = [:]
        notify = NotifySettings()
    }

    /// Reads `config/base.json` and `config/<environment>.json` under
    /// `projectDirectory`, and the notification variables of `variables`.
    ///
    /// - Throws: ``Problem`` naming the file and the key.
    public static func load(projectDirectory: URL, environment: String?, variables: [String: String]) throws(Problem) -> JobConfig {
        var config = JobConfig()
        config.environment = environment
        let directory = RunLayout(projectDirectory: projectDirectory).configDirectory
        let base = directory.appendingPathComponent("base.json")
        var notify: [String: JSONValue] = [:]
        if FileManager.default.fileExists(atPath: base.path) {
            let object = try read(base, label: "config/base.json")
            config.files.append("config/base.json")
            if case .object(let params)? = object["params"] {
                var declarations: [String: Declaration] = [:]
                for (name, value) in params {
                    declarations[name] = try declaration(name, value, file: "config/base.json")
                }
                if let clash = ParameterClash.find(declarations.keys.map { ($0, "config/base.json") }) { throw Problem(clash.message) }
                config.declarations = declarations
            } else if let params = object["params"] {
                throw Problem("config/base.json: \"params\" must be an object of parameter: default, not \(params.kind)")
            }
            if case .object(let section)? = object["notify"] { notify = section }
            if let zone = object["timeZone"] { config.timeZone = (try timeZone(zone, label: "config/base.json"), "config/base.json") }
        }
        if let environment {
            guard !environment.isEmpty, environment.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || "_-.".contains($0)) }),
                  environment != "base"
            else {
                throw Problem("--env \"\(environment)\" is not an environment name; use letters, digits, _, - or . (and not \"base\")")
            }
            let label = "config/\(environment).json"
            let file = directory.appendingPathComponent("\(environment).json")
            guard FileManager.default.fileExists(atPath: file.path) else {
                let known = ((try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? [])
                    .filter { $0.hasSuffix(".json") && $0 != "base.json" }.map { String($0.dropLast(5)) }.sorted()
                throw Problem("--env \(environment): there is no \(label); "
                    + (known.isEmpty ? "create it (it overrides config/base.json)" : "environments here: \(known.joined(separator: ", "))"))
            }
            let object = try read(file, label: label)
            config.files.append(label)
            if let params = object["params"] {
                guard case .object(let values) = params else {
                    throw Problem("\(label): \"params\" must be an object of parameter: value, not \(params.kind)")
                }
                for (name, value) in values.sorted(by: { $0.key < $1.key }) {
                    guard let text = value.scalarText else {
                        throw Problem("\(label): params.\(name) must be a plain value (text, number or true/false), not \(value.kind)")
                    }
                    if let declarations = config.declarations {
                        guard let declared = declarations[name] else {
                            throw Problem("\(label): params.\(name) is not a parameter of this job (\(known(declarations)) in config/base.json); declare it there first")
                        }
                        guard declared.type.accepts(text) else {
                            throw Problem("\(label): params.\(name) is \(declared.secret ? Self.secretMask : text), which is not \(declared.type.phrase) (config/base.json declares it \(declared.type.rawValue))")
                        }
                    }
                    config.environmentValues[name] = text
                }
            }
            if case .object(let section)? = object["notify"] {
                for (key, value) in section { notify[key] = value }
            }
            if let zone = object["timeZone"] { config.timeZone = (try timeZone(zone, label: label), label) }
        }
        do {
            config.notify = try NotifySettings.parse(notify, files: config.files, variables: variables)
        } catch {
            throw Problem(error.message)
        }
        return config
    }

    // MARK: - Reading

    private static func read(_ url: URL, label: String) throws(Problem) -> [String: JSONValue] {
        let value: JSONValue
        do {
            value = try JSONDecoder().decode(JSONValue.self, from: Data(contentsOf: url))
        } catch let error as DecodingError {
            throw Problem("\(label) is not valid JSON: \(describe(error)); fix the file")
        } catch {
            throw Problem("cannot read \(label): \(ErrorDescription.of(error))")
        }
        guard case .object(let object) = value else {
            throw Problem("\(label) must hold a JSON object ({\"params\": {…}, \"notify\": {…}}), not \(value.kind)")
        }
        let keys = ["params", "notify", "timeZone"]
        for key in object.keys.sorted() where !keys.contains(key) && !key.hasPrefix("_") {
            throw Problem("\(label): unknown key \"\(key)\"\(Suggestion.hint(for: key, among: keys)); the keys are \"params\", \"notify\" and \"timeZone\" (keys starting with _ are comments)")
        }
        return object
    }

    /// The time zone `value` names.
    ///
    /// - Throws: ``Problem`` naming the file, the key and the nearest known
    ///   zone, when `value` is not the name of one.
    static func timeZone(_ value: JSONValue, label: String) throws(Problem) -> TimeZone {
        let forms = "an IANA time zone name such as Europe/Paris, America/New_York or UTC"
        guard case .string(let name) = value else {
            throw Problem("\(label): \"timeZone\" must be text, \(forms); not \(value.kind)")
        }
        let known = TimeZone.knownTimeZoneIdentifiers
        // TimeZone(identifier:) also takes abbreviations and offsets ("CET", "GMT+1"), which
        // read differently on other machines: only names of the time zone database count.
        guard known.contains(name) || name == "UTC", let zone = TimeZone(identifier: name) else {
            throw Problem("\(label): \"timeZone\": \"\(VisibleText.line(name))\" is not a time zone\(Suggestion.hint(for: name, among: known)); give \(forms)")
        }
        return zone
    }

    private static func declaration(_ name: String, _ value: JSONValue, file: String) throws(Problem) -> Declaration {
        guard !name.isEmpty, name.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || "_-.".contains($0)) }) else {
            throw Problem("\(file): params.\(name): a parameter name must be letters, digits, _, - or .")
        }
        switch value {
        case .bool, .int, .double, .string:
            let type: ParameterType = switch value {
            case .bool: .bool
            case .int: .int
            case .double: .number
            default: .string
            }
            return Declaration(name: name, type: type, defaultValue: value.scalarText, required: false, description: nil)
        case .object(let fields):
            for key in fields.keys.sorted() where !["type", "default", "required", "description", "secret"].contains(key) {
                throw Problem("\(file): params.\(name).\(key): unknown key; a declaration has type, default, required, description and secret")
            }
            guard case .string(let typeName)? = fields["type"], let type = ParameterType(rawValue: typeName) else {
                throw Problem("\(file): params.\(name) needs \"type\": one of \(ParameterType.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            var declared = Declaration(name: name, type: type, defaultValue: nil, required: false, description: nil)
            if let given = fields["default"], given != .null {
                guard let text = given.scalarText, type.accepts(text) else {
                    throw Problem("\(file): params.\(name).default is not \(type.phrase)")
                }
                declared.defaultValue = text
            }
            if let required = fields["required"] {
                guard case .bool(let flag) = required else { throw Problem("\(file): params.\(name).required must be true or false") }
                declared.required = flag
            }
            if let about = fields["description"] {
                guard case .string(let text) = about else { throw Problem("\(file): params.\(name).description must be text") }
                declared.description = text
            }
            if let secret = fields["secret"] {
                guard case .bool(let flag) = secret else { throw Problem("\(file): params.\(name).secret must be true or false") }
                declared.secret = flag
            }
            return declared
        case .array, .null:
            throw Problem("\(file): params.\(name) is \(value.kind); give a default value, or {\"type\": …, \"required\": true}")
        }
    }

    private static func describe(_ error: DecodingError) -> String {
        switch error {
        case .dataCorrupted(let context): (context.underlyingError.map { ErrorDescription.of($0) } ?? context.debugDescription)
        default: ErrorDescription.of(error)
        }
    }

    static func known(_ declarations: [String: Declaration]) -> String {
        declarations.isEmpty
            ? "it declares none under \"params\""
            : "its parameters are " + declarations.keys.sorted().joined(separator: ", ")
    }
}
