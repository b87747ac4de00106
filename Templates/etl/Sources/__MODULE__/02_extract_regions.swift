import BatchKit
import Foundation

extension Step {
    /// Extract regions: reads the reference table of sales regions,
    /// `data/input/regions.csv`, checks it and stages it as
    /// `data/staging/regions.csv`. It needs nothing from Extract, so it
    /// declares no parents (`after: []`) and the two extracts run side by
    /// side; Validate input waits for both.
    static let extractRegions = Step("Extract regions", after: [],
        reads: ["data/input/regions.csv"],
        writes: ["data/staging/regions.csv"]) { context in
        let table = try CSVTable.read(context.path("data/input/regions.csv"))
        let regions = try Region.parse(table)
        try Region.table(of: regions).write(to: context.path("data/staging/regions.csv"))
        context.log.info("\(regions.count) regions: \(regions.map(\.code).joined(separator: ", "))")
    }
}
