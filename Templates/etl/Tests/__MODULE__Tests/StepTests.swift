import BatchKit
import Foundation
import Testing

@testable import {{MODULE}}

/// Unit tests of the steps' logic. Run them with `swift test`; the post-job
/// tests in Sources/{{MODULE}}/PostJobTests.swift check a real run's outputs.
@Suite struct StepTests {
    static let header = Order.columns + ["source_file", "source_line"]

    static func row(_ id: String, _ date: String, _ quantity: String, _ price: String, line: Int = 2) -> [String] {
        [id, date, "North", "Widget", quantity, price, "orders.csv", String(line)]
    }

    @Test func extractAddsSourceColumnsAndRejectsMissingColumns() throws {
        let good = CSVTable(header: Order.columns, rows: [["1", "2026-11-02", "North", "Widget", "1", "4.50"]])
        let combined = try Extract.combine([("orders.csv", good)])
        #expect(combined.rows == [["1", "2026-11-02", "North", "Widget", "1", "4.50", "orders.csv", "2"]])

        let bad = CSVTable(header: ["order_id"], rows: [])
        #expect(throws: DataError.self) { try Extract.combine([("orders_bad.csv", bad)]) }
    }

    @Test(arguments: [
        (row("1", "2026-11-02", "-1", "4.50"), "quantity"),
        (row("1", "2026-11-02", "two", "4.50"), "quantity"),
        (row("1", "2026-13-40", "1", "4.50"), "order_date"),
        (row("1", "2026-02-29", "1", "4.50"), "order_date"),
        (row("1", "2026-11-02", "1", "4.505"), "unit_price"),
        (row("", "2026-11-02", "1", "4.50"), "order_id"),
    ])
    func validationRejectsBadRows(row: [String], reasonMentions: String) {
        let result = OrderValidation.validate(CSVTable(header: Self.header, rows: [row]))
        #expect(result.valid.isEmpty)
        #expect(result.rejects.count == 1)
        #expect(result.rejects.first?.reason.contains(reasonMentions) == true)
    }

    @Test func validationRejectsDuplicateIDsButKeepsTheFirst() {
        let table = CSVTable(header: Self.header, rows: [
            Self.row("7", "2026-11-02", "1", "4.50", line: 2),
            Self.row("7", "2026-11-03", "2", "4.50", line: 3),
        ])
        let result = OrderValidation.validate(table)
        #expect(result.valid.map(\.date) == ["2026-11-02"])
        #expect(result.rejects.map(\.sourceLine) == ["3"])
    }

    @Test func validationRejectsOrdersOfRegionsTheReferenceTableLacks() {
        let table = CSVTable(header: Self.header, rows: [
            Self.row("1", "2026-11-02", "1", "4.50", line: 2),
            ["2", "2026-11-02", "Atlantis", "Widget", "1", "4.50", "orders.csv", "3"],
        ])
        let result = OrderValidation.validate(table, knownRegions: ["North"])
        #expect(result.valid.map(\.id) == ["1"])
        #expect(result.rejects.map(\.reason) == ["region \"Atlantis\" is not in data/input/regions.csv"])
    }

    @Test func regionsTableRejectsRepeatedAndMissingCodes() throws {
        let good = CSVTable(header: Region.columns, rows: [["North", "Norway", "Ingrid"], ["South", "Spain", "Lucia"]])
        #expect(try Region.parse(good).map(\.code) == ["North", "South"])
        let repeated = CSVTable(header: Region.columns, rows: [["North", "Norway", "A"], ["North", "Norway", "B"]])
        #expect(throws: DataError.self) { try Region.parse(repeated) }
        #expect(throws: DataError.self) { try Region.parse(CSVTable(header: ["region"], rows: [["North"]])) }
    }

    @Test func errorBudgetFailsWhenTooManyRowsAreRejected() {
        let result = OrderValidation.Result(valid: [], rejects: [.init(sourceFile: "f", sourceLine: "2", orderID: "1", reason: "x")])
        #expect(throws: DataError.self) { try OrderValidation.checkBudget(result, total: 5, maxRejectedPercent: 10) }
        #expect(throws: Never.self) { try OrderValidation.checkBudget(result, total: 10, maxRejectedPercent: 10) }
        #expect(throws: Never.self) { try OrderValidation.checkBudget(result, total: 5, maxRejectedPercent: 20) }
    }

    @Test func pricesAreParsedExactly() {
        #expect(parseCents("4.5") == 450)
        #expect(parseCents("12.00") == 1200)
        #expect(parseCents("7") == 700)
        #expect(parseCents("-1.00") == nil)
        #expect(parseCents("1.2.3") == nil)
        #expect(formatCents(123_456) == "1234.56")
        #expect(formatCents(5) == "0.05")
    }

    @Test func transformAggregatesByDayAndRegion() {
        let orders = [
            Order(id: "1", date: "2026-11-02", region: "North", product: "A", quantity: 2, unitPriceCents: 450),
            Order(id: "2", date: "2026-11-02", region: "North", product: "B", quantity: 1, unitPriceCents: 1200),
            Order(id: "3", date: "2026-11-02", region: "East", product: "A", quantity: 1, unitPriceCents: 450),
        ]
        #expect(DailyRevenue.aggregate(orders) == [
            DailyRevenue(date: "2026-11-02", region: "East", orders: 1, units: 1, revenueCents: 450),
            DailyRevenue(date: "2026-11-02", region: "North", orders: 2, units: 3, revenueCents: 2100),
        ])
    }

    @Test func loadSummarisesTheDailyTable() throws {
        let daily = DailyRevenue.table(of: [
            DailyRevenue(date: "2026-11-02", region: "East", orders: 1, units: 1, revenueCents: 450),
            DailyRevenue(date: "2026-11-02", region: "North", orders: 2, units: 3, revenueCents: 2100),
        ])
        let summary = try Summary.make(daily: daily, rejected: 4, extracted: 7, sources: ["orders.csv"], runID: "r1")
        #expect(summary == Summary(
            runID: "r1", sourceFiles: ["orders.csv"], extractedRows: 7, orders: 3, units: 4, revenue: "25.50",
            rejectedOrders: 4))
    }

    @Test func theShippedSampleHasExactlyItsKnownBadRows() throws {
        let root = URL(fileURLWithPath: #filePath)
            .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let sample = try CSVTable.read(root.appendingPathComponent("data/input/orders.csv"))
        let staged = try Extract.combine([("orders.csv", sample)])
        let regions = try Region.parse(CSVTable.read(root.appendingPathComponent("data/input/regions.csv")))
        let result = OrderValidation.validate(staged, knownRegions: Set(regions.map(\.code)))
        #expect(result.rejects.map(\.orderID) == ["1013", "1017", "1021", "1028"])
        #expect(result.valid.count == sample.rows.count - 4)
    }
}
