#if canImport(Glibc)
import Glibc
#endif
import CSwiftBox
import Testing
import SwiftBox

@Suite struct NamespaceAndProcessTests {
    @Test func joinsANetworkNamespaceByPath() throws {
        let name = "sbtest-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        #expect(TestSupport.sh("ip netns add \(name)").code == 0)
        defer { TestSupport.sh("ip netns delete \(name)") }
        let inode = try #require(FS.info("/run/netns/\(name)")?.st_ino)
        let box = try Sandbox(["readlink", "/proc/self/ns/net"]) {
            let namespaces = $0.linux?.namespaces ?? []
            $0.linux?.namespaces = namespaces.map {
                $0.type == "network" ? Namespace(type: "network", path: "/run/netns/\(name)") : $0
            }
        }
        defer { box.cleanup() }
        let r = box.run()
        #expect(r.stdout == "net:[\(inode)]\n", "\(r.stderr)")
    }

    @Test func noPivotUsesMoveAndChroot() throws {
        let box = try Sandbox(["sh", "-c", "ls / | head -3; cat /proc/self/mountinfo | wc -l"])
        defer { box.cleanup() }
        let r = box.swiftbox(["run", "--no-pivot", "--bundle", box.bundle, box.id])
        #expect(r.code == 0, "\(r.stderr)")
        #expect(r.stdout.hasPrefix("bin\n"))
        #expect(box.leftovers().isEmpty)
    }

    @Test func timeNamespaceOffsetsBoottime() throws {
        let box = try Sandbox(["cat", "/proc/uptime"]) {
            $0.linux?.namespaces?.append(Namespace(type: "time"))
            $0.linux?.timeOffsets = ["boottime": TimeOffset(secs: 86400 * 365, nanosecs: 0)]
        }
        defer { box.cleanup() }
        let r = box.run()
        #expect(r.code == 0, "\(r.stderr)")
        let uptime = Double(r.stdout.split(separator: " ").first ?? "") ?? 0
        #expect(uptime > 86400 * 365)
    }

    @Test func sysctlAndOOMScoreAdjApply() throws {
        let box = try Sandbox(["sh", "-c", "cat /proc/sys/net/ipv4/ip_forward /proc/self/oom_score_adj"]) {
            $0.linux?.sysctl = ["net.ipv4.ip_forward": "1"]
            let readonly = $0.linux?.readonlyPaths ?? []
            $0.linux?.readonlyPaths = readonly.filter { $0 != "/proc/sys" }
            $0.process?.oomScoreAdj = 500
        }
        defer { box.cleanup() }
        let hostBefore = try FS.readString("/proc/sys/net/ipv4/ip_forward")
        let r = box.run()
        #expect(r.stdout == "1\n500\n", "\(r.stderr)")
        // The host's setting is untouched (the container has its own network namespace).
        #expect(try FS.readString("/proc/sys/net/ipv4/ip_forward") == hostBefore)
    }

    /// The terminal's master end arrives on --console-socket; the process sees a tty.
    @Test func consoleSocketReceivesTheTerminal() throws {
        let box = try Sandbox(["sh", "-c", "tty; echo rows=$(stty size)"]) {
            $0.process?.terminal = true
            $0.process?.consoleSize = ConsoleSize(height: 30, width: 100)
        }
        defer { box.cleanup() }
        let path = box.root + "/console.sock"
        let listener = try UnixSocket.listen(at: path, backlog: 1, what: "console socket")
        defer { close(listener) }
        let create = try TestSupport.spawn([TestSupport.swiftbox, "--root", box.root, "create", "--bundle", box.bundle,
                                            "--console-socket", path, box.id])
        let conn = accept(listener, nil, nil)
        #expect(conn >= 0)
        let master = sb_recv_fd(conn)
        close(conn)
        #expect(master >= 0)
        defer { close(master) }
        #expect(Sys.exitCode(try Sys.wait(create).status) == 0)
        #expect(box.swiftbox(["start", box.id]).code == 0)
        var out: [UInt8] = []
        var buf = [UInt8](repeating: 0, count: 256)
        let deadline = monotonicSeconds() + 10
        while monotonicSeconds() < deadline, !String(decoding: out, as: UTF8.self).contains("rows=") || !out.contains(0x0A) {
            var p = pollfd(fd: master, events: Int16(POLLIN), revents: 0)
            if poll(&p, 1, 100) > 0 {
                let n = read(master, &buf, buf.count)
                if n <= 0 { break }
                out += buf[0..<n]
                if String(decoding: out, as: UTF8.self).contains("rows=30 100") { break }
            }
        }
        let text = String(decoding: out, as: UTF8.self)
        #expect(text.contains("/dev/pts/0"), "\(text)")
        #expect(text.contains("rows=30 100"), "\(text)")
    }

    @Test func cgroupNamespaceIsRootedAtTheContainersCgroup() throws {
        let box = try Sandbox(["sh", "-c", "cat /proc/self/cgroup; cat /sys/fs/cgroup/pids/cgroup.procs | wc -l"])
        defer { box.cleanup() }
        let r = box.run()
        #expect(r.code == 0, "\(r.stderr)")
        let lines = r.stdout.split(separator: "\n")
        #expect(!r.stdout.contains(".."), "\(r.stdout)")
        #expect(lines.dropLast().allSatisfy { $0.hasSuffix(":/") }, "\(r.stdout)")
        // /sys/fs/cgroup/pids is the container's own cgroup: only its processes.
        #expect((Int(lines.last?.trimmingWhitespace() ?? "") ?? 99) <= 3)
    }

    @Test func signalsIgnoredByTheCallerAreResetForTheContainer() throws {
        let box = try Sandbox(["sh", "-c", "trap 'echo got-usr1; exit 0' USR1; kill -USR1 $$; sleep 5; echo missed"])
        defer { box.cleanup() }
        let r = TestSupport.sh("trap '' USR1; exec \(TestSupport.swiftbox) --root \(box.root) run --bundle \(box.bundle) \(box.id)")
        #expect(r.stdout == "got-usr1\n", "\(r.stderr)")
    }

    /// A second container joins the first one's pid namespace by path (podman's
    /// `--pid container:…`): init has to be a grandchild for that to apply.
    @Test func joinsAnotherContainersPIDNamespace() throws {
        let first = try Sandbox(["sleep", "1000"])
        defer { first.cleanup() }
        #expect(first.swiftbox(["run", "--detach", "--bundle", first.bundle, first.id]).code == 0)
        let pid = try #require(first.pid())
        let second = try Sandbox(["sh", "-c", "tr '\\0' ' ' < /proc/1/cmdline; echo; echo $$"]) {
            let namespaces = $0.linux?.namespaces ?? []
            $0.linux?.namespaces = namespaces.map {
                $0.type == "pid" ? Namespace(type: "pid", path: "/proc/\(pid)/ns/pid") : $0
            }
        }
        defer { second.cleanup() }
        let r = second.run()
        #expect(r.code == 0, "\(r.stderr)")
        let lines = r.stdout.split(separator: "\n").map { $0.trimmingWhitespace() }
        #expect(lines.first == "sleep 1000", "\(r.stdout)")
        #expect(lines.last != "1", "the second container's process is not pid 1 of the shared namespace")
        #expect(second.leftovers().isEmpty)
    }

    /// Descriptors the caller left open must not reach the container (a host
    /// directory would be a way out), except those --preserve-fds names.
    @Test func strayDescriptorsAreClosedAndPreservedOnesPassed() throws {
        let box = try Sandbox(["sh", "-c", "for n in 3 4 5 6; do [ -e /proc/$$/fd/$n ] && echo has$n; done; cat <&3; true"])
        defer { box.cleanup() }
        let base = "exec 3</etc/hostname 4</ 5</ 6</; \(TestSupport.swiftbox) --root \(box.root) run"
        let closed = TestSupport.sh("\(base) --bundle \(box.bundle) \(box.id)")
        #expect(!closed.stdout.contains("has"), "\(closed.stdout)")
        let preserved = TestSupport.sh("\(base) --preserve-fds 1 --bundle \(box.bundle) \(box.id)")
        #expect(preserved.stdout.hasPrefix("has3\n"), "\(preserved.stdout)")
        #expect(!preserved.stdout.contains("has4"), "\(preserved.stdout)")
        #expect(preserved.stdout.hasSuffix(try FS.readString("/etc/hostname")), "\(preserved.stdout)")
    }
}
