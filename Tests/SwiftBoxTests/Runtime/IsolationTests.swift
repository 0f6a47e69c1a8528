#if canImport(Glibc)
import Glibc
#endif
import Testing
import SwiftBox

/// Each property is observed from inside the container (its output) and, where
/// it matters, from the host.
@Suite struct IsolationTests {
    func output(_ script: String, edit: (inout Spec) -> Void = { _ in }) throws -> TestSupport.Result {
        let box = try Sandbox(["sh", "-c", script], edit: edit)
        defer { box.cleanup() }
        let r = box.run()
        #expect(box.leftovers().isEmpty)
        return r
    }

    @Test func hostnameAndDomainnameAreTheContainers() throws {
        let r = try output("hostname; cat /proc/sys/kernel/domainname") { $0.hostname = "box-a"; $0.domainname = "example.test" }
        #expect(r.stdout == "box-a\nexample.test\n")
        #expect(Sys.hostname() != "box-a")
    }

    @Test func processIsPID1AndSeesOnlyItsOwnProcesses() throws {
        let r = try output("echo $$; ls /proc | grep -E '^[0-9]+$' | wc -l")
        let lines = r.stdout.split(separator: "\n").map { $0.trimmingWhitespace() }
        #expect(lines.first == "1")
        // sh, ls, grep, wc at most.
        #expect((Int(lines.last ?? "") ?? 99) <= 5)
    }

    @Test func newNetworkNamespaceHasOnlyLoopback() throws {
        let r = try output("ls /sys/class/net")
        #expect(r.stdout == "lo\n")
    }

    @Test func readOnlyRootRejectsWrites() throws {
        let r = try output("touch /newfile 2>&1; echo rc=$?; touch /tmp/x 2>&1; echo rc=$?")
        #expect(r.stdout.contains("Read-only file system"))
        #expect(!r.stdout.contains("rc=0"))
    }

    @Test func maskedPathsAreUnreadableAndReadOnlyPathsRejectWrites() throws {
        #expect(try FS.read("/proc/cpuinfo").count > 0)
        #expect(try FS.list("/proc/tty").count > 0)
        let r = try output("wc -c < /proc/cpuinfo; ls /proc/tty | wc -l; (echo 1 > /proc/sys/kernel/domainname) 2>&1; echo rc=$?") {
            $0.linux?.maskedPaths = ["/proc/cpuinfo", "/proc/tty"]
        }
        let lines = r.stdout.split(separator: "\n").map { $0.trimmingWhitespace() }
        #expect(lines.first == "0")
        #expect(lines.dropFirst().first == "0")
        #expect(r.stdout.contains("Read-only file system"))
        #expect(r.stdout.hasSuffix("rc=1\n"))
    }

    @Test func capabilitiesAndNoNewPrivsAreAsConfigured() throws {
        let r = try output("grep -E '^(CapInh|CapPrm|CapEff|CapBnd|CapAmb|NoNewPrivs)' /proc/self/status") {
            let caps = ["CAP_NET_BIND_SERVICE", "CAP_KILL"]
            $0.process?.capabilities = Capabilities(bounding: caps + ["CAP_CHOWN"], effective: caps,
                                                    inheritable: ["CAP_KILL"], permitted: caps, ambient: ["CAP_KILL"])
            $0.process?.noNewPrivileges = true
        }
        // CAP_KILL = 5 (0x20), CAP_NET_BIND_SERVICE = 10 (0x400), CAP_CHOWN = 0 (0x1)
        #expect(r.stdout.contains("CapBnd:\t0000000000000421"))
        #expect(r.stdout.contains("CapPrm:\t0000000000000420"))
        #expect(r.stdout.contains("CapInh:\t0000000000000020"))
        #expect(r.stdout.contains("CapAmb:\t0000000000000020"))
        #expect(r.stdout.contains("NoNewPrivs:\t1"))
    }

    @Test func userGroupsUmaskCwdEnvAndRlimitsApply() throws {
        let r = try output("id -u; id -g; id -G; umask; pwd; echo $GREETING; ulimit -n") {
            $0.process?.user = User(uid: 1000, gid: 1001, umask: 0o027, additionalGids: [1001, 2000])
            $0.process?.cwd = "/tmp"
            $0.process?.env?.append("GREETING=hi there")
            $0.process?.rlimits = [Rlimit(type: "RLIMIT_NOFILE", hard: 512, soft: 256)]
        }
        #expect(r.stdout == "1000\n1001\n1001 2000\n0027\n/tmp\nhi there\n256\n")
    }

    @Test func userNamespaceMapsContainerRootToAnUnprivilegedHostUID() throws {
        let box = try Sandbox(["sh", "-c", "id -u; cat /proc/self/uid_map; sleep 1000"]) {
            $0.linux?.namespaces?.append(Namespace(type: "user"))
            $0.linux?.uidMappings = [IDMapping(containerID: 0, hostID: 100000, size: 65536)]
            $0.linux?.gidMappings = [IDMapping(containerID: 0, hostID: 100000, size: 65536)]
            // /sys/fs/cgroup binds need no extra privilege; drop the cgroup mount for simplicity.
            $0.mounts = $0.mounts?.filter { $0.type != "cgroup" }
        }
        defer { box.cleanup() }
        #expect(box.swiftbox(["run", "--detach", "--bundle", box.bundle, box.id]).code == 0)
        let pid = try #require(box.pid())
        let status = try FS.readString("/proc/\(pid)/status")
        let uidLine = status.split(separator: "\n").first { $0.hasPrefix("Uid:") } ?? ""
        #expect(uidLine.split(separator: "\t").dropFirst().first == "100000")
        let inside = box.swiftbox(["exec", box.id, "sh", "-c", "id -u; cat /proc/self/uid_map"])
        #expect(inside.stdout.hasPrefix("0\n"))
        #expect(inside.stdout.contains("100000"))
    }

    @Test func execJoinsEveryNamespaceOfTheContainer() throws {
        let box = try Sandbox(["sleep", "1000"])
        defer { box.cleanup() }
        #expect(box.swiftbox(["run", "--detach", "--bundle", box.bundle, box.id]).code == 0)
        let script = "for n in ipc mnt net pid uts cgroup; do a=$(readlink /proc/1/ns/$n); b=$(readlink /proc/self/ns/$n); [ \"$a\" = \"$b\" ] && echo same-$n || echo diff-$n; done; hostname"
        let r = box.swiftbox(["exec", box.id, "sh", "-c", script])
        #expect(r.code == 0)
        for ns in ["ipc", "mnt", "net", "pid", "uts", "cgroup"] { #expect(r.stdout.contains("same-\(ns)")) }
        #expect(r.stdout.hasSuffix("testbox\n"))
        // The exec'd process is in the container's cgroup too.
        let ps = box.swiftbox(["exec", "--env", "X=1", "--cwd", "/tmp", box.id, "sh", "-c", "echo $X $(pwd)"])
        #expect(ps.stdout == "1 /tmp\n")
        #expect(box.swiftbox(["exec", box.id, "sh", "-c", "exit 7"]).code == 7)
    }

    @Test func configMountsBindTmpfsAndOptionsApply() throws {
        let host = try TestSupport.tempDir("swiftbox-bind")
        defer { _ = try? FS.removeAll(host) }
        try FS.write(host + "/file", "from host", create: true)
        let r = try output("cat /data/file; touch /data/new 2>&1; echo rc=$?; touch /scratch/ok && echo tmpfs-ok") {
            $0.mounts?.append(Mount(destination: "/data", type: "bind", source: host, options: ["rbind", "ro"]))
            $0.mounts?.append(Mount(destination: "/scratch", type: "tmpfs", source: "tmpfs", options: ["size=1m"]))
        }
        #expect(r.stdout.hasPrefix("from host"))
        #expect(r.stdout.contains("Read-only file system"))
        #expect(r.stdout.contains("tmpfs-ok"))
        #expect(!FS.exists(host + "/new"))
    }
}
