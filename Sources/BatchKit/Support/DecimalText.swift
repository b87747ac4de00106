/// Numbers with a fixed number of decimals, made by hand: `String(format:)`
/// costs microseconds, and a 1,000-step report writes thousands of them.
package enum DecimalText {
    /// `value` with `decimals` decimals (`fixed(2.345, decimals: 1)` is
    /// `2.3`), halfway cases rounded to even as `printf` rounds them.
    package static func fixed(_ value: Double, decimals: Int) -> String {
        guard value.isFinite, value.magnitude < 1e15 else { return "\(value)" }
        var scale = 1
        for _ in 0..<decimals { scale *= 10 }
        let scaled = Int((value * Double(scale)).rounded(.toNearestOrEven))
        let whole = scaled.magnitude / UInt(scale)
        guard decimals > 0 else { return (scaled < 0 ? "-" : "") + String(whole) }
        var fraction = String(scaled.magnitude % UInt(scale))
        while fraction.utf8.count < decimals { fraction = "0" + fraction }
        return (scaled < 0 ? "-" : "") + String(whole) + "." + fraction
    }
}
