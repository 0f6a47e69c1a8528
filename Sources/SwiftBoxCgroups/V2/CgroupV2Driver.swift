#if canImport(Glibc)
import Glibc
#endif
import SwiftBoxLinux
import SwiftBoxOCI

/// cgroup v2: one directory in the unified hierarchy; controllers are enabled
/// for it through each ancestor's cgroup.subtree_control.
final class CgroupV2Driver: CgroupVersionDriver {
    let hierarchy: CgroupHierarchy
    let path: String
    let dir: String
    /// Pure v2 enables every controller the parent offers (as runc); in hybrid
    /// mode only the ones the resources need, to leave the host's tree alone.
    let enableAll: Bool

    static let allControllers = ["cpuset", "cpu", "io", "memory", "hugetlb", "pids", "rdma", "misc"]

    init(hierarchy: CgroupHierarchy, path: CgroupPath, enableAll: Bool) {
        self.hierarchy = hierarchy
        self.path = path.path(in: hierarchy)
        self.dir = FS.join(hierarchy.mountPoint, self.path)
        self.enableAll = enableAll
    }

    var directories: [String] { [dir] }

    /// The controllers `r` needs, and the spec field that needs each.
    static func neededControllers(_ r: Resources) -> [String: String] {
        var out: [String: String] = [:]
        if let m = r.memory, m.limit != nil || m.reservation != nil || m.swap != nil { out["memory"] = "memory" }
        if let c = r.cpu {
            if c.shares != nil || c.quota != nil || c.period != nil || c.burst != nil || c.idle != nil { out["cpu"] = "cpu" }
            if CpusetController.needed(c) { out["cpuset"] = "cpu.cpus" }
        }
        if r.pids != nil { out["pids"] = "pids" }
        if let u = r.unified {
            for key in u.keys {
                let c = String(key.split(separator: ".").first ?? "")
                if c != "cgroup" && !c.isEmpty { out[c] = "unified[\"\(key)\"]" }
            }
        }
        return out
    }

    /// Optional controllers: missing ones are skipped with a warning by their apply.
    static func optionalControllers(_ r: Resources) -> [String] {
        var out: [String] = []
        if r.blockIO != nil { out.append("io") }
        if !(r.hugepageLimits ?? []).isEmpty { out.append("hugetlb") }
        if !(r.rdma ?? [:]).isEmpty { out.append("rdma") }
        return out
    }

    func create(for resources: Resources) throws {
        _ = try CgroupFiles.makeDirectory(mount: hierarchy.mountPoint, path: path)
        try enableControllers(for: resources)
    }

    /// Writes `+controller` into cgroup.subtree_control of every ancestor, from
    /// the hierarchy's top down to the container's parent.
    func enableControllers(for resources: Resources) throws {
        let needed = Self.neededControllers(resources)
        let wanted = enableAll ? Self.allControllers : Array(needed.keys) + Self.optionalControllers(resources)
        if wanted.isEmpty { return }
        var level = hierarchy.mountPoint
        let components = path.split(separator: "/")
        for component in components {
            let available = Set((CgroupFiles.read(level, "cgroup.controllers") ?? "").split(separator: " ").map(String.init))
            let enabled = Set((CgroupFiles.read(level, "cgroup.subtree_control") ?? "").split(separator: " ").map(String.init))
            for c in wanted where !enabled.contains(c) {
                guard available.contains(c) else {
                    if let field = needed[c] {
                        throw SwiftBoxError("linux.resources.\(field): the \(c) controller is not available in \(level) (cgroup.controllers: \(available.sorted().joined(separator: " ")))")
                    }
                    continue
                }
                do {
                    try FS.write(level + "/cgroup.subtree_control", "+" + c)
                } catch let e as SwiftBoxError {
                    if let field = needed[c] {
                        throw SwiftBoxError("linux.resources.\(field): cannot enable the \(c) controller in \(level)/cgroup.subtree_control: \(errnoName(e.errno ?? 0))\(CgroupWriter.hint(file: "cgroup.subtree_control", errno: e.errno ?? 0))", errno: e.errno)
                    }
                }
            }
            level += "/" + component
        }
    }

    func apply(_ r: Resources, devices: [DeviceRule]?, writer w: CgroupWriter, update: Bool) throws {
        if update { try enableControllers(for: r) }
        if let c = r.cpu, CpusetController.needed(c) { try CpusetController.apply(c, dir: dir, writer: w) }
        if let m = r.memory { try MemoryV2.apply(m, dir: dir, writer: w, update: update) }
        if let c = r.cpu { try CpuV2.apply(c, dir: dir, writer: w, update: update) }
        if let p = r.pids { try PidsController.apply(p, dir: dir, writer: w) }
        if let b = r.blockIO { try IoV2.apply(b, dir: dir, writer: w) }
        if let h = r.hugepageLimits, !h.isEmpty {
            if FS.exists(dir + "/" + HugetlbController.file(h[0].pageSize, v2: true)) {
                try HugetlbController.apply(h, dir: dir, v2: true, writer: w)
            } else {
                w.warn("linux.resources.hugepageLimits ignored: the hugetlb controller is not available in \(dir)")
            }
        }
        if let rdma = r.rdma, !rdma.isEmpty {
            if FS.exists(dir + "/rdma.max") { try RdmaController.apply(rdma, dir: dir, writer: w) } else {
                w.warn("linux.resources.rdma ignored: the rdma controller is not available in \(dir)")
            }
        }
        if let n = r.network, n.classID != nil || !(n.priorities ?? []).isEmpty {
            w.warn("linux.resources.network ignored: cgroup v2 has no net_cls or net_prio controller (match the cgroup path in nftables instead)")
        }
        if let u = r.unified, !u.isEmpty { try UnifiedV2.apply(u, dir: dir, writer: w) }
        if let devices, !devices.isEmpty { try DeviceFilter.install(devices, on: dir) }
    }

    func add(pid: Int32) throws {
        try FS.write(dir + "/cgroup.procs", "\(pid)", truncate: false)
    }

    func prepare(_ placement: CgroupPlacement) throws { try placement.setUnified(dir: dir) }

    var clonePart: CgroupPart { .beforeClone }

    func processes() -> [Int32] { CgroupFiles.processes(in: dir) }

    func setFrozen(_ frozen: Bool) throws {
        guard FS.exists(dir + "/cgroup.freeze") else {
            throw SwiftBoxError("cannot \(frozen ? "pause" : "resume"): \(dir)/cgroup.freeze does not exist (Linux 5.2+ is needed)")
        }
        try FS.write(dir + "/cgroup.freeze", frozen ? "1" : "0")
        let want: UInt64 = frozen ? 1 : 0
        try CgroupFiles.wait(seconds: 5, SwiftBoxError("cannot \(frozen ? "freeze" : "thaw") cgroup \(dir): cgroup.events does not report frozen \(want) after 5 s")) {
            CgroupFiles.keyValues(dir, "cgroup.events")["frozen"] == want
        }
    }

    func isFrozen() -> Bool { CgroupFiles.read(dir, "cgroup.freeze") == "1" }

    func signalAll(_ signal: Int32) throws {
        if signal == SIGKILL && FS.exists(dir + "/cgroup.kill") {
            try FS.write(dir + "/cgroup.kill", "1")
            return
        }
        let canFreeze = FS.exists(dir + "/cgroup.freeze") && !isFrozen()
        if canFreeze { try setFrozen(true) }
        for pid in processes() { _ = kill(pid, signal) }
        if canFreeze { try setFrozen(false) }
    }

    func stats() -> CgroupStats {
        var s = CgroupStats()
        s.cpu = CpuV2.stats(dir)
        if FS.exists(dir + "/memory.current") { s.memory = MemoryV2.stats(dir) }
        s.pids = PidsController.stats(dir)
        s.blkio = IoV2.stats(dir)
        s.hugetlb = HugetlbController.stats(dir, v2: true)
        return s
    }

    func oomKillCount() -> UInt64 { MemoryV2.oomKills(dir) }
}
