import BatchKit
import Foundation

extension Step {
    /// Extract: gathers every `data/input/orders*.csv` into one staging file,
    /// `data/staging/orders_raw.csv`, noting where each row came from.
    static let extract = Step("Extract",
        reads: ["data/input/orders*.csv"],
        writes: ["data/staging/orders_raw.csv"]) { context in
        let inputFolder = context.path("data/input")
        let files = try FileManager.default.contentsOfDirectory(atPath: inputFolder.path)
            .filter { $0.hasPrefix("orders") && $0.hasSuffix(".csv") }
            .sorted()
        guard !files.isEmpty else {
            throw DataError("no orders*.csv files in data/input; put the day's order exports there")
        }
        let combined = try Extract.combine(files.map { name in
            (name, try CSVTable.read(inputFolder.appendingPathComponent(name)))
        })
        try combined.write(to: context.path("data/staging/orders_raw.csv"))
        // Shared with later steps (in other processes, and after a --resume).
        try context.values.set("extracted_rows", combined.rows.count)
        try context.values.set("source_files", files)
        context.log.info("extracted \(combined.rows.count) rows from \(files.count) file(s): \(files.joined(separator: ", "))")
    }
}

/// The extract step's logic, kept free of I/O so tests can call it.
enum Extract {
    /// Concatenates order files that share the expected header, adding
    /// `source_file` and `source_line` columns for traceability.
    static func combine(_ files: [(name: String, table: CSVTable)]) throws -> CSVTable {
        var combined = CSVTable(header: Order.columns + ["source_file", "source_line"])
        for (name, table) in files {
            let missing = Order.columns.filter { table.column($0) == nil }
            guard missing.isEmpty else {
                throw DataError("data/input/\(name) lacks column(s) \(missing.joined(separator: ", ")); expected \(Order.columns.joined(separator: ","))")
            }
            let indexes = Order.columns.compactMap { table.column($0) }
            for (offset, row) in table.rows.enumerated() {
                let fields = indexes.map { $0 < row.count ? row[$0] : "" }
                combined.rows.append(fields + [name, String(offset + 2)])
            }
        }
        return combined
    }
}
