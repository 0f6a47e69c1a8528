#if canImport(Glibc)
import Glibc
#endif
import Testing
import SwiftBox

/// Seccomp filters observed from inside real containers: the probe reports
/// each raw system call's errno and then "alive" (the process survived).
@Suite struct SeccompContainerTests {
    let EPERM = "errno=1", ENOSYS = "errno=38"

    @Test func defaultProfileRunsOrdinaryWorkloads() throws {
        // lo starts down in a fresh network namespace; CAP_NET_ADMIN lets the
        // script raise it (through netlink, itself filtered).
        let script = """
            ip link set lo up && mkdir /tmp/www && echo served-by-httpd > /tmp/www/index.html
            httpd -f -p 127.0.0.1:8080 -h /tmp/www & sleep 0.3
            wget -q -O - http://127.0.0.1:8080/index.html; echo wget=$?
            kill %1
            ps | grep -c httpd; ls /bin | grep -c '^sh$'; cat /etc/passwd | head -1
            """
        let box = try Sandbox(["sh", "-c", script], prefix: "sc") {
            SeccompFixture.mountProbe(&$0)
            $0.linux?.seccomp = SeccompFixture.defaultProfile
            for set in [\Capabilities.bounding, \Capabilities.effective, \Capabilities.permitted] {
                $0.process?.capabilities?[keyPath: set]?.append("CAP_NET_ADMIN")
            }
        }
        defer { box.cleanup() }
        let r = box.run()
        #expect(r.code == 0, "\(r.stderr)")
        #expect(r.stdout.contains("served-by-httpd\nwget=0\n"), "\(r.stdout)\(r.stderr)")
        #expect(r.stdout.hasSuffix("1\nroot:x:0:0:root:/root:/bin/sh\n"), "\(r.stdout)")
        #expect(box.leftovers().isEmpty)
    }

    @Test func defaultProfileDeniesKeyringAndNamespacesWithEPERM() throws {
        let r = try SeccompFixture.probe(["keyctl", "add_key", "clone-ns", "fork"], seccomp: SeccompFixture.defaultProfile)
        #expect(SeccompFixture.outcome(r, "keyctl") == EPERM)
        #expect(SeccompFixture.outcome(r, "add_key") == EPERM)
        #expect(SeccompFixture.outcome(r, "clone-ns") == EPERM)
        #expect(SeccompFixture.outcome(r, "fork") == "ok")
        #expect(r.stdout.hasSuffix("alive\n"))
        #expect(r.code == 0)
    }

    @Test func withoutSeccompTheSameCallsSucceed() throws {
        // The control for the test above: the container itself allows them.
        let r = try SeccompFixture.probe(["keyctl", "add_key", "fork"], seccomp: nil)
        #expect(SeccompFixture.outcome(r, "keyctl") == "ok")
        #expect(SeccompFixture.outcome(r, "add_key") == "ok")
        #expect(r.stdout.hasSuffix("alive\n"))
    }

    @Test func defaultProfileDeniesUnshareAndMountEvenWithCapSysAdmin() throws {
        // The container keeps CAP_SYS_ADMIN, so the kernel allows both (the
        // run without a filter proves it); the profile rendered for default
        // capabilities must still refuse them.
        func run(_ seccomp: Seccomp?) throws -> String {
            let script = "unshare -U true 2>&1; echo unshare=$?; mount -t tmpfs none /tmp 2>&1; echo mount=$?; echo alive"
            let box = try Sandbox(["sh", "-c", script], prefix: "sc") {
                $0.linux?.seccomp = seccomp
                for set in [\Capabilities.bounding, \Capabilities.effective, \Capabilities.permitted] {
                    $0.process?.capabilities?[keyPath: set]?.append("CAP_SYS_ADMIN")
                }
            }
            defer { box.cleanup() }
            return box.run().stdout
        }
        #expect(try run(nil) == "unshare=0\nmount=0\nalive\n")
        let filtered = try run(SeccompFixture.defaultProfile)
        #expect(filtered == "unshare: unshare(0x10000000): Operation not permitted\nunshare=1\n"
            + "mount: permission denied (are you root?)\nmount=1\nalive\n")
    }

    @Test func capSysAdminProfileAllowsNamespaces() throws {
        let seccomp = SeccompProfile.builtinDefault.render(capabilities: Spec.defaultCapabilities + ["CAP_SYS_ADMIN"])
        let r = try SeccompFixture.probe(["clone-ns", "clone3"], seccomp: seccomp) {
            for set in [\Capabilities.bounding, \Capabilities.effective, \Capabilities.permitted] {
                $0.process?.capabilities?[keyPath: set]?.append("CAP_SYS_ADMIN")
            }
        }
        #expect(SeccompFixture.outcome(r, "clone-ns") == "ok")
        #expect(SeccompFixture.outcome(r, "clone3") == "ok")
    }

    @Test func newerSyscallsGetENOSYSSoLibcFallsBack() throws {
        // mseal (462) is newer than every call the profile names; clone3 is
        // refused with ENOSYS by rule because its flags cannot be inspected.
        let r = try SeccompFixture.probe(["mseal", "clone3", "sys", "250"], seccomp: SeccompFixture.defaultProfile)
        #expect(SeccompFixture.outcome(r, "mseal") == ENOSYS)
        #expect(SeccompFixture.outcome(r, "clone3") == ENOSYS)
        #expect(SeccompFixture.outcome(r, "sys 250") == EPERM) // keyctl by number: old, so the default action
        #expect(r.stdout.hasSuffix("alive\n"))
    }

    @Test func vsockAndAlgSocketsAreDeniedEvenWithHighBitsSet() throws {
        let r = try SeccompFixture.probe(["socket", "40", "socket", "38", "socket", "40", "1", "socket", "38", "1",
                                          "socket", "1", "socket", "2", "socket", "10", "socket", "16"],
                                         seccomp: SeccompFixture.defaultProfile)
        #expect(SeccompFixture.outcome(r, "socket 40") == EPERM)
        #expect(SeccompFixture.outcome(r, "socket 38") == EPERM)
        // The kernel reads only the low 32 bits of the family: the filter must too.
        #expect(SeccompFixture.outcome(r, "socket 40 high") == EPERM)
        #expect(SeccompFixture.outcome(r, "socket 38 high") == EPERM)
        #expect(SeccompFixture.outcome(r, "socket 1") == "ok")
        #expect(SeccompFixture.outcome(r, "socket 2") == "ok")
        #expect(SeccompFixture.outcome(r, "socket 10") == "ok")
        #expect(r.stdout.hasSuffix("alive\n"))
    }

    @Test func killActionKillsWithSIGSYS() throws {
        for action in ["SCMP_ACT_KILL", "SCMP_ACT_KILL_PROCESS", "SCMP_ACT_TRAP"] {
            let seccomp = Seccomp(defaultAction: "SCMP_ACT_ALLOW", syscalls: [Syscall(names: ["getppid"], action: action)])
            let r = try SeccompFixture.probe(["sys", "39", "sys", "110"], seccomp: seccomp)
            #expect(SeccompFixture.outcome(r, "sys 39") == "ok", "\(action)")
            #expect(!r.stdout.contains("alive"), "\(action)")
            #expect(r.code == 128 + SIGSYS, "\(action): \(r.code) \(r.stderr)")
        }
    }

    @Test func argumentConditionsAndErrnoRetTakeEffect() throws {
        let seccomp = Seccomp(defaultAction: "SCMP_ACT_ALLOW", syscalls: [
            // getpgid(4242) fails with ENOMSG (42); getpgid(0) runs.
            Syscall(names: ["getpgid"], action: "SCMP_ACT_ERRNO", errnoRet: 42,
                    args: [SyscallArg(index: 0, value: 4242, op: "SCMP_CMP_EQ")]),
            // getsid(pid) with (pid & 0xff00) == 0x1200 fails with EDOM (33).
            Syscall(names: ["getsid"], action: "SCMP_ACT_ERRNO", errnoRet: 33,
                    args: [SyscallArg(index: 0, value: 0xff00, valueTwo: 0x1200, op: "SCMP_CMP_MASKED_EQ")]),
            // getpriority(which, who) with which == 0 and who > 100: EXDEV (18).
            Syscall(names: ["getpriority"], action: "SCMP_ACT_ERRNO", errnoRet: 18,
                    args: [SyscallArg(index: 0, value: 0, op: "SCMP_CMP_EQ"), SyscallArg(index: 1, value: 100, op: "SCMP_CMP_GT")]),
            // No errnoRet: EPERM.
            Syscall(names: ["getppid"], action: "SCMP_ACT_ERRNO"),
        ])
        let r = try SeccompFixture.probe(["sys", "121", "4242", "sys", "121", "0", "sys", "124", "0x1234", "sys", "124", "0",
                                          "sys", "140", "0", "101", "sys", "140", "0", "0", "sys", "110"], seccomp: seccomp)
        let lines = r.stdout.split(separator: "\n").map(String.init)
        #expect(lines == ["sys 121: errno=42", "sys 121: ok", "sys 124: errno=33", "sys 124: ok",
                          "sys 140: errno=18", "sys 140: ok", "sys 110: errno=1", "alive"], "\(r.stdout)\(r.stderr)")
    }

    @Test func profileForAnotherArchitectureOnlyStillFiltersTheNativeOne() throws {
        // As with runc and crun, `architectures` adds to the native one, which
        // libseccomp always filters: the rules take effect here too.
        let seccomp = Seccomp(defaultAction: "SCMP_ACT_ALLOW", architectures: ["SCMP_ARCH_AARCH64"],
                              syscalls: [Syscall(names: ["getppid"], action: "SCMP_ACT_ERRNO", errnoRet: 42)])
        let r = try SeccompFixture.probe(["sys", "110", "sys", "39"], seccomp: seccomp)
        #expect(SeccompFixture.outcome(r, "sys 110") == "errno=42")
        #expect(SeccompFixture.outcome(r, "sys 39") == "ok")
    }

    @Test func cachedFilterBehavesLikeAFreshCompile() throws {
        let root = try TestSupport.tempDir("swiftbox-root")
        defer { _ = try? FS.removeAll(root) }
        let seccomp = SeccompFixture.defaultProfile
        let cacheFile = SeccompFilter.cacheFile(for: seccomp, in: root + "/.seccomp")
        let args = ["keyctl", "clone-ns", "mseal", "socket", "40", "1", "fork"]
        let bundle = try TestSupport.bundle(["/root/probe"] + args) {
            SeccompFixture.mountProbe(&$0)
            $0.linux?.seccomp = seccomp
        }
        defer { _ = try? FS.removeAll(bundle) }
        func run() -> TestSupport.Result {
            TestSupport.swiftbox(["run", "--bundle", bundle, TestSupport.uniqueID("sc")], root: root)
        }
        #expect(!FS.exists(cacheFile))
        let fresh = run()
        #expect(fresh.code == 0)
        #expect(FS.exists(cacheFile))
        // The cached program is byte for byte what compiling now gives.
        let cached = try FS.read(cacheFile)
        #expect(cached == (try SeccompFilter.compile(seccomp)).filter)
        let info = try #require(FS.info(cacheFile))
        #expect(info.st_mode & 0o777 == 0o600)
        let again = run()
        #expect(again.stdout == fresh.stdout)
        #expect(again.code == fresh.code)
        #expect(fresh.stdout == "keyctl: errno=1\nclone-ns: errno=1\nmseal: errno=38\nsocket 40 high: errno=1\nfork: ok\nalive\n")
        // A damaged cache file is recompiled, never installed.
        try FS.write(cacheFile, [1, 2, 3])
        let repaired = run()
        #expect(repaired.stdout == fresh.stdout)
        #expect(try FS.read(cacheFile) == cached)
    }

    @Test func filterSetsNoNewPrivsUnlessCapSysAdminIsKept() throws {
        func status(sysAdmin: Bool) throws -> String {
            let box = try Sandbox(["sh", "-c", "grep -E '^(NoNewPrivs|Seccomp):' /proc/self/status"], prefix: "sc") {
                $0.process?.noNewPrivileges = false
                $0.linux?.seccomp = Seccomp(defaultAction: "SCMP_ACT_ALLOW",
                                            syscalls: [Syscall(names: ["getppid"], action: "SCMP_ACT_ERRNO")])
                if sysAdmin {
                    for set in [\Capabilities.bounding, \Capabilities.effective, \Capabilities.permitted] {
                        $0.process?.capabilities?[keyPath: set]?.append("CAP_SYS_ADMIN")
                    }
                }
            }
            defer { box.cleanup() }
            return box.run().stdout.split(whereSeparator: { $0 == "\n" || $0 == "\t" || $0 == " " }).joined(separator: " ")
        }
        #expect(try status(sysAdmin: false) == "NoNewPrivs: 1 Seccomp: 2")
        #expect(try status(sysAdmin: true) == "NoNewPrivs: 0 Seccomp: 2")
    }

    @Test func execInAContainerGetsItsFilter() throws {
        let box = try Sandbox(["sleep", "30"], prefix: "sc") {
            SeccompFixture.mountProbe(&$0)
            $0.linux?.seccomp = SeccompFixture.defaultProfile
        }
        defer { box.cleanup() }
        #expect(box.swiftbox(["run", "--detach", "--bundle", box.bundle, box.id]).code == 0)
        let r = box.swiftbox(["exec", box.id, "/root/probe", "keyctl", "fork"])
        #expect(r.stdout == "keyctl: errno=1\nfork: ok\nalive\n", "\(r.stdout)\(r.stderr)")
    }

    @Test func badProfileFailsCreateNamingTheFieldAndLeavesNothing() throws {
        let cases: [(Seccomp, String)] = [
            (Seccomp(defaultAction: "SCMP_ACT_DENY"), "$.linux.seccomp: defaultAction: unknown action \"SCMP_ACT_DENY\""),
            (Seccomp(defaultAction: "SCMP_ACT_ALLOW", architectures: ["SCMP_ARCH_VAX"]),
             "$.linux.seccomp: architectures[0]: unknown architecture \"SCMP_ARCH_VAX\""),
            (Seccomp(defaultAction: "SCMP_ACT_ALLOW", syscalls: [Syscall(names: ["read"], action: "SCMP_ACT_ERRNO",
                                                                         args: [SyscallArg(index: 0, value: 1, op: "SCMP_CMP_ABOUT")])]),
             "$.linux.seccomp: syscalls[0].args[0].op: unknown operator \"SCMP_CMP_ABOUT\""),
            (Seccomp(defaultAction: "SCMP_ACT_ALLOW", syscalls: [Syscall(names: ["read"], action: "SCMP_ACT_ERRNO",
                                                                         args: [SyscallArg(index: 6, value: 1, op: "SCMP_CMP_EQ")])]),
             "$.linux.seccomp: syscalls[0].args[0].index: 6 is out of range"),
            (Seccomp(defaultAction: "SCMP_ACT_ALLOW", syscalls: [Syscall(names: ["read"], action: "SCMP_ACT_NOTIFY")]),
             "$.linux.seccomp: syscalls[0].action: SCMP_ACT_NOTIFY needs a seccomp user-notification listener"),
        ]
        for (seccomp, message) in cases {
            let box = try Sandbox(["true"], prefix: "sc") { $0.linux?.seccomp = seccomp }
            defer { box.cleanup() }
            let r = box.create()
            #expect(r.code != 0)
            #expect(r.stderr.contains(message), "\(r.stderr)")
            #expect(r.stderr.contains("config.json"), "\(r.stderr)")
            #expect(box.leftovers().isEmpty)
        }
    }

    @Test func malformedSeccompJSONFailsCreateNamingTheField() throws {
        let box = try Sandbox(["true"], prefix: "sc")
        defer { box.cleanup() }
        let file = box.bundle + "/config.json"
        var text = try FS.readString(file)
        // An argument index that is not a number.
        let bad = #""seccomp": {"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["read"], "action": "SCMP_ACT_ERRNO", "args": [{"index": "one", "value": 1, "op": "SCMP_CMP_EQ"}]}]}, "#
        text = text.replacing(#""linux" : {"#, with: #""linux" : {"# + bad, maxReplacements: 1)
        try FS.write(file, text)
        let r = box.create()
        #expect(r.code != 0)
        #expect(r.stderr.contains("$.linux.seccomp.syscalls[0].args[0].index"), "\(r.stderr)")
        #expect(box.leftovers().isEmpty)
    }
}
