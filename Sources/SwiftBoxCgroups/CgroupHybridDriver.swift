#if canImport(Glibc)
import Glibc
#endif
import SwiftBoxLinux
import SwiftBoxOCI

/// Hybrid hosts: v1 hierarchies carry the controllers, and a cgroup2 mount
/// (usually /sys/fs/cgroup/unified) carries what v1 lacks (often hugetlb).
/// The container gets a directory in both; each resource goes where its
/// controller lives, and `unified` keys go to the cgroup2 directory.
/// (crun refuses hybrid hosts; runc treats them the same way.)
final class CgroupHybridDriver: CgroupDriver {
    let v1: CgroupV1Driver
    let v2: CgroupV2Driver

    init(layout: CgroupLayout, path: CgroupPath, unified: CgroupHierarchy) {
        v1 = CgroupV1Driver(layout: layout, path: path)
        v2 = CgroupV2Driver(hierarchy: unified, path: path, enableAll: false)
    }

    var directories: [String] { v1.directories + v2.directories }

    /// The resources for each side.
    func split(_ r: Resources) -> (v1: Resources, v2: Resources) {
        var one = r
        var two = Resources()
        one.unified = nil
        two.unified = r.unified
        if v1.dir("hugetlb") == nil { two.hugepageLimits = r.hugepageLimits; one.hugepageLimits = nil }
        if v1.dir("rdma") == nil { two.rdma = r.rdma; one.rdma = nil }
        return (one, two)
    }

    func create(for resources: Resources) throws {
        try v1.create(for: resources)
        try v2.create(for: split(resources).v2)
    }

    func apply(_ r: Resources, devices: [DeviceRule]?, writer w: CgroupWriter, update: Bool) throws {
        let (one, two) = split(r)
        let v1Devices = v1.dir("devices") != nil
        try v1.apply(one, devices: v1Devices ? devices : nil, writer: w, update: update)
        try v2.apply(two, devices: v1Devices ? nil : devices, writer: w, update: update)
    }

    func add(pid: Int32) throws {
        try v1.add(pid: pid)
        try v2.add(pid: pid)
    }

    /// The cgroup2 side before the clone (init is cloned into it), the v1
    /// hierarchies while init starts; device rules go where `devices` lives.
    func pieces(_ r: Resources, devices: [DeviceRule]?) -> [CgroupPiece] {
        let (one, two) = split(r)
        let v1Devices = v1.dir("devices") != nil
        return [CgroupPiece(part: .beforeClone, driver: v2, resources: two, devices: v1Devices ? nil : devices),
                CgroupPiece(part: .afterClone, driver: v1, resources: one, devices: v1Devices ? devices : nil)]
    }

    func processes() -> [Int32] {
        var seen = Set<Int32>()
        return (v1.processes() + v2.processes()).filter { seen.insert($0).inserted }
    }

    func setFrozen(_ frozen: Bool) throws {
        if v1.dir("freezer") != nil { try v1.setFrozen(frozen) } else { try v2.setFrozen(frozen) }
    }

    func isFrozen() -> Bool {
        v1.dir("freezer") != nil ? v1.isFrozen() : v2.isFrozen()
    }

    func signalAll(_ signal: Int32) throws {
        // Every process is also in the cgroup2 directory, where the kernel
        // can kill the whole tree atomically.
        if signal == SIGKILL && FS.exists(v2.dir + "/cgroup.kill") {
            try FS.write(v2.dir + "/cgroup.kill", "1")
            return
        }
        if v1.dir("freezer") != nil { try v1.signalAll(signal) } else { try v2.signalAll(signal) }
    }

    func stats() -> CgroupStats {
        var s = v1.stats()
        if v1.dir("hugetlb") == nil { s.hugetlb = HugetlbController.stats(v2.dir, v2: true) }
        if v1.dir("cpuacct") == nil && v1.dir("cpu") == nil { s.cpu = CpuV2.stats(v2.dir) }
        return s
    }

    func oomKillCount() -> UInt64 {
        v1.dir("memory") != nil ? v1.oomKillCount() : v2.oomKillCount()
    }
}
