import BatchKit

extension Step {
    /// Transform: aggregates the valid orders into revenue per day and region,
    /// `data/staging/daily_revenue.csv`.
    static let transform = Step("Transform",
        reads: ["data/staging/orders_valid.csv"],
        writes: ["data/staging/daily_revenue.csv"]) { context in
        let orders = try OrderValidation.orders(from: CSVTable.read(context.path("data/staging/orders_valid.csv")))
        let daily = DailyRevenue.aggregate(orders)
        try DailyRevenue.table(of: daily).write(to: context.path("data/staging/daily_revenue.csv"))
        context.log.info("aggregated \(orders.count) orders into \(daily.count) day/region rows")
    }
}

/// Revenue of one region on one day.
struct DailyRevenue: Equatable {
    var date: String
    var region: String
    var orders: Int
    var units: Int
    var revenueCents: Int

    static let columns = ["date", "region", "orders", "units", "revenue"]

    /// Groups orders by day and region, sorted by day then region.
    static func aggregate(_ orders: [Order]) -> [DailyRevenue] {
        var groups: [String: DailyRevenue] = [:]
        for order in orders {
            let key = "\(order.date)|\(order.region)"
            var entry = groups[key] ?? DailyRevenue(date: order.date, region: order.region, orders: 0, units: 0, revenueCents: 0)
            entry.orders += 1
            entry.units += order.quantity
            entry.revenueCents += order.revenueCents
            groups[key] = entry
        }
        return groups.values.sorted { ($0.date, $0.region) < ($1.date, $1.region) }
    }

    static func table(of rows: [DailyRevenue]) -> CSVTable {
        CSVTable(header: columns, rows: rows.map {
            [$0.date, $0.region, String($0.orders), String($0.units), formatCents($0.revenueCents)]
        })
    }
}
