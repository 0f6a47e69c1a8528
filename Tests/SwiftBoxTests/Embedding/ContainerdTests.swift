#if canImport(Glibc)
import Glibc
#endif
import Testing
import SwiftBox

/// containerd runs swiftbox through its runc shim (`io.containerd.runc.v2`),
/// configured the way docs/embedding.md describes: a runtime handler whose
/// `BinaryName` is swiftbox (what a Kubernetes RuntimeClass selects), and ctr's
/// `--runc-binary`.
@Suite(.serialized) struct ContainerdTests {
    struct Containerd {
        let dir: String
        let pid: pid_t
        let namespace = "swiftbox-test"
        var socket: String { dir + "/containerd.sock" }

        init() throws {
            dir = try TestSupport.tempDir("swiftbox-containerd")
            try FS.write(dir + "/config.toml", Self.config(dir: dir, binary: TestSupport.swiftbox), create: true)
            pid = try TestSupport.spawn(["containerd", "--config", dir + "/config.toml"])
            var up = false
            for _ in 0..<500 where !up {
                up = TestSupport.sh("ctr -a \(dir)/containerd.sock version").code == 0
                if !up { usleep(20_000) }
            }
            precondition(up, "containerd did not come up")
        }

        /// The configuration docs/embedding.md documents.
        static func config(dir: String, binary: String) -> String {
            """
            version = 2
            root = "\(dir)/root"
            state = "\(dir)/state"
            [grpc]
              address = "\(dir)/containerd.sock"
            [plugins."io.containerd.grpc.v1.cri".containerd]
              default_runtime_name = "swiftbox"
            [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.swiftbox]
              runtime_type = "io.containerd.runc.v2"
            [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.swiftbox.options]
              BinaryName = "\(binary)"
            """
        }

        @discardableResult
        func ctr(_ args: String) -> TestSupport.Result {
            TestSupport.sh("ctr -a \(socket) -n \(namespace) \(args)")
        }

        func importBusybox() throws {
            let tar = dir + "/busybox.tar"
            // A docker-archive built with plain tools: one layer, a config, a manifest.
            let script = """
                set -e; cd \(dir); mkdir -p img; tar -C \(TestSupport.busyboxRootfs) -cf img/layer.tar .
                d=$(sha256sum img/layer.tar | cut -d' ' -f1)
                printf '{"architecture":"amd64","os":"linux","config":{"Cmd":["sh"]},"rootfs":{"type":"layers","diff_ids":["sha256:%s"]}}' $d > img/config.json
                c=$(sha256sum img/config.json | cut -d' ' -f1); mv img/config.json img/$c.json
                printf '[{"Config":"%s.json","RepoTags":["localhost/swiftbox-busybox:latest"],"Layers":["layer.tar"]}]' $c > img/manifest.json
                tar -C img -cf \(tar) .
                """
            let r = TestSupport.sh(script)
            precondition(r.code == 0, r.stderr)
            let imported = ctr("image import \(tar)")
            precondition(imported.code == 0, imported.stderr)
        }

        func cleanup() {
            for line in ctr("task ls -q").stdout.split(separator: "\n") { ctr("task kill -s KILL \(line)"); ctr("task delete -f \(line)") }
            for line in ctr("container ls -q").stdout.split(separator: "\n") { ctr("container delete \(line)") }
            kill(pid, SIGTERM)
            _ = try? Sys.wait(pid)
            _ = TestSupport.sh("umount -R \(dir)/root 2>/dev/null; umount -R \(dir)/state 2>/dev/null; rm -rf \(dir)")
        }
    }

    /// The CRI runtime handler (what a RuntimeClass names) is only read by CRI
    /// clients, not by ctr: check that containerd loads it as documented.
    @Test func theDocumentedRuntimeHandlerLoads() throws {
        let c = try Containerd()
        defer { c.cleanup() }
        #expect(c.ctr("plugins ls").stdout.split(separator: "\n").contains { $0.contains("cri") && $0.trimmingWhitespace().hasSuffix("ok") })
        let dump = TestSupport.sh("containerd --config \(c.dir)/config.toml config dump").stdout
        #expect(dump.contains("runtimes.swiftbox.options]"))
        #expect(dump.contains("BinaryName = \"\(TestSupport.swiftbox)\""))
    }

    @Test func ctrRunUsesSwiftboxAndPreservesTheExitCode() throws {
        let c = try Containerd()
        defer { c.cleanup() }
        try c.importBusybox()
        let image = "localhost/swiftbox-busybox:latest"
        let r = c.ctr("run --rm --runc-binary \(TestSupport.swiftbox) \(image) sbctr1 sh -c 'echo hello; exit 4'")
        #expect(r.code == 4, "\(r.stderr)")
        #expect(r.stdout.contains("hello"))
        // Detached, and seen by swiftbox itself under the shim's state root.
        let d = c.ctr("run -d --runc-binary \(TestSupport.swiftbox) \(image) sbctr2 sleep 1000")
        #expect(d.code == 0, "\(d.stderr)")
        let list = TestSupport.swiftbox(["--root", "/run/containerd/runc/\(c.namespace)", "list"])
        #expect(list.stdout.contains("sbctr2") && list.stdout.contains("running"), "swiftbox list: \(list.stdout) \(list.stderr)")
        let exec = c.ctr("task exec --exec-id e1 sbctr2 sh -c 'echo exec-ok'")
        #expect(exec.stdout == "exec-ok\n", "\(exec.stderr)")
        #expect(c.ctr("task kill -s KILL sbctr2").code == 0)
        var stopped = false
        for _ in 0..<300 where !stopped {
            stopped = c.ctr("task ls").stdout.contains("STOPPED")
            if !stopped { usleep(20_000) }
        }
        #expect(stopped)
        #expect(c.ctr("task delete sbctr2").code == 0)
        #expect(c.ctr("container delete sbctr2").code == 0)
    }
}
