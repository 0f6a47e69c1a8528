#if canImport(Glibc)
import Glibc
#endif
import SwiftBoxLinux
import SwiftBoxOCI

/// `linux.resources.cpu` on the v2 cpu controller: shares → cpu.weight,
/// quota/period → cpu.max, burst → cpu.max.burst, idle → cpu.idle.
/// cgroup v2 has no realtime group scheduling.
enum CpuV2 {
    static let field = "linux.resources.cpu"

    /// crun's documented conversion (crun.1.md, "CPU controller"): a curve in
    /// log space through 2 → 1, 1024 → 100 (both defaults) and 262144 → 10000.
    static func weight(fromShares shares: UInt64) -> UInt64 {
        if shares == 0 { return 0 }
        if shares <= 2 { return 1 }
        if shares >= 262_144 { return 10_000 }
        let l = log2(Double(shares))
        let exponent = (l * l + 125 * l) / 612.0 - 7.0 / 34.0
        return min(10_000, max(1, UInt64(ceil(pow(10, exponent)))))
    }

    static func apply(_ c: CPU, dir: String, writer w: CgroupWriter, update: Bool) throws {
        if let s = c.shares, s != 0 {
            try w.write(dir, "cpu.weight", "\(weight(fromShares: s))", field: "\(field).shares")
        }
        let quota = c.quota ?? 0
        let period = c.period ?? 0
        if quota != 0 || period != 0 {
            // cpu.max holds both: keep the half that is not being changed.
            let current = (CgroupFiles.read(dir, "cpu.max") ?? "max 100000").split(separator: " ")
            let q = quota != 0 ? (quota > 0 ? "\(quota)" : "max") : String(current.first ?? "max")
            let p = period != 0 ? "\(period)" : String(current.count > 1 ? current[1] : "100000")
            try w.write(dir, "cpu.max", "\(q) \(p)", field: quota != 0 ? "\(field).quota" : "\(field).period")
        }
        if let b = c.burst {
            if FS.exists(dir + "/cpu.max.burst") {
                try w.write(dir, "cpu.max.burst", "\(b)", field: "\(field).burst")
            } else if b != 0 {
                w.warn("\(field).burst ignored: this kernel has no cpu.max.burst (Linux 5.14+)")
            }
        }
        if let i = c.idle {
            if FS.exists(dir + "/cpu.idle") {
                try w.write(dir, "cpu.idle", "\(i)", field: "\(field).idle")
            } else if i != 0 {
                w.warn("\(field).idle ignored: this kernel has no cpu.idle (Linux 5.15+)")
            }
        }
        for (name, value) in [("realtimeRuntime", c.realtimeRuntime.map { Int64($0) }),
                              ("realtimePeriod", c.realtimePeriod.map { Int64($0) })] {
            if let value, value != 0 {
                throw SwiftBoxError("\(field).\(name): cgroup v2 has no realtime group scheduling; remove the field (or use a v1 host)")
            }
        }
    }

    static func stats(_ dir: String) -> CgroupStats.CPU {
        let st = CgroupFiles.keyValues(dir, "cpu.stat")
        var s = CgroupStats.CPU()
        s.usage.total = nz(st["usage_usec"].map { $0 * 1000 })
        s.usage.user = (st["user_usec"] ?? 0) * 1000
        s.usage.kernel = (st["system_usec"] ?? 0) * 1000
        if st["nr_periods"] != nil {
            s.throttling = CgroupStats.Throttling(periods: nz(st["nr_periods"]), throttledPeriods: nz(st["nr_throttled"]),
                                                  throttledTime: nz(st["throttled_usec"].map { $0 * 1000 }))
        }
        return s
    }
}
