#if canImport(Glibc)
import Glibc
#endif
import Testing
import SwiftBox

/// podman drives swiftbox as its OCI runtime (`--runtime`), with podman's own
/// config: its default seccomp profile, device rules, pids limit, a network
/// namespace by path, and conmon's console socket for `-t`.
@Suite(.serialized) struct PodmanTests {
    /// A private podman: own storage (vfs, so no overlay mounts linger), own
    /// run root, a containers.conf with ulimits this machine allows (it lacks
    /// CAP_SYS_RESOURCE), and the busybox rootfs imported as an image.
    struct Podman {
        let dir: String
        let image = "localhost/swiftbox-test-busybox:latest"

        init() throws {
            dir = try TestSupport.tempDir("swiftbox-podman")
            try FS.write(dir + "/containers.conf", """
                [containers]
                default_ulimits = ["nofile=20000:20000", "nproc=32768:32768"]
                [engine]
                runtime = "swiftbox"
                [engine.runtimes]
                swiftbox = ["\(TestSupport.swiftbox)"]
                """, create: true)
            let imported = TestSupport.sh("tar -C \(TestSupport.busyboxRootfs) -c . | \(command) import -q - \(image)")
            precondition(imported.code == 0, "podman import failed: \(imported.stderr)")
        }

        var command: String {
            "env CONTAINERS_CONF=\(dir)/containers.conf podman --root \(dir)/storage --runroot \(dir)/run --storage-driver vfs --cgroup-manager cgroupfs --events-backend none"
        }

        @discardableResult
        func run(_ args: String) -> TestSupport.Result { TestSupport.sh("\(command) \(args)") }

        func cleanup() {
            run("rm -af -t 0")
            run("rmi -af")
            _ = TestSupport.sh("umount -R \(dir)/storage 2>/dev/null; umount -R \(dir)/run 2>/dev/null; rm -rf \(dir)")
        }
    }

    @Test func podmanRunPreservesTheExitCodeAndUsesSwiftbox() throws {
        let p = try Podman()
        defer { p.cleanup() }
        let r = p.run("run --rm \(p.image) sh -c 'echo hello; grep Seccomp: /proc/self/status; exit 3'")
        #expect(r.code == 3, "\(r.stderr)")
        #expect(r.stdout.contains("hello"))
        // podman's default seccomp profile is in force (mode 2 = filter).
        #expect(r.stdout.contains("Seccomp:\t2"))
    }

    @Test func podmanTerminalExecStopAndRemove() throws {
        let p = try Podman()
        defer { p.cleanup() }
        // -t goes through conmon's console socket.
        let tty = TestSupport.sh("script -qec \"\(p.command) run --rm -t \(p.image) sh -c 'tty'\" /dev/null")
        #expect(tty.code == 0, "\(tty.stderr)")
        #expect(tty.stdout.contains("/dev/pts/0"))
        let started = p.run("run -d --name sbtest \(p.image) sh -c 'trap \"exit 0\" TERM; while true; do sleep 0.1; done'")
        #expect(started.code == 0, "\(started.stderr)")
        // The container is swiftbox's: podman keeps it under swiftbox's default root.
        let id = started.stdout.trimmingWhitespace()
        let state = TestSupport.swiftbox(["state", id])
        #expect(state.stdout.contains("\"status\" : \"running\""), "swiftbox state \(id): \(state.stdout) \(state.stderr)")
        let exec = p.run("exec sbtest sh -c 'echo exec-ok; cat /proc/1/cmdline | tr \"\\\\0\" \" \"'")
        #expect(exec.stdout.hasPrefix("exec-ok"), "\(exec.stderr)")
        let stop = p.run("stop -t 10 sbtest")
        #expect(stop.code == 0, "\(stop.stderr)")
        let inspect = p.run("inspect -f '{{.State.Status}} {{.State.ExitCode}}' sbtest")
        #expect(inspect.stdout.trimmingWhitespace() == "exited 0")
        #expect(p.run("rm sbtest").code == 0)
    }
}
