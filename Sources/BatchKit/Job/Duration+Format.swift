import Foundation

/// Human durations: `0.42 s`, `12.3 s`, `4 m 05 s`, `1 h 02 m`.
public enum DurationFormat {
    public static func seconds(_ value: Double) -> String {
        if value < 10 { return String(format: "%.2f s", value) }
        if value < 60 { return String(format: "%.1f s", value) }
        let total = Int(value.rounded())
        if total < 3600 { return String(format: "%d m %02d s", total / 60, total % 60) }
        return String(format: "%d h %02d m", total / 3600, (total % 3600) / 60)
    }
}
