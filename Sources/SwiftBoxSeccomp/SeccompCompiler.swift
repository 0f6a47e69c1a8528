#if canImport(Glibc)
import Glibc
#endif
import CSeccomp
import CSwiftBox
import SwiftBoxLinux

/// Turns a `SeccompPolicy` into a BPF program with libseccomp. Only the
/// cache-miss path runs this; a cached program is loaded without it.
enum SeccompCompiler {
    /// What a compilation produced.
    struct Output {
        /// `struct sock_filter`s: the ENOSYS prologue, then libseccomp's program.
        var filter: [UInt8]
        /// System-call names libseccomp does not know; they were left out.
        var unknownSyscalls: [String]
        /// Architectures this libseccomp cannot build filters for; left out.
        var unknownArchitectures: [String]
    }

    /// The most instructions the kernel accepts in one filter (BPF_MAXINSNS).
    static let maxInstructions = 4096

    /// libseccomp's version as `major.minor.micro`.
    static var libseccompVersion: String {
        guard let v = seccomp_version() else { return "unknown" }
        return "\(v.pointee.major).\(v.pointee.minor).\(v.pointee.micro)"
    }

    /// System-call names of `policy` libseccomp cannot resolve (a name lookup,
    /// no compilation: cheap enough for the parent's check).
    static func unknownSyscalls(in policy: SeccompPolicy) -> [String] {
        policy.syscallNames.filter { seccomp_syscall_resolve_name($0) == __NR_SCMP_ERROR }
    }

    /// The OCI architecture names this libseccomp can filter.
    static var knownArchitectures: [String] {
        SeccompArchitecture.names.filter { seccomp_arch_resolve_name(SeccompArchitecture.libseccompName($0)) != 0 }
    }

    /// Architectures of `policy` this libseccomp does not know.
    static func unknownArchitectures(in policy: SeccompPolicy) -> [String] {
        policy.architectures.filter { seccomp_arch_resolve_name(SeccompArchitecture.libseccompName($0)) == 0 }
    }

    /// A libseccomp filter context holding a policy's rules.
    final class Context {
        let ctx: scmp_filter_ctx
        /// Architecture tokens in the filter, native first.
        var tokens: [UInt32]
        /// Names that resolved, and names libseccomp does not know.
        var known: [String] = []
        var unknownSyscalls: [String] = []
        var unknownArchitectures: [String] = []

        init(_ policy: SeccompPolicy) throws {
            guard let ctx = seccomp_init(policy.defaultAction.rawValue) else {
                throw SwiftBoxError("defaultAction: libseccomp \(SeccompCompiler.libseccompVersion) refused action "
                    + "\(policy.defaultAction) (is it newer than this libseccomp?)")
            }
            self.ctx = ctx
            tokens = [seccomp_arch_native()]
            // A binary tree of system-call numbers instead of a linear list: the
            // default profile allows ~350 calls, and every call walks the filter.
            _ = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_OPTIMIZE, 2)
            for (i, name) in policy.architectures.enumerated() {
                let token = seccomp_arch_resolve_name(SeccompArchitecture.libseccompName(name))
                if token == 0 { unknownArchitectures.append(name); continue }
                if tokens.contains(token) { continue }
                let rc = seccomp_arch_add(ctx, token)
                if rc < 0 && rc != -EEXIST {
                    throw SwiftBoxError.system("add architecture \(name) (architectures[\(i)]) to the seccomp filter", errno: -rc)
                }
                tokens.append(token)
            }
            for rule in policy.rules {
                for name in rule.names {
                    let nr = seccomp_syscall_resolve_name(name)
                    if nr == __NR_SCMP_ERROR {
                        if !unknownSyscalls.contains(name) { unknownSyscalls.append(name) }
                        continue
                    }
                    known.append(name)
                    // libseccomp refuses rules that repeat the default action (EACCES);
                    // they change nothing, so runc and crun skip them too.
                    if rule.action == policy.defaultAction { continue }
                    for chain in rule.chains {
                        let args = chain.map {
                            scmp_arg_cmp(arg: $0.index, op: scmp_compare(rawValue: $0.op.rawValue),
                                         datum_a: $0.value, datum_b: $0.valueTwo)
                        }
                        let rc = args.withUnsafeBufferPointer {
                            seccomp_rule_add_array(ctx, rule.action.rawValue, nr, UInt32($0.count), $0.baseAddress)
                        }
                        if rc == -EEXIST {
                            throw SwiftBoxError("\(rule.field): \(name) already has a rule with the same arguments and another action")
                        }
                        if rc < 0 {
                            throw SwiftBoxError.system("add the rule for \(name) (\(rule.field)) to the seccomp filter", errno: -rc)
                        }
                    }
                }
            }
        }

        deinit { seccomp_release(ctx) }

        /// Runs one of libseccomp's exporters into a memory file and returns its bytes.
        func export(_ what: String, _ exporter: (scmp_filter_ctx, Int32) -> Int32) throws -> [UInt8] {
            let fd = sb_memfd_create("swiftbox-seccomp", 1 /* MFD_CLOEXEC */)
            if fd < 0 { throw SwiftBoxError.system("create a memory file for \(what)") }
            defer { close(fd) }
            let rc = exporter(ctx, fd)
            if rc < 0 { throw SwiftBoxError.system("export \(what)", errno: -rc) }
            lseek(fd, 0, SEEK_SET)
            return try FS.readAll(fd: fd, what: what)
        }
    }

    /// Compiles `policy`. Unknown system calls and architectures are left out
    /// and listed in the output (the caller decides how to warn).
    static func compile(_ policy: SeccompPolicy) throws -> Output {
        let context = try Context(policy)
        let program = try context.export("the seccomp filter") { seccomp_export_bpf($0, $1) }
        var filter: [UInt8] = []
        if policy.defaultAction.refusesCall && policy.defaultAction != .errno(38) {
            var maxima: [UInt32: UInt32] = [:]
            for token in context.tokens {
                for name in context.known {
                    let nr = seccomp_syscall_resolve_name_arch(token, name)
                    if nr >= 0 { maxima[token] = max(maxima[token] ?? 0, UInt32(nr)) }
                }
            }
            if !maxima.isEmpty { filter = BPFStub.prologue(maxima: maxima) }
        }
        filter += program
        guard filter.count / 8 <= maxInstructions else {
            throw SwiftBoxError("the seccomp filter has \(filter.count / 8) instructions; the kernel accepts at most "
                + "\(maxInstructions) (fewer rules or architectures would fit)")
        }
        return Output(filter: filter, unknownSyscalls: context.unknownSyscalls,
                      unknownArchitectures: context.unknownArchitectures)
    }

    /// libseccomp's human-readable rendering of the filter (its PFC format),
    /// without the ENOSYS prologue; for `swiftbox seccomp compile --pfc`.
    static func pseudoCode(_ policy: SeccompPolicy) throws -> String {
        let context = try Context(policy)
        return String(decoding: try context.export("the seccomp pseudo code") { seccomp_export_pfc($0, $1) }, as: UTF8.self)
    }
}
