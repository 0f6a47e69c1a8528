#if canImport(Glibc)
import Glibc
#endif
import SwiftBoxLinux
import SwiftBoxOCI

/// Checks `linux.resources` values before anything is written, so that bad
/// input fails with the field's name and nothing is half-applied.
public enum ResourceValidation {
    /// The prefix of every field name in errors.
    static let base = "linux.resources"

    /// Validates every value that can be checked without the kernel.
    /// - Parameters:
    ///   - hugepageSizes: the page sizes this host supports (`2MB`, `1GB`).
    ///   - onlineCPUs / onlineMems: the host's online CPUs and memory nodes.
    ///   Each is read only if a field needs it (not on every container start).
    public static func validate(_ r: Resources, hugepageSizes: @autoclosure () -> Set<String> = Hugepages.sizes(),
                                onlineCPUs: @autoclosure () -> Set<Int>? = CPUList.onlineCPUs(),
                                onlineMems: @autoclosure () -> Set<Int>? = CPUList.onlineMems()) throws {
        if let m = r.memory { try validate(m) }
        if let c = r.cpu {
            try validate(c, onlineCPUs: c.cpus?.isEmpty == false ? onlineCPUs() : nil,
                         onlineMems: c.mems?.isEmpty == false ? onlineMems() : nil)
        }
        if let p = r.pids, p.limit < -1 {
            throw SwiftBoxError("\(base).pids.limit: \(p.limit) is out of range; expected a positive count, or 0 or -1 for no limit")
        }
        if let b = r.blockIO { try validate(b) }
        let limits = r.hugepageLimits ?? []
        let sizes = limits.isEmpty ? [] : hugepageSizes()
        for (i, h) in limits.enumerated() {
            guard sizes.contains(h.pageSize) else {
                let known = sizes.sorted().joined(separator: ", ")
                throw SwiftBoxError("\(base).hugepageLimits[\(i)].pageSize: \"\(h.pageSize)\" is not a huge page size of this host (it has: \(known.isEmpty ? "none" : known))")
            }
        }
        for (i, d) in (r.devices ?? []).enumerated() {
            _ = try DeviceRule(d, field: "\(base).devices[\(i)]")
        }
        if let n = r.network {
            for (i, p) in (n.priorities ?? []).enumerated()
            where p.name.isEmpty || p.name.contains(" ") || p.name.contains("\n") || p.name.contains("/") {
                throw SwiftBoxError("\(base).network.priorities[\(i)].name: \"\(p.name)\" is not an interface name")
            }
        }
        for key in (r.rdma ?? [:]).keys where key.isEmpty || key.contains(" ") || key.contains("\n") {
            throw SwiftBoxError("\(base).rdma: \"\(key)\" is not an RDMA device name")
        }
        for (key, value) in r.unified ?? [:] {
            let field = "\(base).unified[\"\(key)\"]"
            if key.isEmpty || key.contains("/") || key.hasPrefix(".") || !key.contains(".") {
                throw SwiftBoxError("\(field): not a cgroup v2 interface file name (expected controller.file such as memory.high)")
            }
            if ["cgroup.procs", "cgroup.threads", "cgroup.subtree_control", "cgroup.kill", "cgroup.freeze", "cgroup.type"].contains(key) {
                throw SwiftBoxError("\(field): \(key) is managed by swiftbox and cannot be set here")
            }
            if value.contains("\0") { throw SwiftBoxError("\(field): the value contains a NUL byte") }
        }
    }

    static func validate(_ m: Memory) throws {
        let f = "\(base).memory"
        for (name, v) in [("limit", m.limit), ("reservation", m.reservation), ("swap", m.swap),
                          ("kernel", m.kernel), ("kernelTCP", m.kernelTCP)] {
            if let v, v < -1 {
                throw SwiftBoxError("\(f).\(name): \(v) is out of range; expected bytes, or -1 for no limit")
            }
        }
        if let s = m.swappiness, s > 100 {
            throw SwiftBoxError("\(f).swappiness: \(s) is out of range; expected 0 to 100")
        }
        if let l = m.limit, let s = m.swap, l > 0, s > 0, s < l {
            throw SwiftBoxError("\(f).swap: \(s) is below memory.limit \(l); swap is the limit of memory plus swap, so it must be at least the memory limit (or -1)")
        }
    }

    static func validate(_ c: CPU, onlineCPUs: Set<Int>?, onlineMems: Set<Int>?) throws {
        let f = "\(base).cpu"
        if let s = c.shares, s != 0, s < 2 || s > 262_144 {
            throw SwiftBoxError("\(f).shares: \(s) is out of range; expected 2 to 262144")
        }
        if let q = c.quota, q != 0, q != -1, q < 1000 {
            throw SwiftBoxError("\(f).quota: \(q) is out of range; expected at least 1000 µs, or -1 for no limit")
        }
        if let p = c.period, p != 0, p < 1000 || p > 1_000_000 {
            throw SwiftBoxError("\(f).period: \(p) is out of range; expected 1000 to 1000000 µs")
        }
        if let b = c.burst, let q = c.quota, q > 0, b > UInt64(q) {
            throw SwiftBoxError("\(f).burst: \(b) is larger than cpu.quota \(q)")
        }
        if let r = c.realtimeRuntime, r < -1 {
            throw SwiftBoxError("\(f).realtimeRuntime: \(r) is out of range; expected µs, or -1 for no limit")
        }
        if let r = c.realtimeRuntime, let p = c.realtimePeriod, r > 0, p > 0, UInt64(r) > p {
            throw SwiftBoxError("\(f).realtimeRuntime: \(r) is larger than cpu.realtimePeriod \(p)")
        }
        if let i = c.idle, i != 0 && i != 1 {
            throw SwiftBoxError("\(f).idle: \(i) is out of range; expected 0 or 1")
        }
        if let s = c.cpus, !s.isEmpty {
            let set = try CPUList.parse(s, field: "\(f).cpus")
            if let online = onlineCPUs, !set.isSubset(of: online) {
                let bad = set.subtracting(online).sorted().map(String.init).joined(separator: ",")
                throw SwiftBoxError("\(f).cpus: \"\(s)\" names CPUs that are not online (\(bad)); online: \(CPUList.format(online))")
            }
        }
        if let s = c.mems, !s.isEmpty {
            let set = try CPUList.parse(s, field: "\(f).mems")
            if let online = onlineMems, !set.isSubset(of: online) {
                let bad = set.subtracting(online).sorted().map(String.init).joined(separator: ",")
                throw SwiftBoxError("\(f).mems: \"\(s)\" names memory nodes that are not online (\(bad)); online: \(CPUList.format(online))")
            }
        }
    }

    static func validate(_ b: BlockIO) throws {
        let f = "\(base).blockIO"
        for (name, w) in [("weight", b.weight), ("leafWeight", b.leafWeight)] {
            if let w, w != 0, w < 10 || w > 1000 {
                throw SwiftBoxError("\(f).\(name): \(w) is out of range; expected 10 to 1000")
            }
        }
        for (i, d) in (b.weightDevice ?? []).enumerated() {
            try checkDevice(d.major, d.minor, field: "\(f).weightDevice[\(i)]")
            for (name, w) in [("weight", d.weight), ("leafWeight", d.leafWeight)] {
                if let w, w != 0, w < 10 || w > 1000 {
                    throw SwiftBoxError("\(f).weightDevice[\(i)].\(name): \(w) is out of range; expected 10 to 1000")
                }
            }
        }
        for (name, list) in [("throttleReadBpsDevice", b.throttleReadBpsDevice),
                             ("throttleWriteBpsDevice", b.throttleWriteBpsDevice),
                             ("throttleReadIOPSDevice", b.throttleReadIOPSDevice),
                             ("throttleWriteIOPSDevice", b.throttleWriteIOPSDevice)] {
            for (i, d) in (list ?? []).enumerated() {
                try checkDevice(d.major, d.minor, field: "\(f).\(name)[\(i)]")
            }
        }
    }

    static func checkDevice(_ major: Int64, _ minor: Int64, field: String) throws {
        if major < 0 || major > 0xFFF {
            throw SwiftBoxError("\(field).major: \(major) is not a device major number (0 to 4095)")
        }
        if minor < 0 || minor > 0xFFFFF {
            throw SwiftBoxError("\(field).minor: \(minor) is not a device minor number (0 to 1048575)")
        }
    }
}

/// Huge page sizes as cgroup file names spell them (`2MB`, `1GB`).
public enum Hugepages {
    /// The sizes this host supports, from /sys/kernel/mm/hugepages.
    public static func sizes() -> Set<String> {
        let names = (try? FS.list("/sys/kernel/mm/hugepages")) ?? []
        var out: Set<String> = []
        for n in names where n.hasPrefix("hugepages-") && n.hasSuffix("kB") {
            if let kb = UInt64(n.dropFirst("hugepages-".count).dropLast(2)) { out.insert(name(kb: kb)) }
        }
        return out
    }

    /// `2048` → `2MB`, `1048576` → `1GB`, `64` → `64KB` (the kernel's naming).
    public static func name(kb: UInt64) -> String {
        if kb >= 1 << 20 && kb % (1 << 20) == 0 { return "\(kb >> 20)GB" }
        if kb >= 1 << 10 && kb % (1 << 10) == 0 { return "\(kb >> 10)MB" }
        return "\(kb)KB"
    }
}

/// The kernel's list syntax for CPUs and memory nodes (`0-3,7`).
public enum CPUList {
    /// Parses `0-3,7`; `field` names the spec field in errors.
    public static func parse(_ s: String, field: String) throws -> Set<Int> {
        var out: Set<Int> = []
        for part in s.trimmingWhitespace().split(separator: ",", omittingEmptySubsequences: false) {
            let bounds = part.split(separator: "-", omittingEmptySubsequences: false)
            guard (1...2).contains(bounds.count), let lo = Int(bounds[0]), lo >= 0,
                  let hi = Int(bounds.last!), hi >= lo, hi < 8192 else {
                throw SwiftBoxError("\(field): \"\(s)\" is not a CPU list (expected numbers and ranges like 0-3,7)")
            }
            for i in lo...hi { out.insert(i) }
        }
        return out
    }

    /// `[0,1,2,3,7]` → `0-3,7`.
    public static func format(_ set: Set<Int>) -> String {
        var parts: [String] = []
        var sorted = set.sorted()[...]
        while let first = sorted.first {
            var last = first
            sorted = sorted.dropFirst()
            while let next = sorted.first, next == last + 1 { last = next; sorted = sorted.dropFirst() }
            parts.append(first == last ? "\(first)" : "\(first)-\(last)")
        }
        return parts.joined(separator: ",")
    }

    /// The host's online CPUs, if the kernel says.
    public static func onlineCPUs() -> Set<Int>? {
        guard let s = try? FS.readString("/sys/devices/system/cpu/online") else { return nil }
        return try? parse(s, field: "online cpus")
    }

    /// The host's online memory nodes (nil on kernels without NUMA support).
    public static func onlineMems() -> Set<Int>? {
        guard let s = try? FS.readString("/sys/devices/system/node/online") else { return nil }
        return try? parse(s, field: "online nodes")
    }
}
