import SwiftBoxLinux
import SwiftBoxOCI

/// `linux.resources.memory` on the v2 memory controller: limit → memory.max,
/// reservation → memory.low, swap (memory+swap, as v1) → memory.swap.max
/// holding only the swap part.
enum MemoryV2 {
    static let field = "linux.resources.memory"

    /// memory+swap (the spec's meaning) to v2's swap-only value; nil: leave alone.
    static func swapMax(swap: Int64, limit: Int64) throws -> String? {
        if swap == 0 { return limit == -1 ? "max" : nil }
        if swap == -1 { return "max" }
        if limit == -1 { return "max" }
        guard limit > 0 else {
            throw SwiftBoxError("\(field).swap: \(swap) needs memory.limit too on cgroup v2 (the swap limit is swap minus limit)")
        }
        guard swap >= limit else {
            throw SwiftBoxError("\(field).swap: \(swap) is below memory.limit \(limit); it must be at least the memory limit")
        }
        return "\(swap - limit)"
    }

    static func apply(_ m: Memory, dir: String, writer w: CgroupWriter, update: Bool) throws {
        var limit = m.limit ?? 0
        if update && limit > 0 {
            if let current = CgroupFiles.number(dir, "memory.current") {
                let reclaimable = CgroupFiles.keyValues(dir, "memory.stat")["file"] ?? 0
                let pinned = current > reclaimable ? current - reclaimable : 0
                // Below the unreclaimable part the kernel would OOM-kill the container
                // instead of refusing the write; below usage at all with checkBeforeUpdate.
                let floor = m.checkBeforeUpdate == true ? current : pinned
                if UInt64(limit) < floor {
                    throw SwiftBoxError("\(field).limit: \(limit) is below the container's current memory usage \(floor)"
                        + (m.checkBeforeUpdate == true ? " (checkBeforeUpdate is set)" : " that cannot be reclaimed; the kernel would kill the container"))
                }
            }
        }
        let swap = m.swap ?? 0
        if swap > 0 && limit == 0 && update {
            // An update of swap alone is relative to the current limit.
            if let s = CgroupFiles.read(dir, "memory.max") { limit = s == "max" ? -1 : Int64(s) ?? 0 }
        }
        if let value = try swapMax(swap: swap, limit: limit) {
            if FS.exists(dir + "/memory.swap.max") {
                try w.write(dir, "memory.swap.max", value, field: "\(field).swap")
            } else if value != "max" {
                w.warn("\(field).swap ignored: this kernel does not account swap (no memory.swap.max)")
            }
        }
        if limit != 0 && m.limit != nil {
            try w.write(dir, "memory.max", limit == -1 ? "max" : "\(limit)", field: "\(field).limit")
        }
        if let r = m.reservation, r != 0 {
            try w.write(dir, "memory.low", r == -1 ? "max" : "\(r)", field: "\(field).reservation")
        }
        if let k = m.kernel, k != 0 {
            w.warn("\(field).kernel ignored: cgroup v2 charges kernel memory to memory.max and has no separate limit")
        }
        if let k = m.kernelTCP, k != 0 {
            w.warn("\(field).kernelTCP ignored: cgroup v2 charges socket memory to memory.max and has no separate limit")
        }
        if m.swappiness != nil {
            w.warn("\(field).swappiness ignored: cgroup v2 has no per-cgroup swappiness")
        }
        if m.disableOOMKiller == true {
            w.warn("\(field).disableOOMKiller ignored: cgroup v2 cannot disable the OOM killer for a cgroup")
        }
    }

    static func stats(_ dir: String) -> CgroupStats.Memory {
        let raw = CgroupFiles.keyValues(dir, "memory.stat")
        let events = CgroupFiles.keyValues(dir, "memory.events")
        var raw2 = raw
        for (k, v) in events { raw2["events_" + k] = v }
        raw2["oom_kill"] = events["oom_kill"] ?? 0
        let limit = CgroupFiles.number(dir, "memory.max") ?? UInt64(Int64.max)
        let usage = CgroupStats.MemoryEntry(limit: limit, usage: nz(CgroupFiles.number(dir, "memory.current")),
                                            max: nz(CgroupFiles.number(dir, "memory.peak")), failcnt: events["max"] ?? 0)
        var swap: CgroupStats.MemoryEntry?
        if let current = CgroupFiles.number(dir, "memory.swap.current") {
            // runc reports memory+swap here, as v1's memsw does.
            let swapLimit = CgroupFiles.number(dir, "memory.swap.max")
            let sum = swapLimit.map { $0 &+ limit } ?? UInt64(Int64.max)
            swap = CgroupStats.MemoryEntry(limit: min(sum, UInt64(Int64.max)), usage: nz(current + (usage.usage ?? 0)),
                                           max: nil, failcnt: CgroupFiles.keyValues(dir, "memory.swap.events")["max"] ?? 0)
        }
        return CgroupStats.Memory(cache: nz(raw["file"]), usage: usage, swap: swap, kernel: nil, kernelTCP: nil,
                                  raw: raw2)
    }

    static func oomKills(_ dir: String) -> UInt64 {
        CgroupFiles.keyValues(dir, "memory.events")["oom_kill"] ?? 0
    }
}
