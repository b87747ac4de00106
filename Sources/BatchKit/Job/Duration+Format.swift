/// Human durations: `0.42 s`, `12.3 s`, `4 m 05 s`, `1 h 02 m`.
public enum DurationFormat {
    public static func seconds(_ value: Double) -> String {
        guard value.isFinite, value.magnitude < 1e12 else { return "\(value) s" }
        if value < 10 { return DecimalText.fixed(value, decimals: 2) + " s" }
        if value < 60 { return DecimalText.fixed(value, decimals: 1) + " s" }
        let total = Int(value.rounded())
        if total < 3600 { return "\(total / 60) m \(twoDigits(total % 60)) s" }
        return "\(total / 3600) h \(twoDigits((total % 3600) / 60)) m"
    }

    private static func twoDigits(_ value: Int) -> String { value < 10 ? "0\(value)" : String(value) }
}
