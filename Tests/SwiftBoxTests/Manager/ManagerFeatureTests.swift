#if canImport(Glibc)
import Glibc
#endif
import Testing
import SwiftBox

/// What the service file's resources, seccomp, mounts and images turn into in
/// real containers.
@Suite struct ManagerFeatureTests {
    func procStatus(_ pid: Int32, _ field: String) -> String? {
        ((try? FS.readString("/proc/\(pid)/status")) ?? "").split(separator: "\n")
            .first { $0.hasPrefix(field + ":") }.map { $0.dropFirst(field.count + 1).trimmingWhitespace() }
    }

    func cgroupValue(_ id: String, root: StateRoot, _ files: [String]) -> String? {
        guard let r = try? root.load(id), let cg = try? ContainerCgroup(id: id, cgroupsPath: r.cgroupPath, systemd: false) else { return nil }
        for dir in cg.directories { for f in files { if let t = try? FS.readString(dir + "/" + f) { return t.trimmingWhitespace() } } }
        return nil
    }

    @Test func resourcesSeccompCapabilitiesAndMountsReachTheContainer() throws {
        let f = try ManagerFixture()
        let lim = f.name("lim")
        let free = f.name("free")
        try FS.mkdirAll(f.dir + "/share")
        try FS.write(f.dir + "/share/in.txt", "from host\n", create: true)
        let path = try f.write("""
        [{"name": "\(lim)", "image": "$BUSYBOX", "stopTimeout": "100ms",
          "resources": {"memory": "48M", "pids": 40, "cpus": "0.5"}, "capabilities": {"drop": ["ALL"], "add": ["KILL"]},
          "readonlyRootfs": true, "workdir": "/data", "user": "nobody", "env": {"GREETING": "hi"},
          "mounts": ["./share:/data:ro", {"type": "tmpfs", "target": "/scratch", "size": "1M"}, "vol:/vol"],
          "command": "cat in.txt; id -u; echo $GREETING; touch /x 2>/dev/null || echo rootfs-ro; touch /scratch/ok && echo tmpfs-rw; exec sleep 60"},
         {"name": "\(free)", "image": "$BUSYBOX", "seccomp": "unconfined", "stopTimeout": "100ms",
          "command": "echo w > /written; cat /written; exec sleep 60"}]
        """)
        let up = f.swiftbox(["run", "-d", path])
        #expect(up.code == 0, "\(up.stderr)")
        let a = try #require(f.instance("\(lim)-1"))
        let b = try #require(f.instance("\(free)-1"))
        #expect(cgroupValue(a.instance, root: f.stateRoot, ["memory.max", "memory.limit_in_bytes"]) == "\(48 << 20)")
        #expect(cgroupValue(a.instance, root: f.stateRoot, ["pids.max"]) == "40")
        #expect(cgroupValue(a.instance, root: f.stateRoot, ["cpu.max", "cpu.cfs_quota_us"]).map { $0.hasPrefix("50000") } == true)
        #expect(procStatus(a.pid, "Seccomp") == "2", "the default profile is on")
        #expect(procStatus(b.pid, "Seccomp") == "0", "unconfined")
        #expect(procStatus(a.pid, "CapBnd") == "0000000000000020", "only CAP_KILL")
        #expect(f.wait(3) { f.swiftbox(["logs", a.instance]).stdout == "from host\n65534\nhi\nrootfs-ro\ntmpfs-rw\n" },
                "\(f.swiftbox(["logs", a.instance]).stdout)")
        // A writable rootfs is a private overlay: the image folder is untouched.
        #expect(f.wait(3) { f.swiftbox(["logs", b.instance]).stdout == "w\n" })
        #expect(!FS.exists(TestSupport.busyboxRootfs + "/written"))
        #expect(FS.isDirectory(f.root + "/volumes/svc/vol"))
        #expect(f.swiftbox(["down", path]).code == 0)
        #expect(TestSupport.sh("grep -c ' \(f.root)/' /proc/self/mountinfo").stdout.trimmingWhitespace() == "0")
    }

    @Test func networkModesGiveLoopbackHostOrNothing() throws {
        let f = try ManagerFixture()
        let names = ["none", "private", "host"].map { ($0, f.name("n" + $0)) }
        let services = names.map { mode, name in
            "{\"name\": \"\(name)\", \"image\": \"$BUSYBOX\", \"network\": \"\(mode)\", \"stopTimeout\": \"100ms\", \"command\": \"cat /sys/class/net/lo/flags; ls /sys/class/net | wc -l; readlink /proc/self/ns/net; exec sleep 60\"}"
        }
        let path = try f.write("[" + services.joined(separator: ",\n") + "]")
        let up = f.swiftbox(["run", "-d", path])
        #expect(up.code == 0, "\(up.stderr)")
        func log(_ n: String) -> [String] { f.swiftbox(["logs", n + "-1"]).stdout.split(separator: "\n").map(String.init) }
        #expect(f.wait(3) { log(names[0].1).count == 3 && log(names[1].1).count == 3 && log(names[2].1).count == 3 })
        #expect(log(names[0].1).prefix(2) == ["0x8", "1"], "none: lo only, down")
        #expect(log(names[1].1).prefix(2) == ["0x9", "1"], "private: lo only, up")
        // host: the host's own network namespace (other tests add and remove
        // host interfaces meanwhile, so its interfaces are not counted).
        let hostNet = (try? FS.readLink("/proc/self/ns/net")) ?? "?"
        #expect(log(names[2].1).last == hostNet, "host: the host's network namespace")
        #expect(log(names[0].1).last != hostNet && log(names[1].1).last != hostNet)
    }

    @Test func ociLayoutImageRunsThroughTheImageStore() throws {
        let f = try ManagerFixture()
        let store = try TestSupport.tempDir("sbm-store")
        defer { _ = TestSupport.sh("grep -o ' \(store)/[^ ]*' /proc/self/mountinfo | sort -r | xargs -r -n1 umount -l; rm -rf \(store)") }
        f.env = ["SWIFTBOX_STORE=\(store)"]
        let s = f.name("img")
        let path = try f.write("""
        {"name": "\(s)", "image": "\(ImageFixtures.umoci)/layout", "replicas": 2, "stopTimeout": "100ms",
         "command": "echo from-layout; exec sleep 60"}
        """)
        let up = f.swiftbox(["run", "-d", path])
        #expect(up.code == 0, "\(up.stderr)")
        #expect(f.report().filter { $0.state == "running" }.count == 2, "\(f.report())")
        #expect(f.wait(3) { f.swiftbox(["logs", "\(s)-2"]).stdout == "from-layout\n" })
        let images = f.swiftbox(["image", "ls", "--store", store])
        #expect(images.code == 0 && images.stdout.split(separator: "\n").count >= 2, "\(images.stdout) \(images.stderr)")
        #expect(f.swiftbox(["down", path]).code == 0)
        #expect(f.containers.isEmpty)
        #expect(TestSupport.sh("grep -c ' \(f.root)/' /proc/self/mountinfo").stdout.trimmingWhitespace() == "0")
    }

    @Test func missingStoredImageIsAProblemOfTheFile() throws {
        let f = try ManagerFixture()
        let store = try TestSupport.tempDir("sbm-store")
        defer { try? FS.removeAll(store) }
        f.env = ["SWIFTBOX_STORE=\(store)"]
        let path = try f.write("""
        {"name": "\(f.name("x"))", "image": "nosuch:1.0", "command": "true"}
        """)
        let r = f.swiftbox(["run", "-d", path])
        #expect(r.code != 0)
        #expect(r.stderr.contains("\(path):1: $.image: no image \"nosuch:1.0\""), "\(r.stderr)")
        #expect(f.containers.isEmpty)
    }
}
