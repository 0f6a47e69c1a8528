#if canImport(Glibc)
import Glibc
#endif
import SwiftBoxLinux
import SwiftBoxOCI

/// `linux.resources.cpu` shares, CFS quota/period/burst, realtime and idle on
/// the v1 cpu controller (cpus/mems go to `CpusetController`).
enum CpuV1 {
    static let field = "linux.resources.cpu"

    static func apply(_ c: CPU, dir: String, writer w: CgroupWriter) throws {
        if let s = c.shares, s != 0 {
            try w.write(dir, "cpu.shares", "\(s)", field: "\(field).shares")
        }
        let quota = c.quota ?? 0
        var periodPending = false
        if let p = c.period, p != 0 {
            do {
                try w.write(dir, "cpu.cfs_period_us", "\(p)", field: "\(field).period")
            } catch let e as SwiftBoxError where e.errno == EINVAL && quota != 0 {
                // A shorter period can exceed the parent's quota ratio with the old
                // quota; retry after the quota is set (as runc does).
                periodPending = true
            }
        }
        if quota != 0 {
            try w.write(dir, "cpu.cfs_quota_us", "\(quota)", field: "\(field).quota")
            if periodPending, let p = c.period {
                try w.write(dir, "cpu.cfs_period_us", "\(p)", field: "\(field).period")
            }
        }
        if let b = c.burst {
            if FS.exists(dir + "/cpu.cfs_burst_us") {
                try w.write(dir, "cpu.cfs_burst_us", "\(b)", field: "\(field).burst")
            } else if b != 0 {
                w.warn("\(field).burst ignored: this kernel has no cpu.cfs_burst_us (Linux 5.14+)")
            }
        }
        if let p = c.realtimePeriod, p != 0 {
            try requireRealtime(dir, w, "realtimePeriod")
            try w.write(dir, "cpu.rt_period_us", "\(p)", field: "\(field).realtimePeriod")
        }
        if let r = c.realtimeRuntime, r != 0 {
            try requireRealtime(dir, w, "realtimeRuntime")
            try w.write(dir, "cpu.rt_runtime_us", "\(r)", field: "\(field).realtimeRuntime")
        }
        if let i = c.idle {
            if FS.exists(dir + "/cpu.idle") {
                try w.write(dir, "cpu.idle", "\(i)", field: "\(field).idle")
            } else if i != 0 {
                w.warn("\(field).idle ignored: this kernel has no cpu.idle (Linux 5.15+)")
            }
        }
    }

    static func requireRealtime(_ dir: String, _ w: CgroupWriter, _ name: String) throws {
        if !FS.exists(dir + "/cpu.rt_runtime_us") {
            throw SwiftBoxError("\(field).\(name): this kernel has no realtime group scheduling (CONFIG_RT_GROUP_SCHED; no cpu.rt_runtime_us)")
        }
    }

    /// CPU time from cpuacct (usage, per CPU, user/system) and throttling from cpu.stat.
    static func stats(cpu: String?, cpuacct: String?) -> CgroupStats.CPU {
        var s = CgroupStats.CPU()
        if let d = cpuacct {
            s.usage.total = nz(CgroupFiles.number(d, "cpuacct.usage"))
            let percpu = (CgroupFiles.read(d, "cpuacct.usage_percpu") ?? "").split(separator: " ").compactMap { UInt64($0) }
            s.usage.percpu = percpu.isEmpty ? nil : percpu
            // cpuacct.stat counts USER_HZ ticks; runc reports nanoseconds.
            let ticks = CgroupFiles.keyValues(d, "cpuacct.stat")
            let hz = UInt64(max(1, sysconf(Int32(_SC_CLK_TCK))))
            s.usage.user = (ticks["user"] ?? 0) * (1_000_000_000 / hz)
            s.usage.kernel = (ticks["system"] ?? 0) * (1_000_000_000 / hz)
        }
        if let d = cpu {
            let st = CgroupFiles.keyValues(d, "cpu.stat")
            s.throttling = CgroupStats.Throttling(periods: nz(st["nr_periods"]), throttledPeriods: nz(st["nr_throttled"]),
                                                  throttledTime: nz(st["throttled_time"]))
        }
        return s
    }
}
