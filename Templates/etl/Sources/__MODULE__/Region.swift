import BatchKit
import Foundation

/// One sales region of the reference table.
struct Region: Equatable {
    /// The code orders use in their `region` column.
    var code: String
    var country: String
    var manager: String

    static let columns = ["region", "country", "manager"]

    /// The regions of a reference table, checked: every column present, no
    /// empty or repeated code.
    static func parse(_ table: CSVTable) throws -> [Region] {
        let missing = columns.filter { table.column($0) == nil }
        guard missing.isEmpty else {
            throw DataError("data/input/regions.csv lacks column(s) \(missing.joined(separator: ", ")); expected \(columns.joined(separator: ","))")
        }
        let indexes = columns.compactMap { table.column($0) }
        var regions: [Region] = []
        var seen: Set<String> = []
        for (offset, row) in table.rows.enumerated() {
            let fields = indexes.map { $0 < row.count ? row[$0].trimmingCharacters(in: .whitespaces) : "" }
            let line = offset + 2
            guard !fields[0].isEmpty else { throw DataError("data/input/regions.csv:\(line): region is empty") }
            guard seen.insert(fields[0]).inserted else {
                throw DataError("data/input/regions.csv:\(line): region \(fields[0]) appears twice")
            }
            regions.append(Region(code: fields[0], country: fields[1], manager: fields[2]))
        }
        guard !regions.isEmpty else { throw DataError("data/input/regions.csv has no regions") }
        return regions
    }

    static func table(of regions: [Region]) -> CSVTable {
        CSVTable(header: columns, rows: regions.map { [$0.code, $0.country, $0.manager] })
    }
}
