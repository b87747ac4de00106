import BatchKit
import BatchKitRunner

/// The parameters of an exported Airflow DAG: what `export airflow` was
/// given (`--env`, `--param`), which every task passes on, resolved against
/// `config/` exactly as `./run.sh` resolves them — declared defaults, then
/// `config/<env>.json`, then `BATCHKIT_PARAM_<KEY>`, then `--param`.
///
/// Export resolves them on its machine, to refuse what a task would refuse;
/// each task resolves them again on its worker, when it runs, so the
/// worker's `config/` and environment count (and a secret parameter's value,
/// which is never written into the DAG, comes from there).
struct AirflowParameters {
    /// The `--env` given, if any.
    let environment: String?
    /// The `--param` values given.
    let given: [String: String]

    /// What `arguments` give: `--env NAME` and `--param KEY=VALUE` (repeatable).
    ///
    /// - Throws: ``UsageError`` for a `--param` that is not `key=value`.
    init(_ arguments: Arguments, command: String) throws(UsageError) {
        environment = arguments.value("--env")
        given = try Parameters.parse(arguments.values("--param"), command: command)
    }

    /// The configuration and the effective parameters.
    ///
    /// - Parameters:
    ///   - layout: Where `config/` is.
    ///   - variables: The process environment: `$BATCHKIT_ENV` when no
    ///     `--env` was given, `BATCHKIT_PARAM_<KEY>`, notification variables.
    ///   - secretsRequired: `false` at export, where a required secret
    ///     parameter may have no value: the workers supply it.
    /// - Throws: ``JobConfig/Problem`` for an unreadable configuration, an
    ///   unknown, ill-typed or missing parameter, with `./run.sh`'s messages.
    func resolve(
        layout: RunLayout, variables: [String: String], secretsRequired: Bool = true
    ) throws(JobConfig.Problem) -> (config: JobConfig, resolved: JobConfig.Resolved) {
        let name = environment ?? variables["BATCHKIT_ENV"].flatMap { $0.isEmpty ? nil : $0 }
        let config = try JobConfig.load(projectDirectory: layout.projectDirectory, environment: name, variables: variables)
        var checked = config
        if !secretsRequired, let declarations = config.declarations {
            checked.declarations = declarations.mapValues { declared in
                var declared = declared
                if declared.secret { declared.required = false }
                return declared
            }
        }
        return (config, try checked.resolve(commandLine: given, variables: variables))
    }

    /// `name = value  (source)` for each parameter, a secret one's value as
    /// `***`, one per line, each line starting with `indent`.
    static func lines(_ resolved: JobConfig.Resolved, indent: String, note: (String) -> String = { _ in "" }) -> [String] {
        resolved.values.keys.sorted().map { name in
            let value = resolved.secrets.contains(name) ? JobConfig.secretMask : (resolved.values[name] ?? "")
            let source = resolved.sources[name] ?? "config"
            return "\(indent)\(name) = \(VisibleText.line(value))  (\(source)\(note(name)))"
        }
    }
}
