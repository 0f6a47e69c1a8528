/// Parses the sizes, durations and CPU counts people write in service files:
/// `"64M"`, `"1.5G"`, `"10s"`, `"1m30s"`, `"500ms"`, `"1.5"`.
public enum Quantity {
    /// Bytes from `"512"`, `"64k"`, `"64M"`, `"1.5G"`, `"2GiB"`, `"100MB"` (units are
    /// binary, as docker reads them). Returns nil when the text is not a size.
    public static func bytes(_ text: String) -> Int64? {
        let t = text.trimmingWhitespace().lowercased()
        guard let split = t.firstIndex(where: { !($0.isNumber || $0 == ".") }) ?? Optional(t.endIndex),
              let value = Double(t[..<split]), value >= 0 else { return nil }
        let unit = t[split...].trimmingWhitespace()
        let factors: [String: Double] = [
            "": 1, "b": 1,
            "k": 1024, "kb": 1024, "ki": 1024, "kib": 1024,
            "m": Double(1 << 20), "mb": Double(1 << 20), "mi": Double(1 << 20), "mib": Double(1 << 20),
            "g": Double(1 << 30), "gb": Double(1 << 30), "gi": Double(1 << 30), "gib": Double(1 << 30),
            "t": Double(1 << 40), "tb": Double(1 << 40), "ti": Double(1 << 40), "tib": Double(1 << 40),
        ]
        guard let f = factors[unit] else { return nil }
        let bytes = value * f
        guard bytes < 9.2e18 else { return nil }
        return Int64(bytes.rounded())
    }

    /// Seconds from a Go-style duration (`"10s"`, `"1m30s"`, `"250ms"`, `"2h"`,
    /// `"1.5s"`, `"100us"`) or a bare number of seconds (`"1.5"`).
    public static func seconds(_ text: String) -> Double? {
        let t = text.trimmingWhitespace().lowercased()
        if t.isEmpty { return nil }
        if let plain = Double(t) { return plain >= 0 ? plain : nil }
        let units: [String: Double] = ["ns": 1e-9, "us": 1e-6, "µs": 1e-6, "ms": 1e-3, "s": 1, "m": 60, "h": 3600, "d": 86400]
        var total = 0.0
        var rest = Substring(t)
        while !rest.isEmpty {
            let numEnd = rest.firstIndex(where: { !($0.isNumber || $0 == ".") }) ?? rest.endIndex
            guard numEnd != rest.startIndex, let n = Double(rest[..<numEnd]) else { return nil }
            rest = rest[numEnd...]
            let unitEnd = rest.firstIndex(where: { $0.isNumber || $0 == "." }) ?? rest.endIndex
            guard let f = units[String(rest[..<unitEnd])] else { return nil }
            total += n * f
            rest = rest[unitEnd...]
        }
        return total
    }

    /// A CPU count from `"1.5"`, `"0.25"` or `"2"`; nil unless positive.
    public static func cpus(_ text: String) -> Double? {
        guard let v = Double(text.trimmingWhitespace()), v > 0 else { return nil }
        return v
    }

    /// Renders seconds compactly for humans: `850ms`, `12s`, `3m4s`, `2h5m`.
    public static func describe(seconds s: Double) -> String {
        if s < 1 { return "\(Int((s * 1000).rounded()))ms" }
        let total = Int(s)
        if total < 60 { return "\(total)s" }
        if total < 3600 { return "\(total / 60)m\(total % 60)s" }
        if total < 86400 { return "\(total / 3600)h\((total % 3600) / 60)m" }
        return "\(total / 86400)d\((total % 86400) / 3600)h"
    }

    /// Renders bytes with a binary unit: `512B`, `1.4MiB`, `2.0GiB`.
    public static func describe(bytes b: Int64) -> String {
        let units = ["B", "KiB", "MiB", "GiB", "TiB"]
        var v = Double(b)
        var i = 0
        while v >= 1024 && i < units.count - 1 { v /= 1024; i += 1 }
        if i == 0 { return "\(b)B" }
        let tenths = Int((v * 10).rounded())
        return "\(tenths / 10).\(tenths % 10)\(units[i])"
    }
}
