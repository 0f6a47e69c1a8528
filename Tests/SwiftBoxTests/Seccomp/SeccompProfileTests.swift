import Testing
import SwiftBox

/// The parts of seccomp that are pure logic: parsing and checking profiles,
/// rendering the Docker-format default, and the shipped JSON.
@Suite struct SeccompProfileTests {
    func error(_ seccomp: Seccomp) -> String? {
        do { try SeccompFilter.validate(seccomp); return nil } catch { return "\(error)" }
    }

    @Test func everyActionParsesAndNotifyIsRefused() throws {
        for action in SeccompFilter.supportedActions {
            let s = Seccomp(defaultAction: "SCMP_ACT_ALLOW", syscalls: [Syscall(names: ["getppid"], action: action)])
            #expect(error(s) == nil, "\(action)")
            #expect(try SeccompFilter.compile(s).instructionCount > 0, "\(action)")
        }
        let notify = Seccomp(defaultAction: "SCMP_ACT_NOTIFY")
        #expect(error(notify)?.contains("defaultAction: SCMP_ACT_NOTIFY needs a seccomp user-notification listener") == true)
        var listener = Seccomp(defaultAction: "SCMP_ACT_ALLOW")
        listener.listenerPath = "/run/agent.sock"
        #expect(error(listener)?.hasPrefix("listenerPath: seccomp user notification") == true)
    }

    @Test func badInputNamesTheField() {
        let arg = { (index: UInt, op: String) in
            Seccomp(defaultAction: "SCMP_ACT_ALLOW", syscalls: [
                Syscall(names: ["read"], action: "SCMP_ACT_ALLOW"),
                Syscall(names: ["write"], action: "SCMP_ACT_ERRNO", args: [SyscallArg(index: index, value: 1, op: op)]),
            ])
        }
        #expect(error(arg(6, "SCMP_CMP_EQ")) == "syscalls[1].args[0].index: 6 is out of range; system calls have arguments 0 to 5")
        #expect(error(arg(5, "SCMP_CMP_EQ")) == nil)
        #expect(error(arg(0, "EQ"))?.hasPrefix("syscalls[1].args[0].op: unknown operator \"EQ\"; use one of SCMP_CMP_NE") == true)
        #expect(error(Seccomp(defaultAction: "SCMP_ACT_ALLOW", flags: ["SECCOMP_FILTER_FLAG_FAST"]))?
            .hasPrefix("flags[0]: unknown flag \"SECCOMP_FILTER_FLAG_FAST\"") == true)
        #expect(error(Seccomp(defaultAction: "SCMP_ACT_ALLOW", flags: ["SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV"]))?
            .contains("only applies to a notify listener") == true)
        #expect(error(Seccomp(defaultAction: "SCMP_ACT_ALLOW", defaultErrnoRet: 5))
            == "defaultErrnoRet: SCMP_ACT_ALLOW does not return an errno; errnoRet applies only to SCMP_ACT_ERRNO and SCMP_ACT_TRACE")
        #expect(error(Seccomp(defaultAction: "SCMP_ACT_ALLOW", syscalls: [Syscall(names: ["read"], action: "SCMP_ACT_KILL", errnoRet: 1)]))?
            .hasPrefix("syscalls[0].errnoRet: SCMP_ACT_KILL does not return an errno") == true)
        #expect(error(Seccomp(defaultAction: "SCMP_ACT_ERRNO", defaultErrnoRet: 70000))
            == "defaultErrnoRet: 70000 is not an errno (expected 0...4095)")
        #expect(error(Seccomp(defaultAction: "SCMP_ACT_ALLOW", syscalls: [Syscall(names: [], action: "SCMP_ACT_LOG")]))
            == "syscalls[0].names: must name at least one system call")
    }

    /// The first rule wins, as in libseccomp, runc and crun (podman's default
    /// profile relies on it for setns); the later one is reported and left out.
    @Test func conflictingActionsForTheSameCallKeepTheFirstAndWarn() throws {
        let s = Seccomp(defaultAction: "SCMP_ACT_ALLOW", syscalls: [
            Syscall(names: ["read", "write"], action: "SCMP_ACT_ERRNO", args: [SyscallArg(index: 0, value: 3, op: "SCMP_CMP_EQ")]),
            Syscall(names: ["write", "close"], action: "SCMP_ACT_LOG", args: [SyscallArg(index: 0, value: 3, op: "SCMP_CMP_EQ")]),
        ])
        let warnings = try SeccompFilter.check(s)
        #expect(warnings.contains { $0.hasPrefix("syscalls[1]: write with these arguments already has another action in syscalls[0]") })
        let policy = try SeccompPolicy(s)
        #expect(policy.rules.map(\.names) == [["read", "write"], ["close"]])
        #expect(try SeccompFilter.compile(s).instructionCount > 0)
    }

    @Test func unknownSyscallsAreWarningsNotErrors() throws {
        let s = Seccomp(defaultAction: "SCMP_ACT_ERRNO", syscalls: [
            Syscall(names: ["read", "no_such_call_1", "write", "exit_group"], action: "SCMP_ACT_ALLOW"),
        ])
        let warnings = try SeccompFilter.check(s)
        #expect(warnings.count == 1)
        #expect(warnings.first?.contains("does not know no_such_call_1; left out of the filter") == true)
        #expect(try SeccompFilter.compile(s).instructionCount > 0)
    }

    @Test func sameArgumentConditionsBecomeAlternativesAsInRunc() throws {
        // libseccomp refuses two comparisons of one argument in a rule.
        let s = Seccomp(defaultAction: "SCMP_ACT_ALLOW", syscalls: [
            Syscall(names: ["personality"], action: "SCMP_ACT_ERRNO", args: [
                SyscallArg(index: 0, value: 1, op: "SCMP_CMP_EQ"), SyscallArg(index: 0, value: 2, op: "SCMP_CMP_EQ"),
            ]),
        ])
        let code = try SeccompFilter.pseudoCode(s)
        #expect(code.contains("$a0.lo32 == 1"))
        #expect(code.contains("$a0.lo32 == 2"))
    }

    @Test func defaultProfileRendersCapabilityConditions() throws {
        let profile = SeccompProfile.builtinDefault
        #expect(profile.name == "swiftbox-default")
        #expect(profile.version == "1")
        func rules(_ caps: [String]) -> [String: [String]] {
            let s = profile.render(capabilities: caps, architecture: "SCMP_ARCH_X86_64", kernel: "6.1.0")
            var out: [String: [String]] = [:]
            for call in s.syscalls ?? [] { for n in call.names { out[n, default: []].append(call.action) } }
            return out
        }
        let plain = rules(Spec.defaultCapabilities)
        for denied in ["mount", "unshare", "setns", "bpf", "perf_event_open", "keyctl", "add_key", "request_key",
                       "userfaultfd", "kexec_load", "io_uring_setup", "io_uring_enter", "open_by_handle_at"] {
            #expect(!(plain[denied] ?? []).contains("SCMP_ACT_ALLOW"), "\(denied)")
        }
        #expect(plain["clone3"] == ["SCMP_ACT_ERRNO"])
        #expect(plain["chroot"] == ["SCMP_ACT_ALLOW"]) // CAP_SYS_CHROOT is a default capability
        #expect(plain["arch_prctl"] == ["SCMP_ACT_ALLOW"])
        #expect(plain["riscv_flush_icache"] == nil)
        let admin = rules(Spec.defaultCapabilities + ["CAP_SYS_ADMIN"])
        for allowed in ["mount", "unshare", "setns", "bpf", "perf_event_open", "clone3"] {
            #expect(admin[allowed] == ["SCMP_ACT_ALLOW"], "\(allowed)")
        }
        #expect(rules(["CAP_SYS_PTRACE"])["kcmp"] == ["SCMP_ACT_ALLOW"])
        // ptrace only from 4.8 on: earlier kernels let it bypass seccomp.
        let old = profile.render(capabilities: [], architecture: "SCMP_ARCH_X86_64", kernel: "4.4.0-210-generic")
        #expect(!(old.syscalls ?? []).contains { $0.names.contains("ptrace") })
        let x86 = profile.render(capabilities: [], architecture: "SCMP_ARCH_X86_64")
        #expect(x86.architectures == ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"])
        #expect(x86.defaultAction == "SCMP_ACT_ERRNO" && x86.defaultErrnoRet == 1)
        let s390 = profile.render(capabilities: [], architecture: "SCMP_ARCH_S390X")
        let clone = (s390.syscalls ?? []).filter { $0.names == ["clone"] }
        #expect(clone.count == 1 && clone.first?.args?.first?.index == 1)
    }

    @Test func defaultProfileCompilesWithoutWarningsForEveryCapabilitySet() throws {
        for caps in [[], Spec.defaultCapabilities, CapabilitySet.names] {
            let s = SeccompProfile.builtinDefault.render(capabilities: caps)
            #expect(try SeccompFilter.check(s).isEmpty)
            #expect(try SeccompFilter.compile(s).instructionCount < 4096)
        }
    }

    @Test func shippedJSONCopyMatchesTheEmbeddedProfile() throws {
        let file = try FS.readString(TestSupport.packageRoot + "/images/seccomp/default.json")
        #expect(file == SeccompProfile.builtinDefaultJSON)
        let printed = TestSupport.swiftbox(["seccomp", "default"])
        #expect(printed.code == 0)
        #expect(printed.stdout == file)
    }

    @Test func cacheKeyDependsOnEveryField() {
        let base = Seccomp(defaultAction: "SCMP_ACT_ERRNO", syscalls: [
            Syscall(names: ["read"], action: "SCMP_ACT_ALLOW", args: [SyscallArg(index: 0, value: 1, op: "SCMP_CMP_EQ")]),
        ])
        var variants = [base]
        var v = base; v.defaultErrnoRet = 1; variants.append(v)
        v = base; v.flags = ["SECCOMP_FILTER_FLAG_LOG"]; variants.append(v)
        v = base; v.architectures = ["SCMP_ARCH_X86"]; variants.append(v)
        v = base; v.syscalls?[0].args?[0].valueTwo = 0; variants.append(v)
        v = base; v.syscalls?[0].args?[0].value = 2; variants.append(v)
        v = base; v.syscalls?[0].names = ["read", "write"]; variants.append(v)
        v = base; v.syscalls?[0].names = ["readwrite"]; variants.append(v)
        let files = Set(variants.map { SeccompFilter.cacheFile(for: $0, in: "/c") })
        #expect(files.count == variants.count)
        #expect(SeccompFilter.cacheFile(for: base, in: "/c") == SeccompFilter.cacheFile(for: base, in: "/c"))
    }

    @Test func checkCommandReportsTheFileAndField() throws {
        let dir = try TestSupport.tempDir("swiftbox-seccomp")
        defer { _ = try? FS.removeAll(dir) }
        try FS.write(dir + "/bad.json", #"{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["read"], "action": "SCMP_ACT_FAIL"}]}"#, create: true)
        let r = TestSupport.swiftbox(["seccomp", "check", dir + "/bad.json"])
        #expect(r.code == 1)
        #expect(r.stderr.contains("\(dir)/bad.json: syscalls[0].action: unknown action \"SCMP_ACT_FAIL\""), "\(r.stderr)")
        try FS.write(dir + "/broken.json", #"{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": "read"}]}"#, create: true)
        let broken = TestSupport.swiftbox(["seccomp", "check", dir + "/broken.json"])
        #expect(broken.code == 1)
        #expect(broken.stderr.contains("\(dir)/broken.json: $.syscalls[0].names"), "\(broken.stderr)")
        let ok = TestSupport.swiftbox(["seccomp", "check"])
        #expect(ok.stdout.hasPrefix("built-in seccomp profile: ok, "), "\(ok.stdout)\(ok.stderr)")
    }
}
