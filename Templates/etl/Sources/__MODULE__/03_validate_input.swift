import BatchKit
import Foundation

extension Step {
    /// Validate input: joins the staged orders (from Extract) with the
    /// regions (from Extract regions), so it runs after both (`after: [1,
    /// 2]`). It splits the rows into valid orders
    /// (`data/staging/orders_valid.csv`) and rejects with a reason
    /// (`data/rejects/orders_rejected.csv`); an order of a region the
    /// reference table lacks is rejected. It fails when more than
    /// `max_rejected_percent` (a parameter declared in config/base.json) of
    /// the rows are rejected.
    static let validateInput = Step("Validate input", after: [1, 2],
        reads: ["data/staging/orders_raw.csv", "data/staging/regions.csv"],
        writes: ["data/staging/orders_valid.csv", "data/rejects/orders_rejected.csv"]) { context in
        let raw = try CSVTable.read(context.path("data/staging/orders_raw.csv"))
        let regions = try Region.parse(CSVTable.read(context.path("data/staging/regions.csv")))
        let maxRejectedPercent = try context.parameters.require("max_rejected_percent", as: Int.self)
        let result = OrderValidation.validate(raw, knownRegions: Set(regions.map(\.code)))
        try OrderValidation.table(of: result.valid).write(to: context.path("data/staging/orders_valid.csv"))
        try result.rejectsTable.write(to: context.path("data/rejects/orders_rejected.csv"))
        for reject in result.rejects {
            context.log.warning("rejected \(reject.sourceFile):\(reject.sourceLine) order \(reject.orderID): \(reject.reason)")
        }
        context.log.info("\(result.valid.count) valid, \(result.rejects.count) rejected of \(raw.rows.count)")
        try OrderValidation.checkBudget(result, total: raw.rows.count, maxRejectedPercent: maxRejectedPercent)
    }
}
