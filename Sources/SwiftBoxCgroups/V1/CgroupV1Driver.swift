#if canImport(Glibc)
import Glibc
#endif
import SwiftBoxLinux
import SwiftBoxOCI

/// cgroup v1: one directory per mounted hierarchy, each controller in its own.
final class CgroupV1Driver: CgroupVersionDriver {
    /// Each v1 hierarchy and the container's directory in it.
    let places: [(hierarchy: CgroupHierarchy, path: String, dir: String)]

    init(layout: CgroupLayout, path: CgroupPath) {
        places = layout.v1.map { h in
            let p = path.path(in: h)
            return (h, p, FS.join(h.mountPoint, p))
        }
    }

    var directories: [String] { places.map { $0.dir } }

    /// The container's directory for a controller, if that controller is mounted.
    func dir(_ controller: String) -> String? {
        places.first { $0.hierarchy.controllers.contains(controller) }?.dir
    }

    func create(for resources: Resources) throws {
        for place in places {
            let h = place.hierarchy
            let dir = try CgroupFiles.makeDirectory(mount: h.mountPoint, path: place.path)
            if h.controllers.contains("cpuset") { try CpusetController.inheritV1(dir, mount: h.mountPoint) }
        }
    }

    func apply(_ r: Resources, devices: [DeviceRule]?, writer w: CgroupWriter, update: Bool) throws {
        func need(_ controller: String, _ field: String) throws -> String {
            guard let d = dir(controller) else {
                throw SwiftBoxError("linux.resources.\(field): the \(controller) controller is not mounted on this host")
            }
            return d
        }
        if let c = r.cpu {
            if CpusetController.needed(c) { try CpusetController.apply(c, dir: try need("cpuset", "cpu.cpus"), writer: w) }
        }
        if let m = r.memory { try MemoryV1.apply(m, dir: try need("memory", "memory"), writer: w, update: update) }
        if let c = r.cpu {
            let touchesCPU = c.shares != nil || c.quota != nil || c.period != nil || c.burst != nil
                || c.realtimeRuntime != nil || c.realtimePeriod != nil || c.idle != nil
            if touchesCPU { try CpuV1.apply(c, dir: try need("cpu", "cpu"), writer: w) }
        }
        if let p = r.pids { try PidsController.apply(p, dir: try need("pids", "pids"), writer: w) }
        if let b = r.blockIO {
            if let d = dir("blkio") { try BlkioV1.apply(b, dir: d, writer: w) } else {
                w.warn("linux.resources.blockIO ignored: the blkio controller is not mounted on this host")
            }
        }
        if let h = r.hugepageLimits, !h.isEmpty {
            if let d = dir("hugetlb") { try HugetlbController.apply(h, dir: d, v2: false, writer: w) } else {
                w.warn("linux.resources.hugepageLimits ignored: the hugetlb controller is not mounted on this host")
            }
        }
        if let n = r.network { try NetworkV1.apply(n, netCls: dir("net_cls"), netPrio: dir("net_prio"), writer: w) }
        if let rdma = r.rdma, !rdma.isEmpty {
            if let d = dir("rdma") { try RdmaController.apply(rdma, dir: d, writer: w) } else {
                w.warn("linux.resources.rdma ignored: the rdma controller is not mounted on this host")
            }
        }
        if let u = r.unified, !u.isEmpty {
            throw SwiftBoxError("linux.resources.unified: needs cgroup v2, and this host has only v1 hierarchies")
        }
        if let devices, !devices.isEmpty {
            try DevicesV1.apply(devices, dir: try need("devices", "devices"), writer: w)
        }
    }

    func add(pid: Int32) throws {
        for (_, _, dir) in places {
            try FS.write(dir + "/cgroup.procs", "\(pid)", truncate: false)
        }
    }

    var clonePart: CgroupPart { .afterClone }

    func prepare(_ placement: CgroupPlacement) throws {
        for (_, _, dir) in places { try placement.addTasks(dir: dir) }
    }

    func processes() -> [Int32] {
        var seen = Set<Int32>()
        var out: [Int32] = []
        for (_, _, dir) in places {
            for pid in CgroupFiles.processes(in: dir) where seen.insert(pid).inserted { out.append(pid) }
        }
        return out
    }

    func setFrozen(_ frozen: Bool) throws {
        guard let dir = dir("freezer") else {
            throw SwiftBoxError("cannot \(frozen ? "pause" : "resume"): the freezer controller is not mounted on this host")
        }
        let want = frozen ? "FROZEN" : "THAWED"
        // FREEZING can stay while a task is in an uninterruptible sleep: write again until it settles.
        var tries = 0
        while true {
            try FS.write(dir + "/freezer.state", want)
            for _ in 0..<50 {
                if CgroupFiles.read(dir, "freezer.state") == want { return }
                usleep(1_000)
            }
            tries += 1
            if tries >= 100 {
                if frozen { try? FS.write(dir + "/freezer.state", "THAWED") }
                throw SwiftBoxError("cannot \(frozen ? "freeze" : "thaw") cgroup \(dir): freezer.state stays \(CgroupFiles.read(dir, "freezer.state") ?? "?") after 5 s")
            }
        }
    }

    func isFrozen() -> Bool {
        guard let dir = dir("freezer") else { return false }
        return CgroupFiles.read(dir, "freezer.state") == "FROZEN"
    }

    /// Freeze → signal each pid → thaw, so no process forks away while the
    /// list is walked (as runc does on v1).
    func signalAll(_ signal: Int32) throws {
        let canFreeze = dir("freezer") != nil && !isFrozen()
        if canFreeze { try setFrozen(true) }
        for pid in processes() { _ = kill(pid, signal) }
        if canFreeze { try setFrozen(false) }
    }

    func stats() -> CgroupStats {
        var s = CgroupStats()
        s.cpu = CpuV1.stats(cpu: dir("cpu"), cpuacct: dir("cpuacct"))
        if let d = dir("memory") { s.memory = MemoryV1.stats(d) }
        if let d = dir("pids") { s.pids = PidsController.stats(d) }
        if let d = dir("blkio") { s.blkio = BlkioV1.stats(d) }
        if let d = dir("hugetlb") { s.hugetlb = HugetlbController.stats(d, v2: false) }
        return s
    }

    func oomKillCount() -> UInt64 {
        dir("memory").map(MemoryV1.oomKills) ?? 0
    }
}
