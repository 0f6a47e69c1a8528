#if canImport(Glibc)
import Glibc
#endif
import SwiftBoxLinux
import SwiftBoxOCI

/// `linux.resources.memory` on the v1 memory controller.
enum MemoryV1 {
    static let field = "linux.resources.memory"

    static func apply(_ m: Memory, dir: String, writer w: CgroupWriter, update: Bool) throws {
        let limit = m.limit ?? 0
        var swap = m.swap ?? 0
        // runc: an unlimited memory limit without a swap value lifts the swap limit too.
        if limit == -1 && swap == 0 { swap = -1 }
        if swap != 0 && !FS.exists(dir + "/memory.memsw.limit_in_bytes") {
            if swap != -1 {
                w.warn("\(field).swap ignored: this kernel does not account swap (no memory.memsw.limit_in_bytes; boot with swapaccount=1)")
            }
            swap = 0
        }
        if update && limit > 0 && m.checkBeforeUpdate == true,
           let usage = CgroupFiles.number(dir, "memory.usage_in_bytes"), UInt64(limit) < usage {
            throw SwiftBoxError("\(field).limit: \(limit) is below the container's current memory usage \(usage) (checkBeforeUpdate is set)")
        }
        func setLimit() throws {
            if limit != 0 { try w.write(dir, "memory.limit_in_bytes", "\(limit)", field: "\(field).limit") }
        }
        func setSwap() throws {
            if swap != 0 { try w.write(dir, "memory.memsw.limit_in_bytes", "\(swap)", field: "\(field).swap") }
        }
        // memsw must stay >= limit at every moment: raise swap first, lower it last.
        if limit != 0 && swap != 0 {
            let current = Int64(clamping: CgroupFiles.number(dir, "memory.limit_in_bytes") ?? UInt64(Int64.max))
            if swap == -1 || current < swap { try setSwap(); try setLimit() } else { try setLimit(); try setSwap() }
        } else {
            try setLimit()
            try setSwap()
        }
        if let r = m.reservation, r != 0 {
            try w.write(dir, "memory.soft_limit_in_bytes", "\(r)", field: "\(field).reservation")
        }
        for (name, file, value) in [("kernel", "memory.kmem.limit_in_bytes", m.kernel),
                                    ("kernelTCP", "memory.kmem.tcp.limit_in_bytes", m.kernelTCP)] {
            guard let value, value != 0 else { continue }
            if !FS.exists(dir + "/" + file) {
                w.warn("\(field).\(name) ignored: this kernel has no \(file) (kernel memory is charged to memory.limit)")
                continue
            }
            do {
                try w.write(dir, file, "\(value)", field: "\(field).\(name)")
            } catch let e as SwiftBoxError where e.errno == EOPNOTSUPP || e.errno == 524 /* ENOTSUPP */ {
                w.warn("\(field).\(name) ignored: this kernel no longer supports setting \(file)")
            }
        }
        if let s = m.swappiness {
            try w.write(dir, "memory.swappiness", "\(s)", field: "\(field).swappiness")
        }
        if let d = m.disableOOMKiller, d || update {
            let previous = CgroupFiles.keyValues(dir, "memory.oom_control")["oom_kill_disable"].map(String.init) ?? "0"
            try w.write(dir, "memory.oom_control", d ? "1" : "0", field: "\(field).disableOOMKiller", restore: previous)
        }
        if let h = m.useHierarchy, !h {
            w.warn("\(field).useHierarchy false ignored: the memory controller is always hierarchical on current kernels")
        }
    }

    static func stats(_ dir: String) -> CgroupStats.Memory {
        let raw = CgroupFiles.keyValues(dir, "memory.stat")
        func entry(_ prefix: String) -> CgroupStats.MemoryEntry {
            CgroupStats.MemoryEntry(limit: CgroupFiles.number(dir, prefix + "limit_in_bytes") ?? 0,
                                    usage: nz(CgroupFiles.number(dir, prefix + "usage_in_bytes")),
                                    max: nz(CgroupFiles.number(dir, prefix + "max_usage_in_bytes")),
                                    failcnt: CgroupFiles.number(dir, prefix + "failcnt") ?? 0)
        }
        var raw2 = raw
        if let kills = CgroupFiles.keyValues(dir, "memory.oom_control")["oom_kill"] { raw2["oom_kill"] = kills }
        let hasSwap = FS.exists(dir + "/memory.memsw.usage_in_bytes")
        let hasKmem = FS.exists(dir + "/memory.kmem.usage_in_bytes")
        return CgroupStats.Memory(cache: nz(raw["total_cache"] ?? raw["cache"]), usage: entry("memory."),
                                  swap: hasSwap ? entry("memory.memsw.") : nil,
                                  kernel: hasKmem ? entry("memory.kmem.") : nil,
                                  kernelTCP: FS.exists(dir + "/memory.kmem.tcp.usage_in_bytes") ? entry("memory.kmem.tcp.") : nil,
                                  raw: raw2.isEmpty ? nil : raw2)
    }

    static func oomKills(_ dir: String) -> UInt64 {
        CgroupFiles.keyValues(dir, "memory.oom_control")["oom_kill"] ?? 0
    }
}

/// nil for zero (runc's `omitempty`).
func nz(_ v: UInt64?) -> UInt64? {
    guard let v, v != 0 else { return nil }
    return v
}
