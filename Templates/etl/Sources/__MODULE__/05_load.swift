import BatchKit
import Foundation

extension Step {
    /// Load: publishes the results into the target, `data/output/`:
    /// `daily_revenue.csv` and `summary.json`. Each file is written to a
    /// temporary name and renamed, so readers never see half a file.
    static let load = Step("Load",
        reads: ["data/staging/daily_revenue.csv", "data/rejects/orders_rejected.csv"],
        writes: ["data/output/daily_revenue.csv", "data/output/summary.json"]) { context in
        let daily = try CSVTable.read(context.path("data/staging/daily_revenue.csv"))
        let rejected = try CSVTable.read(context.path("data/rejects/orders_rejected.csv")).rows.count
        try daily.write(to: context.path("data/output/daily_revenue.csv"))
        let extracted = try context.values.require("extracted_rows", as: Int.self)
        let sources = try context.values.require("source_files", as: [String].self)
        let summary = try Summary.make(
            daily: daily, rejected: rejected, extracted: extracted, sources: sources, runID: context.runID)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        try encoder.encode(summary).write(to: context.path("data/output/summary.json"), options: .atomic)
        context.log.info("loaded \(daily.rows.count) rows; revenue \(summary.revenue) from \(summary.orders) orders")
    }
}

/// The run's totals, written to data/output/summary.json.
struct Summary: Codable, Equatable {
    var runID: String
    var sourceFiles: [String]
    var extractedRows: Int
    var orders: Int
    var units: Int
    var revenue: String
    var rejectedOrders: Int

    static func make(daily: CSVTable, rejected: Int, extracted: Int, sources: [String], runID: String) throws -> Summary {
        guard let ordersColumn = daily.column("orders"), let unitsColumn = daily.column("units"),
              let revenueColumn = daily.column("revenue")
        else { throw DataError("daily_revenue.csv lacks the orders, units or revenue column") }
        var orders = 0, units = 0, cents = 0
        for row in daily.rows {
            orders += Int(row[ordersColumn]) ?? 0
            units += Int(row[unitsColumn]) ?? 0
            cents += parseCents(row[revenueColumn]) ?? 0
        }
        return Summary(
            runID: runID, sourceFiles: sources, extractedRows: extracted, orders: orders, units: units,
            revenue: formatCents(cents), rejectedOrders: rejected)
    }
}
