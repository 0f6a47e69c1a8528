#if canImport(Glibc)
import Glibc
#endif
import Testing
import SwiftBox

/// Real containers on this kernel: each limit is proven by its effect.
@Suite struct CgroupLimitTests {
    /// A sandbox whose config sets `resources`.
    func sandbox(_ args: [String], prefix: String, cgroupsPath: String? = nil,
                 _ resources: (inout Resources) -> Void, edit: (inout Spec) -> Void = { _ in }) throws -> Sandbox {
        try Sandbox(args, prefix: prefix) { spec in
            var r = Resources()
            resources(&r)
            spec.linux!.resources = r
            spec.linux!.cgroupsPath = cgroupsPath
            edit(&spec)
        }
    }

    func cgroup(_ box: Sandbox, _ path: String? = nil) throws -> ContainerCgroup {
        try ContainerCgroup(id: box.id, cgroupsPath: path, systemd: false)
    }

    func waitUntil(_ seconds: Double, _ condition: () -> Bool) -> Bool {
        var waited = 0.0
        while waited < seconds {
            if condition() { return true }
            usleep(20_000)
            waited += 0.02
        }
        return condition()
    }

    func now() -> Double {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
    }

    /// The content of the first control file called `name` in the container's cgroup.
    func controlFile(_ cg: ContainerCgroup, _ name: String) -> String? {
        for dir in cg.directories where FS.exists(dir + "/" + name) {
            return (try? FS.readString(dir + "/" + name))?.trimmingWhitespace()
        }
        return nil
    }

    @Test func memoryHogIsKilledAtTheLimitAndTheOOMIsReported() throws {
        let hog = ["dd", "if=/dev/zero", "of=/dev/null", "bs=64M", "count=1"]
        let box = try sandbox(hog, prefix: "oom") {
            $0.memory = Memory(); $0.memory!.limit = 24 << 20; $0.memory!.swap = 24 << 20
        }
        defer { box.cleanup() }
        #expect(box.create().code == 0)
        let events = box.root + "/events.jsonl"
        let sb = TestSupport.swiftbox
        let r = TestSupport.sh("\(sb) --root \(box.root) events --interval 100ms \(box.id) > \(events) & sleep 0.3; \(sb) --root \(box.root) start \(box.id); wait")
        #expect(r.code == 0, "\(r.stderr)")
        #expect(waitUntil(10) { box.status() == "stopped" })
        let cg = try cgroup(box)
        #expect(cg.oomKillCount() >= 1)
        #expect(cg.wasOOMKilled)
        let lines = ((try? FS.readString(events)) ?? "").split(separator: "\n")
        #expect(lines.contains { $0.contains("\"type\":\"oom\"") && $0.contains(box.id) }, "events printed: \(lines)")
        let stats = box.swiftbox(["events", "--stats", box.id])
        #expect(stats.code == 0)
        let event = try JSONDocument.decode(CgroupEvent.self, from: Array(stats.stdout.utf8), file: "events")
        #expect(event.type == "stats")
        #expect((event.data?.memory.raw?["oom_kill"] ?? 0) >= 1)
        #expect(event.data?.memory.usage.limit == 24 << 20)
        // `run` sees the kill as SIGKILL (128 + 9).
        let again = try sandbox(hog, prefix: "oomrun") {
            $0.memory = Memory(); $0.memory!.limit = 24 << 20; $0.memory!.swap = 24 << 20
        }
        defer { again.cleanup() }
        #expect(again.run().code == 137)
        #expect(again.leftovers().isEmpty)
    }

    @Test func forkBombStopsAtPidsMax() throws {
        // The inner shell forks until the kernel refuses (ash then exits); the
        // outer one outlives it so the container stays up to be inspected.
        let bomb = "sh -c 'while :; do sleep 30 & done' 2>/dev/null; sleep 1000"
        let box = try sandbox(["sh", "-c", bomb], prefix: "pids") { $0.pids = Pids(limit: 12) }
        defer { box.cleanup() }
        #expect(box.create().code == 0)
        #expect(box.swiftbox(["start", box.id]).code == 0)
        let cg = try cgroup(box)
        func refused() -> UInt64 {
            (controlFile(cg, "pids.events") ?? "").split(separator: " ").last.flatMap { UInt64($0) } ?? 0
        }
        #expect(waitUntil(5) { refused() > 0 }, "pids.events counts forks the limit refused")
        #expect(waitUntil(5) { cg.processes().count == 11 }, "10 sleeps and the outer shell: \(cg.processes())")
        #expect((cg.stats().pids.current ?? 99) <= 12)
        #expect(cg.stats().pids.limit == 12)
        #expect(TestSupport.sh("true").code == 0, "the host can still fork")
        // kill --all reaches every process of the bomb.
        #expect(box.swiftbox(["kill", "--all", box.id, "KILL"]).code == 0)
        #expect(waitUntil(5) { cg.processes().isEmpty })
        #expect(box.swiftbox(["delete", box.id]).code == 0)
        #expect(box.leftovers().isEmpty)
    }

    @Test func killAllWithTermReachesEveryProcessThroughTheFreezer() throws {
        // Not SIGKILL, so not cgroup.kill: freeze, signal each process, thaw.
        let box = try sandbox(["sh", "-c", "sleep 1000 & sleep 1000 & wait"], prefix: "kall") { _ in }
        defer { box.cleanup() }
        #expect(box.create().code == 0)
        #expect(box.swiftbox(["start", box.id]).code == 0)
        let cg = try cgroup(box)
        #expect(waitUntil(5) { cg.processes().count == 3 })
        #expect(box.swiftbox(["kill", "--all", box.id, "TERM"]).code == 0)
        #expect(!cg.isFrozen(), "the cgroup is thawed again")
        // The sleeps die; the shell (pid 1, no TERM handler) then returns from wait.
        #expect(waitUntil(5) { cg.processes().isEmpty })
        #expect(waitUntil(5) { box.status() == "stopped" })
    }

    @Test func cpuQuotaHoldsABusyLoopToAFifthOfACPU() throws {
        let box = try sandbox(["sh", "-c", "while :; do :; done"], prefix: "cpu") {
            $0.cpu = CPU(); $0.cpu!.quota = 20_000; $0.cpu!.period = 100_000
        }
        defer { box.cleanup() }
        #expect(box.create().code == 0)
        #expect(box.swiftbox(["start", box.id]).code == 0)
        let cg = try cgroup(box)
        usleep(300_000)
        let u0 = cg.stats().cpu.usage.total ?? 0, t0 = now()
        usleep(1_500_000)
        let u1 = cg.stats().cpu.usage.total ?? 0, t1 = now()
        let share = Double(u1 - u0) / 1e9 / (t1 - t0)
        #expect(share > 0.1 && share < 0.3, "the loop used \(share) of a CPU")
        #expect((cg.stats().cpu.throttling?.throttledPeriods ?? 0) > 0)
    }

    @Test func deniedDeviceCannotBeOpenedOrCreated() throws {
        let script = """
            mknod /dev/k c 1 11 && echo mknod-allowed
            head -c1 /dev/k >/dev/null 2>&1 && echo read-allowed || echo read-denied
            mknod /dev/m c 1 1 2>/dev/null && echo mem-created || echo mem-denied
            head -c1 /dev/zero | wc -c
            """
        let box = try sandbox(["sh", "-c", script], prefix: "dev", {
            $0.devices = [DeviceCgroup(allow: false, access: "rwm"),
                          DeviceCgroup(allow: true, type: "c", major: 1, minor: 11, access: "m")]
        }, edit: { spec in
            var caps = spec.process!.capabilities!
            for k in [\Capabilities.bounding, \Capabilities.effective, \Capabilities.permitted] {
                caps[keyPath: k] = (caps[keyPath: k] ?? []) + ["CAP_MKNOD"]
            }
            spec.process!.capabilities = caps
        })
        defer { box.cleanup() }
        let r = box.run()
        #expect(r.code == 0, "\(r.stderr)")
        #expect(r.stdout.split(separator: "\n").map(String.init) == ["mknod-allowed", "read-denied", "mem-denied", "1"])
    }

    @Test func updateChangesTheLimitsOfARunningContainer() throws {
        let box = try sandbox(["sleep", "1000"], prefix: "upd") {
            $0.memory = Memory(); $0.memory!.limit = 64 << 20
            $0.pids = Pids(limit: 20)
        }
        defer { box.cleanup() }
        #expect(box.create().code == 0)
        #expect(box.swiftbox(["start", box.id]).code == 0)
        let cg = try cgroup(box)
        #expect(cg.stats().memory.usage.limit == 64 << 20)
        let u = box.swiftbox(["update", "--memory", "128m", "--pids-limit", "30", box.id])
        #expect(u.code == 0, "\(u.stderr)")
        #expect(cg.stats().memory.usage.limit == 128 << 20)
        #expect(cg.stats().pids.limit == 30)
        // -1 lifts a limit, as with runc.
        #expect(box.swiftbox(["update", "--pids-limit", "-1", box.id]).code == 0)
        #expect(controlFile(cg, "pids.max") == "max")
        // -r takes linux.resources JSON.
        let file = box.root + "/r.json"
        try FS.write(file, "{\"cpu\":{\"quota\":30000,\"period\":100000},\"pids\":{\"limit\":40}}", create: true)
        #expect(box.swiftbox(["update", "-r", file, box.id]).code == 0)
        #expect(cg.stats().pids.limit == 40)
        let quota = controlFile(cg, "cpu.cfs_quota_us") ?? controlFile(cg, "cpu.max")
        #expect(quota == "30000" || quota == "30000 100000")
        // Bad input names the field and changes nothing.
        let bad = box.swiftbox(["update", "--cpuset-cpus", "0-4000", "--memory", "256m", box.id])
        #expect(bad.code != 0)
        #expect(bad.stderr.contains("linux.resources.cpu.cpus"))
        #expect(cg.stats().memory.usage.limit == 128 << 20)
        // A failure after a successful write rolls that write back.
        try FS.write(file, "{\"memory\":{\"limit\":268435456},\"unified\":{\"memory.nosuchfile\":\"1\"}}")
        let rolled = box.swiftbox(["update", "-r", file, box.id])
        #expect(rolled.code != 0)
        #expect(rolled.stderr.contains("linux.resources.unified[\"memory.nosuchfile\"]"), "\(rolled.stderr)")
        #expect(cg.stats().memory.usage.limit == 128 << 20)
    }

    @Test func hugepageLimitGoesWhereTheHugetlbControllerLives() throws {
        let size = try #require(Hugepages.sizes().contains("2MB") ? "2MB" : Hugepages.sizes().first, "no huge page sizes")
        let limit = try JSONDocument.decode(HugepageLimit.self, from: Array("{\"pageSize\":\"\(size)\",\"limit\":8388608}".utf8),
                                            file: "test")
        let box = try sandbox(["sleep", "1000"], prefix: "huge") { $0.hugepageLimits = [limit] }
        defer { box.cleanup() }
        #expect(box.create().code == 0)
        let cg = try cgroup(box)
        // v1 hugetlb.<size>.limit_in_bytes, or (v2, and hybrid hosts such as this
        // one where hugetlb sits on the cgroup2 mount) hugetlb.<size>.max.
        let value = controlFile(cg, "hugetlb.\(size).limit_in_bytes") ?? controlFile(cg, "hugetlb.\(size).max")
        #expect(value == "8388608")
        #expect(cg.stats().hugetlb[size] != nil)
    }

    @Test func pauseStopsProgressAndResumeRestoresIt() throws {
        let box = try sandbox(["sh", "-c", "while :; do :; done"], prefix: "frz") { _ in }
        defer { box.cleanup() }
        #expect(box.create().code == 0)
        #expect(box.swiftbox(["start", box.id]).code == 0)
        let cg = try cgroup(box)
        #expect(box.swiftbox(["resume", box.id]).code != 0, "resume needs a paused container")
        #expect(box.swiftbox(["pause", box.id]).code == 0)
        #expect(box.status() == "paused")
        let u0 = cg.stats().cpu.usage.total ?? 0
        usleep(400_000)
        let u1 = cg.stats().cpu.usage.total ?? 0
        #expect(u1 - u0 < 5_000_000, "a paused container used \(u1 - u0) ns")
        #expect(box.swiftbox(["pause", box.id]).code != 0, "pause needs a running container")
        #expect(box.swiftbox(["resume", box.id]).code == 0)
        #expect(box.status() == "running")
        usleep(400_000)
        #expect((cg.stats().cpu.usage.total ?? 0) - u1 > 50_000_000)
    }

    @Test func deleteLeavesNoCgroupInAnyHierarchy() throws {
        let top = TestSupport.uniqueID("cgtop")
        let box = try sandbox(["sh", "-c", "sleep 1000 & sleep 1000 & wait"], prefix: "del", cgroupsPath: "/\(top)/inner/x") {
            $0.memory = Memory(); $0.memory!.limit = 32 << 20
            $0.cpu = CPU(); $0.cpu!.shares = 512
            $0.pids = Pids(limit: 50)
        }
        defer { box.cleanup() }
        #expect(box.create().code == 0)
        #expect(box.swiftbox(["start", box.id]).code == 0)
        let cg = try cgroup(box, "/\(top)/inner/x")
        #expect(cg.directories.allSatisfy { FS.isDirectory($0) })
        #expect(waitUntil(5) { cg.processes().count == 3 })
        #expect(box.swiftbox(["delete", "--force", box.id]).code == 0)
        let left = TestSupport.sh("find /sys/fs/cgroup -maxdepth 3 -name '\(top)*'").stdout
        #expect(left.isEmpty, "left behind: \(left)")
        #expect(box.leftovers().isEmpty)
    }

    /// init and exec'd processes enter their cgroups themselves (a v1 `tasks`
    /// write of "0", clone3 into the v2 directory): seen from the host, both
    /// are in the container's cgroup in every hierarchy before they run.
    @Test func initAndExecProcessesAreInTheContainersCgroupEverywhere() throws {
        let box = try sandbox(["sleep", "1000"], prefix: "place") { $0.pids = Pids(limit: 20) }
        defer { box.cleanup() }
        #expect(box.create().code == 0)
        let layout = try CgroupLayout.current()
        let expected = "/swiftbox/\(box.id)"
        let initPID = try #require(box.pid())
        let ofInit = try ProcessCgroups.of(String(initPID))
        for h in layout.hierarchies { #expect(ofInit.path(in: h) == expected, "\(h.mountPoint): \(ofInit.paths)") }
        #expect(box.swiftbox(["start", box.id]).code == 0)
        let pidFile = box.root + "/exec.pid"
        #expect(box.swiftbox(["exec", "--detach", "--pid-file", pidFile, box.id, "sleep", "1000"]).code == 0)
        let execPID = try #require(Int32(try FS.readString(pidFile).trimmingWhitespace()))
        let ofExec = try ProcessCgroups.of(String(execPID))
        for h in layout.hierarchies { #expect(ofExec.path(in: h) == expected, "\(h.mountPoint): \(ofExec.paths)") }
        #expect(box.swiftbox(["delete", "--force", box.id]).code == 0)
        #expect(box.leftovers().isEmpty)
    }

    /// Where clone3 is missing (old kernels, container profiles that refuse
    /// it), init is cloned with clone and writes itself into the v2 cgroup
    /// (here the hybrid host's cgroup2 mount) before it execs.
    @Test func withoutClone3InitStillEntersEveryHierarchy() throws {
        let helper = "/tmp/swiftbox-test-no-clone3-\(getpid())"
        defer { unlink(helper) }
        let cc = TestSupport.sh("gcc -O1 -o \(helper) \(TestSupport.packageRoot)/Tests/helpers/no-clone3.c")
        try #require(cc.code == 0, "\(cc.stderr)")
        let box = try sandbox(["sleep", "1000"], prefix: "noclone3") { $0.pids = Pids(limit: 20) }
        defer { box.cleanup() }
        let r = TestSupport.sh("\(helper) \(TestSupport.swiftbox) --root \(box.root) run --detach --bundle \(box.bundle) \(box.id)")
        #expect(r.code == 0, "\(r.stderr)")
        let pid = try #require(box.pid())
        let cgroups = try ProcessCgroups.of(String(pid))
        for h in try CgroupLayout.current().hierarchies {
            #expect(cgroups.path(in: h) == "/swiftbox/\(box.id)", "\(h.mountPoint): \(cgroups.paths)")
        }
        #expect(box.swiftbox(["delete", "--force", box.id]).code == 0)
        #expect(box.leftovers().isEmpty)
    }

    /// A container that makes cgroups of its own (cgroup namespace, writable
    /// cgroup mount) and moves into one: delete removes them first.
    @Test func deleteRemovesChildCgroupsTheContainerMade() throws {
        let script = "mkdir /sys/fs/cgroup/pids/inner && echo $$ > /sys/fs/cgroup/pids/inner/cgroup.procs && echo moved && sleep 1000"
        let box = try sandbox(["sh", "-c", script], prefix: "child", { $0.pids = Pids(limit: 20) }) { spec in
            spec.mounts = spec.mounts?.map { m in
                var m = m
                if m.type == "cgroup" { m.options = (m.options ?? []).filter { $0 != "ro" } + ["rw"] }
                return m
            }
        }
        defer { box.cleanup() }
        #expect(box.create().code == 0)
        #expect(box.swiftbox(["start", box.id]).code == 0)
        let cg = try cgroup(box)
        let inner = try #require(cg.directories.first { $0.hasPrefix("/sys/fs/cgroup/pids/") }) + "/inner"
        #expect(waitUntil(5) { !(((try? FS.readString(inner + "/cgroup.procs")) ?? "").isEmpty) }, "no process moved into \(inner)")
        #expect(box.swiftbox(["delete", "--force", box.id]).code == 0)
        #expect(!FS.exists(inner))
        #expect(box.leftovers().isEmpty)
    }

    @Test func relativeCgroupsPathStartsAtOurOwnCgroupAndIsRemoved() throws {
        let rel = TestSupport.uniqueID("rel")
        let box = try sandbox(["true"], prefix: "rel", cgroupsPath: rel) { $0.pids = Pids(limit: 10) }
        defer { box.cleanup() }
        #expect(box.create().code == 0)
        let own = try ProcessCgroups.of()
        let cg = try cgroup(box, rel)
        let layout = try CgroupLayout.current()
        for h in layout.hierarchies {
            let expected = FS.join(h.mountPoint, FS.clean(own.path(in: h) + "/" + rel))
            #expect(cg.directories.contains(expected))
            #expect(FS.isDirectory(expected))
        }
        #expect(box.swiftbox(["delete", "--force", box.id]).code == 0)
        #expect(!cg.exists)
    }

    @Test func badResourcesFailCreateWithTheFieldAndLeaveNothing() throws {
        let cases: [(String, (inout Resources) -> Void)] = [
            ("linux.resources.cpu.cpus", { $0.cpu = CPU(); $0.cpu!.cpus = "0-4000" }),
            ("linux.resources.memory.swap", { $0.memory = Memory(); $0.memory!.limit = 1 << 26; $0.memory!.swap = 1 << 20 }),
            ("linux.resources.devices[1].type", { $0.devices = [DeviceCgroup(allow: false), DeviceCgroup(allow: true, type: "z")] }),
            // Found only after the cgroup exists and other limits are written: proves the roll back.
            ("linux.resources.unified[\"memory.nosuchfile\"]", {
                $0.pids = Pids(limit: 5); $0.unified = ["memory.nosuchfile": "1"]
            }),
            // Refused by the kernel (a new parent has no real-time budget) in a
            // v1 hierarchy, which is written while init starts: init, already
            // in the cgroup2 directory (clone3), is killed, or that directory
            // could not be removed.
            ("linux.resources.cpu.realtimeRuntime", {
                $0.pids = Pids(limit: 5); $0.cpu = CPU(); $0.cpu!.realtimeRuntime = 10_000; $0.cpu!.realtimePeriod = 100_000
            }),
        ]
        for (field, edit) in cases {
            let box = try sandbox(["true"], prefix: "bad", edit)
            defer { box.cleanup() }
            let r = box.create()
            #expect(r.code != 0)
            #expect(r.stderr.contains(field), "expected \(field) in: \(r.stderr)")
            #expect(box.leftovers().isEmpty)
            #expect(!(try cgroup(box)).exists)
        }
    }

    @Test func systemdCgroupPathIsPlacedOnCgroupfsWithAMessage() throws {
        let slice = "sbtest\(UInt32.random(in: 0...UInt32.max)).slice"
        let box = try sandbox(["true"], prefix: "sd", cgroupsPath: "\(slice):swiftbox:web") { $0.pids = Pids(limit: 10) }
        defer { box.cleanup() }
        let r = box.swiftbox(["--systemd-cgroup", "create", "--bundle", box.bundle, box.id])
        #expect(r.code == 0, "\(r.stderr)")
        #expect(r.stderr.contains("/\(slice)/swiftbox-web.scope"))
        let cg = try ContainerCgroup(id: box.id, cgroupsPath: "/\(slice)/swiftbox-web.scope", systemd: false)
        #expect(cg.exists)
        #expect(box.swiftbox(["delete", "--force", box.id]).code == 0)
        #expect(TestSupport.sh("find /sys/fs/cgroup -maxdepth 3 -name '\(slice)'").stdout.isEmpty)
    }
}
