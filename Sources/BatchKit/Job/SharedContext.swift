import Foundation

/// Values that steps share across process boundaries, like PyRunner's
/// `self.context`: a step sets a typed value, and steps that run after it —
/// in later processes, even after a `--resume` — read it.
///
/// ```swift
/// try context.values.set("run_date", "2026-11-21")
/// let runDate = try context.values.get("run_date", as: String.self)
/// ```
///
/// Values are stored as JSON. A step's changes reach the run only when the
/// step passes; they are saved with the run's state. When parallel steps set
/// the same key, the one that finishes last wins.
public final class SharedContext: @unchecked Sendable {
    private let lock = NSLock()
    private var values: [String: String]
    private var changed: Set<String> = []

    /// A context holding `values` (key → JSON text).
    public init(_ values: [String: String] = [:]) {
        self.values = values
    }

    /// A value that cannot be decoded as the type asked for.
    public struct TypeMismatch: Error, CustomStringConvertible {
        public let key: String
        public let json: String
        public let type: String
        public var description: String { "context value \"\(key)\" is \(json), which is not a \(type)" }
    }

    /// Sets `key` to `value`.
    ///
    /// - Throws: An `EncodingError` when the value cannot be encoded as JSON.
    public func set<Value: Encodable>(_ key: String, _ value: Value) throws {
        let encoder = JSONCoding.encoder(pretty: false)
        let json = String(decoding: try encoder.encode(value), as: UTF8.self)
        lock.withLock {
            values[key] = json
            changed.insert(key)
        }
    }

    /// The value of `key` as `type`, or `nil` when no step has set it.
    ///
    /// - Throws: ``TypeMismatch`` when the stored value is not a `type`.
    public func get<Value: Decodable>(_ key: String, as type: Value.Type = Value.self) throws -> Value? {
        guard let json = lock.withLock({ values[key] }) else { return nil }
        let decoder = JSONCoding.decoder()
        do {
            return try decoder.decode(Value.self, from: Data(json.utf8))
        } catch {
            throw TypeMismatch(key: key, json: json, type: String(describing: Value.self))
        }
    }

    /// A value a step needs that no step before it set.
    public struct MissingValue: Error, CustomStringConvertible {
        public let key: String
        public var description: String {
            "context value \"\(key)\" is not set: no step that ran before this one set it. In a partial run "
                + "(--only, --from), the steps left out pass on what they set in the latest run where they passed, and none had; "
                + "run the steps before this one first (the whole job, or --from an earlier step)"
        }
    }

    /// The value of `key` as `type`, which a step before this one must have
    /// set: use it for what a step cannot do without (its input files), so
    /// that a partial run without it fails clearly instead of computing on
    /// nothing.
    ///
    /// - Throws: ``MissingValue`` when no step set it; ``TypeMismatch``
    ///   when it is not a `type`.
    public func require<Value: Decodable>(_ key: String, as type: Value.Type = Value.self) throws -> Value {
        guard let value = try get(key, as: type) else { throw MissingValue(key: key) }
        return value
    }

    /// Every key currently set.
    public var keys: [String] { lock.withLock { values.keys.sorted() } }

    /// The values this process set, as key → JSON text.
    public var changes: [String: String] {
        lock.withLock { values.filter { changed.contains($0.key) } }
    }

    /// All values, as key → JSON text.
    public var snapshot: [String: String] { lock.withLock { values } }
}
