#if canImport(Glibc)
import Glibc
#endif
import Testing
import SwiftBox

/// The cgroup v2 device program on this kernel's cgroup2 hierarchy (on a
/// hybrid host that is /sys/fs/cgroup/unified; the VM suite covers pure v2).
@Suite struct DeviceFilterKernelTests {
    @Test func deviceProgramDeniesWhatTheRulesDeny() throws {
        let layout = try CgroupLayout.current()
        let unified = try #require(layout.unified, "this host has no cgroup2 mount")
        let dir = unified.mountPoint + "/" + TestSupport.uniqueID("swiftbox-bpf")
        #expect(mkdir(dir, 0o755) == 0)
        defer { _ = rmdir(dir) }
        let rules = try [DeviceCgroup(allow: false, access: "rwm"),
                         DeviceCgroup(allow: true, type: "c", major: 1, minor: 5, access: "r")]
            .enumerated().map { try DeviceRule($0.element, field: "devices[\($0.offset)]") }
        try DeviceFilter.install(rules, on: dir)
        #expect(DeviceFilter.attachedPrograms(on: dir).count == 1)
        // Replacing the program leaves exactly one attached.
        try DeviceFilter.install(rules, on: dir)
        #expect(DeviceFilter.attachedPrograms(on: dir).count == 1)
        let script = """
            echo $$ > \(dir)/cgroup.procs
            head -c1 /dev/zero | wc -c
            cat /dev/null 2>/dev/null && echo null-allowed || echo null-denied
            echo x 2>/dev/null > /dev/zero && echo zero-writable || echo zero-write-denied
            """
        let r = TestSupport.run(["/bin/sh", "-c", script])
        #expect(r.stdout.split(separator: "\n").map(String.init) == ["1", "null-denied", "zero-write-denied"], "\(r.stderr)")
    }
}
