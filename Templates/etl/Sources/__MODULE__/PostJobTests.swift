import BatchKit
import Foundation

/// The post-job tests: run after every successful run of the steps, they
/// check the integrity of what the job produced. After fixing a bug, add a
/// test here so that it is caught if it ever comes back.
let postJobTests: [Check] = [
    .fileNotEmpty("data/output/daily_revenue.csv"),
    .csvHasColumns("data/output/daily_revenue.csv", DailyRevenue.columns),
    .csvRowCount("data/output/daily_revenue.csv", atLeast: 1),
    .csvValues("data/output/daily_revenue.csv", column: "revenue", in: 0...10_000_000),
    Check("revenue in the output equals the valid orders' revenue") { context in
        let orders = try OrderValidation.orders(from: CSVTable.read(context.path("data/staging/orders_valid.csv")))
        let expected = orders.reduce(0) { $0 + $1.revenueCents }
        let output = try CSVTable.read(context.path("data/output/daily_revenue.csv"))
        guard let column = output.column("revenue") else { throw CheckFailure("no revenue column") }
        let actual = output.rows.reduce(0) { $0 + (parseCents($1[column]) ?? 0) }
        guard actual == expected else {
            throw CheckFailure("output revenue \(formatCents(actual)) ≠ valid orders' revenue \(formatCents(expected))")
        }
        return "\(formatCents(actual)) from \(orders.count) orders"
    },
    Check("every output region is in the regions table") { context in
        let known = Set(try Region.parse(CSVTable.read(context.path("data/input/regions.csv"))).map(\.code))
        let output = try CSVTable.read(context.path("data/output/daily_revenue.csv"))
        guard let column = output.column("region") else { throw CheckFailure("no region column") }
        let regions = Set(output.rows.map { $0[column] })
        let unknown = regions.subtracting(known).sorted()
        guard unknown.isEmpty else { throw CheckFailure("unknown region(s) \(unknown.joined(separator: ", "))") }
        return regions.sorted().joined(separator: ", ")
    },
    Check("summary.json accounts for every extracted row") { context in
        let data = try Data(contentsOf: context.path("data/output/summary.json"))
        let summary = try JSONDecoder().decode(Summary.self, from: data)
        guard summary.extractedRows == summary.orders + summary.rejectedOrders else {
            throw CheckFailure("\(summary.extractedRows) extracted ≠ \(summary.orders) loaded + \(summary.rejectedOrders) rejected")
        }
        return "\(summary.extractedRows) rows from \(summary.sourceFiles.joined(separator: ", "))"
    },
    Check("every input row is either valid or rejected") { context in
        let raw = try CSVTable.read(context.path("data/staging/orders_raw.csv")).rows.count
        let valid = try CSVTable.read(context.path("data/staging/orders_valid.csv")).rows.count
        let rejected = try CSVTable.read(context.path("data/rejects/orders_rejected.csv")).rows.count
        guard raw == valid + rejected else {
            throw CheckFailure("\(raw) rows extracted but \(valid) valid + \(rejected) rejected")
        }
        return "\(valid) valid + \(rejected) rejected = \(raw)"
    },
]
