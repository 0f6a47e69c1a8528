#if canImport(Glibc)
import Glibc
#endif
import Testing
import SwiftBox

/// Shared pieces of the seccomp tests: the raw-syscall probe (built once from
/// images/seccomp/probe.c with `gcc -static`) and spec edits that mount it.
enum SeccompFixture {
    /// A folder holding the static `probe` binary, rebuilt when its source changes.
    static let probeDir: String = {
        let source = TestSupport.packageRoot + "/images/seccomp/probe.c"
        let sum = TestSupport.sh("sha256sum \(source) | cut -c1-16").stdout.trimmingWhitespace()
        let dir = "/tmp/swiftbox-test-seccomp-probe-\(sum)"
        if FS.exists(dir + "/probe") { return dir }
        let staging = "\(dir).\(getpid())"
        let r = TestSupport.sh("mkdir -p \(staging) && gcc -static -O1 -o \(staging)/probe \(source) && mv -T \(staging) \(dir) 2>/dev/null; rm -rf \(staging)")
        precondition(FS.exists(dir + "/probe"), "building the seccomp probe failed: \(r.stderr)")
        return dir
    }()

    /// The built-in profile rendered for swiftbox's default capabilities.
    static var defaultProfile: Seccomp { SeccompProfile.builtinDefault.render(capabilities: Spec.defaultCapabilities) }

    /// Mounts the probe at /root/probe (read-only) and a writable tmpfs on /tmp.
    static func mountProbe(_ spec: inout Spec) {
        spec.mounts = (spec.mounts ?? []) + [
            Mount(destination: "/root", type: "bind", source: probeDir, options: ["rbind", "ro"]),
            Mount(destination: "/tmp", type: "tmpfs", source: "tmpfs", options: ["nosuid", "nodev", "mode=1777"]),
        ]
    }

    /// Runs `/root/probe args…` under `seccomp` and returns the result.
    static func probe(_ args: [String], seccomp: Seccomp?, edit: (inout Spec) -> Void = { _ in }) throws -> TestSupport.Result {
        let box = try Sandbox(["/root/probe"] + args, prefix: "sc") {
            mountProbe(&$0)
            $0.linux?.seccomp = seccomp
            edit(&$0)
        }
        defer { box.cleanup() }
        let r = box.run()
        #expect(box.leftovers().isEmpty)
        return r
    }

    /// The probe's report line for `what` (`keyctl: errno=1` → `errno=1`).
    static func outcome(_ r: TestSupport.Result, _ what: String) -> String? {
        r.stdout.split(separator: "\n").first { $0.hasPrefix(what + ": ") }.map { String($0.dropFirst(what.count + 2)) }
    }
}
