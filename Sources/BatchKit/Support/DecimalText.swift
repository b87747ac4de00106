/// Numbers with a fixed number of decimals, made by hand: `String(format:)`
/// costs microseconds, and a 1,000-step report writes thousands of them.
package enum DecimalText {
    /// `value` with `decimals` (0 to 6) decimals, rounded as `printf` rounds:
    /// to the nearest of the binary value itself (`12.35`, stored as
    /// 12.3499…, gives `12.3`), and a value exactly halfway to even.
    package static func fixed(_ value: Double, decimals: Int) -> String {
        precondition((0...6).contains(decimals), "0 to 6 decimals")
        var scale = 1.0
        for _ in 0..<decimals { scale *= 10 }
        let magnitude = value.magnitude
        guard value.isFinite, magnitude * scale < 9e18 else { return "\(value)" }
        let product = magnitude * scale
        var units = product.rounded(.toNearestOrEven)
        if product - product.rounded(.down) == 0.5 {
            // The product was rounded onto a tie: what it lost says which side the value is on.
            let lost = (-product).addingProduct(magnitude, scale)
            units = lost > 0 ? product.rounded(.up) : lost < 0 ? product.rounded(.down) : units
        }
        let whole = UInt64(units), unit = UInt64(scale)
        let sign = value.sign == .minus ? "-" : ""
        guard decimals > 0 else { return sign + String(whole) }
        var fraction = String(whole % unit)
        while fraction.utf8.count < decimals { fraction = "0" + fraction }
        return sign + String(whole / unit) + "." + fraction
    }
}
