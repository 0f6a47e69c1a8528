#if canImport(Glibc)
import Glibc
#endif
import SwiftBoxLinux

/// One mounted cgroup hierarchy, as a line of /proc/self/mountinfo shows it.
public struct CgroupHierarchy: Equatable, Sendable {
    /// Where it is mounted (`/sys/fs/cgroup/memory`, `/sys/fs/cgroup`).
    public var mountPoint: String
    /// The cgroup that the mount shows at its top (field 4 of mountinfo; not `/`
    /// inside a cgroup namespace or for a bind mount of a sub-cgroup).
    public var root: String
    /// Whether this is the unified (cgroup2) hierarchy.
    public var isUnified: Bool
    /// The v1 controllers bound to it (`cpu`, `cpuacct`, `name=systemd`); for
    /// cgroup2, the controllers its root offers (`cgroup.controllers`).
    public var controllers: [String]

    /// The key of this hierarchy in /proc/PID/cgroup (`cpu,cpuacct`, `name=systemd`,
    /// or the empty string for cgroup2).
    public var procKey: String { isUnified ? "" : controllers.joined(separator: ",") }
}

/// Which cgroup layout a host has.
public enum CgroupLayoutKind: String, Sendable {
    /// Only v1 hierarchies.
    case v1
    /// Only the unified hierarchy (every current distribution).
    case v2
    /// v1 controllers plus a cgroup2 mount (usually `/sys/fs/cgroup/unified`).
    case hybrid
}

/// The cgroup hierarchies of this host, read from /proc/self/mountinfo.
public struct CgroupLayout: Equatable, Sendable {
    /// Every mounted hierarchy, one per v1 mount (the first mount of a
    /// hierarchy wins when one is mounted twice) and at most one cgroup2.
    public var hierarchies: [CgroupHierarchy]

    /// v1, v2 or hybrid.
    public var kind: CgroupLayoutKind {
        let v1 = hierarchies.contains { !$0.isUnified }
        let v2 = hierarchies.contains { $0.isUnified }
        if v1 && v2 { return .hybrid }
        return v2 ? .v2 : .v1
    }

    /// The v1 hierarchies.
    public var v1: [CgroupHierarchy] { hierarchies.filter { !$0.isUnified } }
    /// The unified hierarchy, if one is mounted.
    public var unified: CgroupHierarchy? { hierarchies.first { $0.isUnified } }

    /// The v1 hierarchy carrying `controller`, if it is mounted.
    public func v1Hierarchy(for controller: String) -> CgroupHierarchy? {
        v1.first { $0.controllers.contains(controller) }
    }

    nonisolated(unsafe) private static var cached: (mountNamespace: UInt64, layout: CgroupLayout)?

    /// Reads the layout of the calling process's mount namespace. A container
    /// start asks several times (create, status checks, delete); the answer is
    /// kept per mount namespace for the life of the process.
    public static func current() throws -> CgroupLayout {
        let ns = FS.info("/proc/self/ns/mnt").map { UInt64($0.st_ino) } ?? 0
        if let cached, cached.mountNamespace == ns, ns != 0 { return cached.layout }
        let layout = try read()
        cached = (ns, layout)
        return layout
    }

    static func read() throws -> CgroupLayout {
        var layout = parse(MountInfo.read())
        for i in layout.hierarchies.indices where layout.hierarchies[i].isUnified {
            let file = layout.hierarchies[i].mountPoint + "/cgroup.controllers"
            let names = ((try? FS.readString(file)) ?? "").split(whereSeparator: { $0 == " " || $0 == "\n" })
            layout.hierarchies[i].controllers = names.map(String.init)
        }
        if layout.hierarchies.isEmpty {
            throw SwiftBoxError("no cgroup hierarchy is mounted (none found in /proc/self/mountinfo); mount cgroup2 on /sys/fs/cgroup")
        }
        return layout
    }

    /// Parses mountinfo text. cgroup2 controllers are left empty (they live in
    /// a file, not in mountinfo); `current()` fills them in.
    public static func parse(mountinfo text: String) -> CgroupLayout {
        parse(MountInfo.parse(Array(text.utf8)))
    }

    /// The cgroup hierarchies among parsed mountinfo lines. Every container
    /// start reads the layout several times, so the parsing is the byte-level
    /// one in `MountInfo`.
    static func parse(_ mounts: [MountInfo]) -> CgroupLayout {
        var out: [CgroupHierarchy] = []
        for m in mounts where m.fsType == "cgroup" || m.fsType == "cgroup2" {
            if m.fsType == "cgroup2" {
                if out.contains(where: { $0.isUnified }) { continue }
                out.append(CgroupHierarchy(mountPoint: m.mountPoint, root: m.root, isUnified: true, controllers: []))
                continue
            }
            // Super options name the controllers: "rw,cpu,cpuacct" or "rw,name=systemd".
            let options = m.superOptions.split(separator: ",").map(String.init)
            let controllers = options.filter { CgroupLayout.v1Controllers.contains($0) || $0.hasPrefix("name=") }
            if controllers.isEmpty || out.contains(where: { $0.controllers == controllers }) { continue }
            out.append(CgroupHierarchy(mountPoint: m.mountPoint, root: m.root, isUnified: false, controllers: controllers))
        }
        return CgroupLayout(hierarchies: out)
    }

    /// The v1 controllers the kernel knows.
    static let v1Controllers: Set<String> = [
        "cpu", "cpuacct", "cpuset", "memory", "devices", "freezer", "blkio", "pids", "hugetlb",
        "net_cls", "net_prio", "perf_event", "rdma", "misc",
    ]
}

/// The cgroups of a process, as /proc/PID/cgroup lists them.
public struct ProcessCgroups: Equatable, Sendable {
    /// Hierarchy key (`cpu,cpuacct`, `name=systemd`, `""` for cgroup2) → path.
    public var paths: [String: String]

    /// Cgroups from a key → path map.
    public init(paths: [String: String]) { self.paths = paths }

    /// Reads /proc/self/cgroup (or another process's).
    public static func of(_ pid: String = "self") throws -> ProcessCgroups {
        parse(bytes: try FS.read("/proc/\(pid)/cgroup"))
    }

    /// Parses /proc/PID/cgroup text.
    public static func parse(_ text: String) -> ProcessCgroups { parse(bytes: Array(text.utf8)) }

    /// Parses /proc/PID/cgroup bytes (split as bytes: it is read on every start).
    public static func parse(bytes: [UInt8]) -> ProcessCgroups {
        var paths: [String: String] = [:]
        for line in bytes.split(separator: 0x0A) {
            let parts = line.split(separator: UInt8(ascii: ":"), maxSplits: 2, omittingEmptySubsequences: false)
            guard parts.count == 3 else { continue }
            paths[String(decoding: parts[1], as: UTF8.self)] = String(decoding: parts[2], as: UTF8.self)
        }
        return ProcessCgroups(paths: paths)
    }

    /// This process's cgroup in `hierarchy` (`/` if it is not listed).
    public func path(in hierarchy: CgroupHierarchy) -> String {
        if let p = paths[hierarchy.procKey] { return p }
        // Comounted v1 controllers may be listed in another order.
        for (key, p) in paths where !key.isEmpty {
            if Set(key.split(separator: ",").map(String.init)) == Set(hierarchy.controllers) { return p }
        }
        return "/"
    }
}
