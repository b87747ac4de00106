/// A step's id: the number of its file (`03_transform.swift` is step 3), or
/// the ID column of a task list. Ids are what the DAG, the plan, the state and
/// the history key steps by.
///
/// An integer literal is a `StepID`, so `Step("Load", after: [1, 2])` reads
/// as before. It encodes as a plain number.
public struct StepID: RawRepresentable, Hashable, Comparable, Sendable, Codable, CodingKeyRepresentable,
    ExpressibleByIntegerLiteral, CustomStringConvertible
{
    public let rawValue: Int

    public init(rawValue: Int) {
        self.rawValue = rawValue
    }

    public init(_ rawValue: Int) {
        self.rawValue = rawValue
    }

    public init(integerLiteral value: Int) {
        self.rawValue = value
    }

    /// Reads an id written as a number (`"7"`, `"07"`); `nil` for anything else.
    public init?(_ text: some StringProtocol) {
        // `Int(String)`, not the generic parse: a history holds one per row.
        guard let value = Int(String(text)) else { return nil }
        self.rawValue = value
    }

    public init(from decoder: any Decoder) throws {
        // A number; journals of batchkit 0.1 wrote some ids as text ("3").
        let container = try decoder.singleValueContainer()
        if let value = try? container.decode(Int.self) {
            rawValue = value
        } else if let value = Int(try container.decode(String.self)) {
            rawValue = value
        } else {
            throw DecodingError.dataCorruptedError(in: container, debugDescription: "a step id must be a whole number")
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(rawValue)
    }

    /// As a dictionary key in JSON, an id is its number as text (`{"7": …}`).
    public var codingKey: any CodingKey { Key(stringValue: description) }

    public init?<T: CodingKey>(codingKey: T) {
        guard let value = codingKey.intValue ?? Int(codingKey.stringValue) else { return nil }
        self.rawValue = value
    }

    private struct Key: CodingKey {
        var stringValue: String
        var intValue: Int? { Int(stringValue) }
        init(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { self.stringValue = String(intValue) }
    }

    public static func < (lhs: StepID, rhs: StepID) -> Bool {
        lhs.rawValue < rhs.rawValue
    }

    /// The number, as the CSV history and the state file write it (`7`).
    public var description: String { String(rawValue) }

    /// As shown to people: two digits at least, like its file (`07`, `12`).
    public var display: String {
        (0..<10).contains(rawValue) ? "0\(rawValue)" : String(rawValue)
    }
}
