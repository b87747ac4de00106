import BatchKit

/// One valid order, as the validation step accepts it and later steps use it.
struct Order: Equatable, Sendable {
    var id: String
    /// `YYYY-MM-DD`.
    var date: String
    var region: String
    var product: String
    var quantity: Int
    /// Prices are kept in whole cents so that sums are exact.
    var unitPriceCents: Int

    var revenueCents: Int { quantity * unitPriceCents }

    /// The columns every orders file must have.
    static let columns = ["order_id", "order_date", "region", "product", "quantity", "unit_price"]
}

/// Money as text with two decimals: 1234 → "12.34".
func formatCents(_ cents: Int) -> String {
    let sign = cents < 0 ? "-" : ""
    let magnitude = abs(cents)
    let fraction = magnitude % 100
    return "\(sign)\(magnitude / 100).\(fraction < 10 ? "0" : "")\(fraction)"
}

/// Parses a price with at most two decimals ("4.5", "12.00") into cents.
func parseCents(_ text: String) -> Int? {
    let parts = text.split(separator: ".", omittingEmptySubsequences: false)
    guard (1...2).contains(parts.count), let whole = Int(parts[0]), whole >= 0 else { return nil }
    guard parts.count == 2 else { return whole * 100 }
    let fraction = parts[1]
    guard (1...2).contains(fraction.count), fraction.allSatisfy(\.isASCII), let digits = Int(fraction) else { return nil }
    return whole * 100 + (fraction.count == 1 ? digits * 10 : digits)
}
