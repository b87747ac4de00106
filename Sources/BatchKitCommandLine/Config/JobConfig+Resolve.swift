import BatchKit
import BatchKitRunner

extension JobConfig {
    /// How a secret parameter's value is shown in messages.
    static let secretMask = RunOptions.secretMask

    /// The effective parameters: declared defaults, the environment file,
    /// `BATCHKIT_PARAM_<KEY>` variables, then `commandLine` (`--param`).
    ///
    /// - Throws: ``Problem`` for an unknown, ill-typed or missing parameter,
    ///   and for two names a step would see as one variable.
    public func resolve(commandLine: [String: String], variables: [String: String]) throws(Problem) -> Resolved {
        var resolved = Resolved(values: [:], sources: [:])
        guard let declarations else {
            // Nothing declared: take what is given, as given.
            resolved.values = environmentValues.merging(commandLine) { $1 }
            for key in environmentValues.keys { resolved.sources[key] = files.last ?? "config" }
            for key in commandLine.keys { resolved.sources[key] = "--param" }
            if let clash = ParameterClash.find(resolved.sources.map { ($0.key, $0.value) }) { throw Problem(clash.message) }
            return try Self.refusingNUL(resolved)
        }
        for key in commandLine.keys.sorted() where declarations[key] == nil {
            let hint = Suggestion.hint(for: key, among: Array(declarations.keys))
            throw Problem("--param \(key): unknown parameter\(hint); \(Self.known(declarations)) in config/base.json")
        }
        var missing: [String] = []
        for (name, declared) in declarations.sorted(by: { $0.key < $1.key }) {
            guard let (value, source) = try value(of: declared, commandLine: commandLine, variables: variables) else {
                if declared.required { missing.append(name) }
                continue
            }
            resolved.values[name] = value
            resolved.sources[name] = source
            if declared.secret { resolved.secrets.insert(name) }
        }
        if !missing.isEmpty {
            let lines = missing.map { name -> String in
                let about = declarations[name]?.description.map { " (\($0))" } ?? ""
                return "\(name)\(about): give --param \(name)=…, set \(Parameters.variableName(name)), or set it in config/<env>.json"
            }
            throw Problem("missing required parameter\(missing.count == 1 ? "" : "s"): " + lines.joined(separator: "; "))
        }
        return try Self.refusingNUL(resolved)
    }

    /// `resolved`, unless a value holds a NUL (JSON's `\u0000`): a step's
    /// environment variable would end there without a word.
    private static func refusingNUL(_ resolved: Resolved) throws(Problem) -> Resolved {
        for (name, value) in resolved.values.sorted(by: { $0.key < $1.key }) where value.utf8.contains(0) {
            throw Problem("parameter \(name) (from \(resolved.sources[name] ?? "config")) holds a NUL character (\\u0000), which would cut $\(Parameters.variableName(name)) short; remove it")
        }
        return resolved
    }

    /// The values of a resumed run's secret parameters, which were never
    /// recorded: from `commandLine` (`--param`), `BATCHKIT_PARAM_<KEY>`, the
    /// environment file or the declared default, as for a fresh run.
    ///
    /// - Parameters:
    ///   - names: The run's secret parameters (``RunState/secretParameters``).
    ///   - runID: The run being resumed, for messages.
    /// - Throws: ``Problem`` naming each one that has no value, and how to
    ///   give it; or for a value not of its declared type.
    public func secrets(
        _ names: [String], resuming runID: String, commandLine: [String: String], variables: [String: String]
    ) throws(Problem) -> [String: String] {
        var values: [String: String] = [:]
        var missing: [String] = []
        for name in names.sorted() {
            // A declaration removed since the run started: its value is taken as given.
            let declared = declarations?[name]
                ?? Declaration(name: name, type: .string, defaultValue: nil, required: true, description: nil, secret: true)
            if let (value, _) = try value(of: declared, commandLine: commandLine, variables: variables) {
                values[name] = value
            } else {
                missing.append(name)
            }
        }
        guard missing.isEmpty else {
            let one = missing.count == 1
            let options = missing.map { "--param \($0)=…" }.joined(separator: " ")
            let variables = missing.map(Parameters.variableName).joined(separator: " and ")
            throw Problem("--resume: run \(runID) has the secret parameter\(one ? "" : "s") \(missing.joined(separator: ", ")), "
                + "whose value\(one ? " is" : "s are") never recorded; give \(one ? "it" : "them") again with \(options), or set \(variables)")
        }
        return values
    }

    /// A declared parameter's value and where it came from, by precedence;
    /// `nil` when nothing gives it.
    ///
    /// - Throws: ``Problem`` for a value not of the declared type (a secret
    ///   one shown as `***`).
    private func value(
        of declared: Declaration, commandLine: [String: String], variables: [String: String]
    ) throws(Problem) -> (String, String)? {
        let name = declared.name
        let variable = Parameters.variableName(name)
        let candidates: [(value: String?, source: String)] = [
            (commandLine[name], "--param"),
            (variables[variable], "$\(variable)"),
            (environmentValues[name], files.last ?? ""),
            (declared.defaultValue, "config/base.json"),
        ]
        guard let found = candidates.first(where: { $0.value != nil }), let value = found.value else { return nil }
        guard declared.type.accepts(value) else {
            let shown = declared.secret ? Self.secretMask : value
            let given = found.source == "--param" ? "--param \(name)=\(shown)" : "\(name)=\(shown) (from \(found.source))"
            throw Problem("\(given) is not \(declared.type.phrase); config/base.json declares \(name) as \(declared.type.rawValue)")
        }
        return (value, found.source)
    }
}
