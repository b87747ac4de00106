import Foundation

/// A CSV file in memory: a header and rows of fields, with lookup by column
/// name. Meant for the small and medium files steps and checks read.
public struct CSVTable: Sendable, Equatable {
    /// Column names, from the first record.
    public var header: [String]
    /// The records after the header.
    public var rows: [[String]]

    public init(header: [String], rows: [[String]] = []) {
        self.header = header
        self.rows = rows
    }

    /// An error reading a CSV file: the file, and what went wrong.
    public struct ReadError: Error, CustomStringConvertible, Sendable {
        public let path: String
        public let message: String
        public var description: String { "\(path): \(message)" }

        package init(path: String, message: String) {
            self.path = path
            self.message = message
        }
    }

    /// Reads and parses a CSV file whose first record is its header.
    ///
    /// - Throws: ``ReadError`` naming the file (and line) when it is missing,
    ///   not UTF-8, malformed or has no header.
    public static func read(_ url: URL) throws -> CSVTable {
        let data: Data
        do {
            data = try Data(contentsOf: url)
        } catch {
            throw ReadError(path: url.path, message: "cannot read the file: \(ErrorDescription.of(error))")
        }
        let parsed: Result<[[String]], CSV.ParseError> = data.withUnsafeBytes { bytes in
            do throws(CSV.ParseError) {
                return .success(try CSV.parse(bytes: bytes))
            } catch {
                return .failure(error)
            }
        }
        let records: [[String]]
        switch parsed {
        case .success(let value): records = value
        case .failure(let error): throw ReadError(path: url.path, message: error.description)
        }
        guard let header = records.first else {
            throw ReadError(path: url.path, message: "the file is empty; expected a header line")
        }
        return CSVTable(header: header, rows: Array(records.dropFirst()))
    }

    /// The index of the column named `name`, if present.
    public func column(_ name: String) -> Int? {
        header.firstIndex(of: name)
    }

    /// The whole table as RFC 4180 text.
    public func encoded() -> String {
        var text = CSV.encodeRecord(header)
        for row in rows { text += CSV.encodeRecord(row) }
        return text
    }

    /// Writes the table atomically: a temporary file beside the target, then
    /// a rename, so readers never see half a file.
    public func write(to url: URL) throws {
        try FileManager.default.createDirectory(
            at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        try Data(encoded().utf8).write(to: url, options: .atomic)
    }
}
