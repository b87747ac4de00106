import BatchKit
import Foundation

/// The validation rules, free of I/O so tests can call them.
enum OrderValidation {
    struct Reject: Equatable {
        var sourceFile: String
        var sourceLine: String
        var orderID: String
        var reason: String
    }

    struct Result {
        var valid: [Order]
        var rejects: [Reject]

        var rejectsTable: CSVTable {
            CSVTable(
                header: ["source_file", "source_line", "order_id", "reason"],
                rows: rejects.map { [$0.sourceFile, $0.sourceLine, $0.orderID, $0.reason] })
        }
    }

    /// Validates staged rows (the extract step's columns); with
    /// `knownRegions`, an order of any other region is rejected.
    static func validate(_ table: CSVTable, knownRegions: Set<String>? = nil) -> Result {
        var result = Result(valid: [], rejects: [])
        var seen: Set<String> = []
        let column = { (name: String) in table.column(name) ?? Int.max }
        for row in table.rows {
            func field(_ name: String) -> String {
                let index = column(name)
                return index < row.count ? row[index].trimmingCharacters(in: .whitespaces) : ""
            }
            let id = field("order_id")
            func reject(_ reason: String) {
                result.rejects.append(Reject(
                    sourceFile: field("source_file"), sourceLine: field("source_line"), orderID: id, reason: reason))
            }
            guard !id.isEmpty else { reject("order_id is empty"); continue }
            guard !seen.contains(id) else { reject("duplicate order_id \(id)"); continue }
            guard isValidDate(field("order_date")) else { reject("order_date \"\(field("order_date"))\" is not a date (YYYY-MM-DD)"); continue }
            guard !field("region").isEmpty else { reject("region is empty"); continue }
            if let knownRegions, !knownRegions.contains(field("region")) {
                reject("region \"\(field("region"))\" is not in data/input/regions.csv"); continue
            }
            guard let quantity = Int(field("quantity")), quantity > 0 else {
                reject("quantity \"\(field("quantity"))\" is not a whole number above 0"); continue
            }
            guard let cents = parseCents(field("unit_price")) else {
                reject("unit_price \"\(field("unit_price"))\" is not a price like 4.50"); continue
            }
            seen.insert(id)
            result.valid.append(Order(
                id: id, date: field("order_date"), region: field("region"), product: field("product"),
                quantity: quantity, unitPriceCents: cents))
        }
        return result
    }

    /// Fails the step when more than `maxRejectedPercent` percent of the
    /// `total` rows were rejected.
    static func checkBudget(_ result: Result, total: Int, maxRejectedPercent: Int) throws {
        guard total > 0 else { throw DataError("there are no orders to validate") }
        // In whole numbers, so that 10% of 50 rows is exactly 5.
        guard result.rejects.count * 100 <= maxRejectedPercent * total else {
            let percent = Int((Double(result.rejects.count * 100) / Double(total)).rounded())
            throw DataError(
                "\(result.rejects.count) of \(total) orders rejected (\(percent)%), more than max_rejected_percent "
                    + "(\(maxRejectedPercent)%); see data/rejects/orders_rejected.csv, "
                    + "or allow more with --param max_rejected_percent=N")
        }
    }

    /// The valid orders as a CSV table.
    static func table(of orders: [Order]) -> CSVTable {
        CSVTable(header: Order.columns, rows: orders.map {
            [$0.id, $0.date, $0.region, $0.product, String($0.quantity), formatCents($0.unitPriceCents)]
        })
    }

    /// Orders back from `table(of:)`.
    static func orders(from table: CSVTable) throws -> [Order] {
        let validated = validate(table)
        guard validated.rejects.isEmpty else {
            throw DataError("staged orders contain invalid rows: \(validated.rejects[0].reason)")
        }
        return validated.valid
    }

    /// A real calendar date in `YYYY-MM-DD` form.
    static func isValidDate(_ text: String) -> Bool {
        let parts = text.split(separator: "-")
        guard text.count == 10, parts.count == 3,
              let year = Int(parts[0]), let month = Int(parts[1]), let day = Int(parts[2]),
              (1...12).contains(month), day >= 1
        else { return false }
        let leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
        let days = [31, leap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31]
        return day <= days[month - 1]
    }
}
