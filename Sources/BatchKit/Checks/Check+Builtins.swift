import Foundation

extension Check {
    /// Passes when the file at `path` (relative to the project) exists and is
    /// not empty.
    public static func fileNotEmpty(_ path: String) -> Check {
        Check("\(path) exists and is not empty") { context in
            let url = context.path(path)
            guard let attributes = try? FileManager.default.attributesOfItem(atPath: url.path) else {
                throw CheckFailure("\(path) does not exist")
            }
            let size = (attributes[.size] as? NSNumber)?.intValue ?? 0
            guard size > 0 else { throw CheckFailure("\(path) is empty") }
            return "\(size) bytes"
        }
    }

    /// Passes when the CSV at `path` has a number of data rows (header not
    /// counted) within `range`.
    public static func csvRowCount(_ path: String, in range: ClosedRange<Int>) -> Check {
        Check("\(path) has \(range.lowerBound)…\(range.upperBound) rows") { context in
            let count = try CSVTable.read(context.path(path)).rows.count
            guard range.contains(count) else {
                throw CheckFailure("\(path) has \(count) rows, expected \(range.lowerBound)…\(range.upperBound)")
            }
            return "\(count) rows"
        }
    }

    /// Passes when the CSV at `path` has at least `minimum` data rows.
    public static func csvRowCount(_ path: String, atLeast minimum: Int) -> Check {
        Check("\(path) has at least \(minimum) row\(minimum == 1 ? "" : "s")") { context in
            let count = try CSVTable.read(context.path(path)).rows.count
            guard count >= minimum else {
                throw CheckFailure("\(path) has \(count) rows, expected at least \(minimum)")
            }
            return "\(count) rows"
        }
    }

    /// Passes when the CSV at `path` has every column in `columns`.
    public static func csvHasColumns(_ path: String, _ columns: [String]) -> Check {
        Check("\(path) has columns \(columns.joined(separator: ", "))") { context in
            let header = try CSVTable.read(context.path(path)).header
            let missing = columns.filter { !header.contains($0) }
            guard missing.isEmpty else {
                throw CheckFailure("\(path) lacks column\(missing.count == 1 ? "" : "s") \(missing.joined(separator: ", ")); it has \(header.joined(separator: ", "))")
            }
            return nil
        }
    }

    /// Passes when every value of `column` in the CSV at `path` is a number
    /// within `range`.
    public static func csvValues(_ path: String, column: String, in range: ClosedRange<Double>) -> Check {
        let bounds = "\(number(range.lowerBound))…\(number(range.upperBound))"
        return Check("\(path) column \(column) within \(bounds)") { context in
            let table = try CSVTable.read(context.path(path))
            guard let index = table.column(column) else {
                throw CheckFailure("\(path) has no column \(column)")
            }
            for (offset, row) in table.rows.enumerated() {
                let text = index < row.count ? row[index] : ""
                guard let value = Double(text) else {
                    throw CheckFailure("\(path) line \(offset + 2): \(column) is \"\(text)\", not a number")
                }
                guard range.contains(value) else {
                    throw CheckFailure("\(path) line \(offset + 2): \(column) is \(text), outside \(bounds)")
                }
            }
            return "\(table.rows.count) values"
        }
    }

    /// `10000000.0` → `10000000`, `0.5` → `0.5`.
    private static func number(_ value: Double) -> String {
        value == value.rounded() && abs(value) < 1e15 ? String(Int64(value)) : String(value)
    }
}
