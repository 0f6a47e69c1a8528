#if canImport(Glibc)
import Glibc
#endif
import Testing
import SwiftBox

/// Bad input gets a clear error naming the file and field, a non-zero exit, and
/// leaves nothing behind: no state folder, cgroup, mount or process.
@Suite struct BadInputTests {
    /// Runs `create` on a sandbox whose config.json is replaced by `config` (or
    /// edited), and checks the failure and the absence of leftovers.
    /// Other tests mount things on the host at the same time, so only mounts
    /// that name this container's folders (or `paths`) count as leaked.
    func expectCreateFails(_ box: Sandbox, mentioning parts: [String], paths: [String] = [],
                           sourceLocation: SourceLocation = #_sourceLocation) {
        let r = box.create()
        #expect(r.code != 0, sourceLocation: sourceLocation)
        for p in parts { #expect(r.stderr.contains(p), "stderr: \(r.stderr)", sourceLocation: sourceLocation) }
        #expect(box.leftovers().isEmpty, sourceLocation: sourceLocation)
        let watched = [box.root, box.bundle, box.id, TestSupport.busyboxRootfs] + paths
        let leaked = MountInfo.read().filter { m in watched.contains { m.mountPoint.hasPrefix($0) || m.mountPoint.contains($0) } }
        #expect(leaked.isEmpty, "mounts left on the host: \(leaked.map(\.mountPoint))", sourceLocation: sourceLocation)
        #expect(!TestSupport.sh("ps -eo args | grep -v grep | grep -F '\(box.id)'").stdout.contains(box.id), sourceLocation: sourceLocation)
    }

    @Test func missingBundle() throws {
        let box = try Sandbox(["true"])
        defer { box.cleanup() }
        let r = box.swiftbox(["create", "--bundle", "/nonexistent/bundle", box.id])
        #expect(r.code != 0)
        #expect(r.stderr.contains("/nonexistent/bundle"))
        #expect(box.leftovers().isEmpty)
    }

    @Test func malformedConfigNamesFilePathAndLine() throws {
        let box = try Sandbox(["true"])
        defer { box.cleanup() }
        // A type error: args must be an array of strings.
        try FS.write(box.bundle + "/config.json", """
            {
              "ociVersion": "1.2.0",
              "root": {"path": "rootfs"},
              "process": {
                "cwd": "/",
                "user": {"uid": 0, "gid": 0},
                "args": "sh"
              }
            }
            """)
        expectCreateFails(box, mentioning: ["config.json", "$.process.args", "line 7"])
        // Broken syntax.
        try FS.write(box.bundle + "/config.json", "{ \"ociVersion\": \"1.2.0\", ")
        expectCreateFails(box, mentioning: ["config.json", "not valid JSON"])
    }

    @Test func unsupportedVersionAndMissingRootfs() throws {
        let old = try Sandbox(["true"]) { $0.ociVersion = "0.5.0" }
        defer { old.cleanup() }
        expectCreateFails(old, mentioning: ["$.ociVersion", "0.5.0"])
        let noRoot = try Sandbox(["true"]) { $0.root = Root(path: "/nonexistent-rootfs") }
        defer { noRoot.cleanup() }
        expectCreateFails(noRoot, mentioning: ["$.root.path", "/nonexistent-rootfs"])
    }

    @Test func duplicateAndInvalidIDs() throws {
        let box = try Sandbox(["sleep", "1000"])
        defer { box.cleanup() }
        #expect(box.create().code == 0)
        let dup = box.create()
        #expect(dup.code != 0)
        #expect(dup.stderr.contains("already exists"))
        #expect(box.status() == "created", "the first container is untouched")
        let bad = box.swiftbox(["create", "--bundle", box.bundle, "../escape"])
        #expect(bad.code != 0)
        #expect(bad.stderr.contains("invalid container id"))
        #expect(box.swiftbox(["state", "no-such-container"]).stderr.contains("does not exist"))
    }

    @Test func failureInsideInitLeavesNothingBehind() throws {
        // init fails after namespaces, cgroup and mounts exist: a bind source is missing.
        let box = try Sandbox(["true"]) {
            $0.mounts?.append(Mount(destination: "/data", type: "bind", source: "/nonexistent/source", options: ["rbind"]))
        }
        defer { box.cleanup() }
        expectCreateFails(box, mentioning: ["mounts[7]", "/nonexistent/source"])
        let missingProgram = try Sandbox(["/bin/not-a-program"])
        defer { missingProgram.cleanup() }
        expectCreateFails(missingProgram, mentioning: ["/bin/not-a-program"])
        let badSysctl = try Sandbox(["true"]) { $0.linux?.sysctl = ["kernel.no_such_key": "1"] }
        defer { badSysctl.cleanup() }
        expectCreateFails(badSysctl, mentioning: ["linux.sysctl", "kernel.no_such_key"])
    }

    @Test func mountThroughASymlinkCannotLeaveTheRootfs() throws {
        // A writable copy of the rootfs with hostile links.
        let rootfs = try TestSupport.tempDir("swiftbox-hostile")
        defer { _ = try? FS.removeAll(rootfs) }
        let target = try TestSupport.tempDir("swiftbox-target")
        defer { _ = try? FS.removeAll(target) }
        #expect(TestSupport.sh("cp -a \(TestSupport.busyboxRootfs)/. \(rootfs)/").code == 0)
        // Relative climb: refused outright.
        #expect(symlink("../../../../../../../../\(target)", rootfs + "/climb") == 0)
        let climb = try Sandbox(["true"]) {
            $0.root = Root(path: rootfs, readonly: false)
            $0.mounts?.append(Mount(destination: "/climb/x", type: "tmpfs", source: "tmpfs"))
        }
        defer { climb.cleanup() }
        expectCreateFails(climb, mentioning: ["climbs above the root filesystem"], paths: [rootfs, target])
        // Absolute link: resolved inside the rootfs, the host folder is untouched.
        #expect(symlink(target, rootfs + "/abs") == 0)
        let abs = try Sandbox(["sh", "-c", "touch /abs/x/inside && echo ok"]) {
            $0.root = Root(path: rootfs, readonly: false)
            $0.mounts?.append(Mount(destination: "/abs/x", type: "tmpfs", source: "tmpfs"))
        }
        defer { abs.cleanup() }
        let r = abs.run()
        #expect(r.stdout == "ok\n")
        #expect(try FS.list(target).isEmpty)
        #expect(FS.isDirectory(rootfs + target + "/x"))
    }

    @Test func unknownNamespaceAndDeviceTypesAreRejected() throws {
        let ns = try Sandbox(["true"]) { $0.linux?.namespaces?.append(Namespace(type: "bogus")) }
        defer { ns.cleanup() }
        expectCreateFails(ns, mentioning: ["$.linux.namespaces[6].type", "bogus"])
        let dev = try Sandbox(["true"]) { $0.linux?.devices = [Device(type: "x", path: "/dev/x", major: 1, minor: 3)] }
        defer { dev.cleanup() }
        expectCreateFails(dev, mentioning: ["$.linux.devices[0].type"])
        let noMount = try Sandbox(["true"]) { $0.linux?.namespaces?.removeAll { $0.type == "mount" } }
        defer { noMount.cleanup() }
        expectCreateFails(noMount, mentioning: ["mount namespace is required"])
    }
}
