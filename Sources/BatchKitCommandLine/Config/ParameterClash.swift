import BatchKit

/// Two or more parameter names that a step would see as one variable:
/// `a.b`, `a-b` and `A_B` all become `BATCHKIT_PARAM_A_B`, which can hold
/// only one of their values.
struct ParameterClash: Sendable {
    /// The variable they share.
    let variable: String
    /// The names, each with where it came from (`config/base.json`,
    /// `config/prod.json`, `--param`), by name.
    let names: [(name: String, source: String)]

    /// The first clash among `names` (by variable), or `nil` when every name
    /// has a variable of its own.
    static func find(_ names: [(name: String, source: String)]) -> ParameterClash? {
        let byVariable = Dictionary(grouping: names) { Parameters.variableName($0.name) }
        guard let (variable, group) = byVariable.filter({ $0.value.count > 1 }).min(by: { $0.key < $1.key }) else { return nil }
        return ParameterClash(variable: variable, names: group.sorted { ($0.name, $0.source) < ($1.name, $1.source) })
    }

    /// What clashes, where each name came from, and what to do.
    var message: String {
        let sources = Set(names.map(\.source))
        let what: String
        if sources.count == 1, let file = sources.first, file != "--param" {
            what = "\(file) has \(Self.list(names.map(\.name)))"
        } else {
            what = Self.list(names.map { $0.source == "--param" ? "--param \($0.name)" : "\($0.name) in \($0.source)" })
        }
        return "\(what): \(names.count == 2 ? "both" : "all") become $\(variable), so a step would get only one of them; "
            + "keep one name (names that differ only in case or in . - _ are one parameter to a step)"
    }

    private static func list(_ items: [String]) -> String {
        items.count <= 2 ? items.joined(separator: " and ") : items.dropLast().joined(separator: ", ") + " and " + (items.last ?? "")
    }
}
