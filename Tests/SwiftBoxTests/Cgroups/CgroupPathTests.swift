import Testing
import SwiftBox

/// Pure logic: layout detection from mountinfo text and runc's cgroupsPath rules.
@Suite struct CgroupPathTests {
    static let hybridMountinfo = """
        31 23 0:28 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755
        32 31 0:29 / /sys/fs/cgroup/cpu,cpuacct rw,relatime - cgroup cgroup rw,cpu,cpuacct
        35 31 0:32 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory
        40 31 0:37 / /sys/fs/cgroup/systemd rw,relatime - cgroup cgroup rw,xattr,name=systemd
        41 31 0:38 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw,nsdelegate
        """
    static let v2Mountinfo = "29 23 0:26 / /sys/fs/cgroup rw,nosuid - cgroup2 cgroup2 rw,nsdelegate,memory_recursiveprot"

    @Test func layoutIsReadFromMountinfo() {
        let hybrid = CgroupLayout.parse(mountinfo: Self.hybridMountinfo)
        #expect(hybrid.kind == .hybrid)
        #expect(hybrid.v1Hierarchy(for: "cpuacct")?.mountPoint == "/sys/fs/cgroup/cpu,cpuacct")
        #expect(hybrid.v1Hierarchy(for: "memory")?.procKey == "memory")
        #expect(hybrid.v1.map(\.procKey).contains("name=systemd"))
        #expect(hybrid.unified?.mountPoint == "/sys/fs/cgroup/unified")
        #expect(CgroupLayout.parse(mountinfo: Self.v2Mountinfo).kind == .v2)
        let v1Only = Self.hybridMountinfo.split(separator: "\n").filter { !$0.contains("cgroup2") }.joined(separator: "\n")
        #expect(CgroupLayout.parse(mountinfo: v1Only).kind == .v1)
        // Octal escapes in mount points are decoded.
        let spaced = "41 31 0:38 / /mnt/my\\040cg rw - cgroup2 cgroup2 rw"
        #expect(CgroupLayout.parse(mountinfo: spaced).unified?.mountPoint == "/mnt/my cg")
    }

    @Test func thisHostHasAKnownLayout() throws {
        let layout = try CgroupLayout.current()
        #expect(!layout.hierarchies.isEmpty)
        for h in layout.hierarchies { #expect(FS.isDirectory(h.mountPoint)) }
    }

    func resolve(_ path: String?, systemd: Bool = false, own: String = "") throws -> CgroupPath {
        try CgroupPath.resolve(id: "web", cgroupsPath: path, systemd: systemd,
                               layout: CgroupLayout.parse(mountinfo: Self.hybridMountinfo),
                               own: ProcessCgroups.parse(own), systemdRunning: false)
    }

    @Test func pathsResolveAsRuncDoes() throws {
        #expect(try resolve(nil).encoded == "/swiftbox/web")
        #expect(try resolve("/a//b/./c").encoded == "/a/b/c")
        // Relative paths start at the caller's own cgroup in each hierarchy.
        let own = "4:memory:/user.slice/me\n2:cpu,cpuacct:/\n1:name=systemd:/\n0::/\n"
        let rel = try resolve("pods/web", own: own)
        let layout = CgroupLayout.parse(mountinfo: Self.hybridMountinfo)
        #expect(rel.path(in: layout.v1Hierarchy(for: "memory")!) == "/user.slice/me/pods/web")
        #expect(rel.path(in: layout.v1Hierarchy(for: "cpu")!) == "/pods/web")
        #expect(rel.path(in: layout.unified!) == "/pods/web")
        // The stored form re-opens the same places.
        let back = try CgroupPath.resolve(id: "web", cgroupsPath: rel.encoded, systemd: false, layout: layout,
                                          own: ProcessCgroups(paths: [:]), systemdRunning: false)
        #expect(back.path(in: layout.v1Hierarchy(for: "memory")!) == "/user.slice/me/pods/web")
        #expect(back.path(in: layout.unified!) == "/pods/web")
        // When every hierarchy agrees the stored form is the plain path.
        #expect(try resolve("pods/web", own: "4:memory:/\n0::/\n").encoded == "/pods/web")
    }

    @Test func badPathsAreRefused() {
        #expect(throws: SwiftBoxError.self) { try resolve("/a/../../b") }
        #expect(throws: SwiftBoxError.self) { try resolve("/") }
        #expect(throws: SwiftBoxError.self) { try resolve("a;b") }
    }

    @Test func systemdPathsArePlacedOnCgroupfsWithANotice() throws {
        let p = try resolve("machine-web.slice:swiftbox:api", systemd: true)
        #expect(p.encoded == "/machine.slice/machine-web.slice/swiftbox-api.scope")
        #expect(p.notice?.contains("/machine.slice/machine-web.slice/swiftbox-api.scope") == true)
        #expect(p.notice?.contains("systemd is not running") == true)
        #expect(try resolve(nil, systemd: true).encoded == "/system.slice/swiftbox-web.scope")
        #expect(try resolve(":prefix:", systemd: true).encoded == "/system.slice/prefix-web.scope")
        #expect(try resolve("system.slice::inner.slice", systemd: true).encoded == "/inner.slice")
        let err = #expect(throws: SwiftBoxError.self) { try resolve("/not/systemd", systemd: true) }
        #expect(err?.message.contains("slice:prefix:name") == true)
        #expect(throws: SwiftBoxError.self) { try resolve("bad:x:y", systemd: true) }
        #expect(throws: SwiftBoxError.self) { try resolve("a--b.slice:x:y", systemd: true) }
    }
}
