#if canImport(Glibc)
import Glibc
#endif
import SwiftBoxLinux
import SwiftBoxOCI

/// The seam between the runtime and the seccomp mechanism: check a
/// `linux.seccomp` section before anything is created, turn it into a BPF
/// program, and install that as the last step of init.
///
/// Compiling with libseccomp costs milliseconds, so compiled programs are
/// cached per profile under the state root. The runtime's parent calls
/// `prepare` on the host (cache read, or compile and store) and hands the
/// `SeccompProgram` to init, which only installs it: init never runs
/// libseccomp, hashes a profile or opens a path the container could control.
public enum SeccompFilter {
    /// Where warnings go (unknown system calls or architectures that are left
    /// out of the filter). The runtime points this at its log; the default
    /// writes `swiftbox: warning: …` to stderr.
    nonisolated(unsafe) public static var warningHandler: (String) -> Void = { message in
        fputs("swiftbox: warning: \(message)\n", stderr)
    }

    /// The actions a profile may use (for `swiftbox features`); NOTIFY is
    /// refused because swiftbox has no user-notification listener.
    public static let supportedActions = SeccompAction.names.filter { $0 != "SCMP_ACT_NOTIFY" }
    /// The argument operators a profile may use.
    public static let supportedOperators = SeccompOperator.allCases.map(\.name)
    /// The architectures the loaded libseccomp can filter.
    public static var supportedArchitectures: [String] { SeccompCompiler.knownArchitectures }

    /// The program `prepare` made in this process, and the profile it is for.
    nonisolated(unsafe) private static var prepared: (seccomp: Seccomp, program: SeccompProgram)?

    /// Checks a `linux.seccomp` section before anything is created: every
    /// action, operator, flag, architecture and argument index must be valid,
    /// and no system call may get two actions for the same arguments. Errors
    /// name the field (`syscalls[2].args[0].op: unknown operator …`). Names
    /// libseccomp does not know are reported through `warningHandler`.
    ///
    /// It does not compile the filter: that would cost every `create` what
    /// the cache saves. What compilation alone could refuse (libseccomp
    /// running out of memory) is reported by init, and create still fails
    /// cleanly.
    public static func validate(_ seccomp: Seccomp) throws {
        for warning in try check(seccomp) { warningHandler(warning) }
    }

    /// `validate` without side effects: returns the warnings instead of
    /// reporting them.
    public static func check(_ seccomp: Seccomp) throws -> [String] {
        let policy = try SeccompPolicy(seccomp)
        var warnings: [String] = policy.conflicts
        let syscalls = SeccompCompiler.unknownSyscalls(in: policy)
        if !syscalls.isEmpty {
            warnings.append("seccomp: libseccomp \(SeccompCompiler.libseccompVersion) does not know "
                + "\(syscalls.joined(separator: ", ")); left out of the filter "
                + "(the default action applies, or ENOSYS if newer than every call the profile names)")
        }
        let archs = SeccompCompiler.unknownArchitectures(in: policy)
        if !archs.isEmpty {
            warnings.append("seccomp: libseccomp \(SeccompCompiler.libseccompVersion) cannot filter "
                + "\(archs.joined(separator: ", ")); left out of the filter (calls from them get the bad-architecture kill)")
        }
        return warnings
    }

    /// Compiles `seccomp` with libseccomp, ignoring any cache.
    public static func compile(_ seccomp: Seccomp) throws -> SeccompProgram {
        let policy = try SeccompPolicy(seccomp)
        return try SeccompProgram(filter: SeccompCompiler.compile(policy).filter, flags: policy.flags)
    }

    /// libseccomp's readable pseudo code for the filter of `seccomp` (the
    /// ENOSYS prologue for newer system calls is not shown).
    public static func pseudoCode(_ seccomp: Seccomp) throws -> String {
        try SeccompCompiler.pseudoCode(SeccompPolicy(seccomp))
    }

    /// The cache file `prepare` reads and writes for `seccomp` in `cacheDirectory`.
    public static func cacheFile(for seccomp: Seccomp, in cacheDirectory: String) -> String {
        SeccompCache.path(cacheDirectory, key: SeccompCache.key(for: seccomp, libseccomp: SeccompCompiler.libseccompVersion))
    }

    /// The program for `seccomp`: read from `cacheDirectory` if it was
    /// compiled before, otherwise compiled and stored there (a cache that
    /// cannot be written only costs speed). Also remembered for `load`. Call
    /// it where `cacheDirectory` is the host's (the parent): a path resolved
    /// inside a container could hand over a program the container planted.
    /// Returns nil for nil.
    @discardableResult
    public static func prepare(_ seccomp: Seccomp?, cacheDirectory: String?) throws -> SeccompProgram? {
        guard let seccomp else { return nil }
        var key = ""
        if let cacheDirectory {
            key = SeccompCache.key(for: seccomp, libseccomp: SeccompCompiler.libseccompVersion)
            // A hit needs only the flags: the rest is what the key hashes, and
            // the parent checked it before create.
            if let filter = SeccompCache.read(SeccompCache.path(cacheDirectory, key: key)),
               let program = try? SeccompProgram(filter: filter, flags: SeccompPolicy.parseFlags(seccomp.flags)) {
                prepared = (seccomp, program)
                return program
            }
        }
        let policy = try SeccompPolicy(seccomp)
        let program = try SeccompProgram(filter: SeccompCompiler.compile(policy).filter, flags: policy.flags)
        if let cacheDirectory {
            // A read-only or foreign-owned state root (user namespaces) just means no cache.
            try? SeccompCache.write(cacheDirectory, key: key, filter: program.filter)
        }
        prepared = (seccomp, program)
        return program
    }

    /// Installs the filter for `seccomp` on the calling process with TSYNC
    /// (and no_new_privs unless CAP_SYS_ADMIN is effective), for callers that
    /// hold a profile rather than a `SeccompProgram`. Uses the program
    /// `prepare` made for the same profile in this process.
    ///
    /// Without one it compiles now and leaves `cacheDirectory` alone: a caller
    /// inside the container's file system would see a path the container can
    /// fill, and trusting a file there would let a container choose its filter.
    public static func load(_ seccomp: Seccomp, cacheDirectory: String?) throws {
        let program: SeccompProgram
        if let prepared, prepared.seccomp == seccomp {
            program = prepared.program
        } else {
            program = try prepare(seccomp, cacheDirectory: nil)!
        }
        try program.install()
    }
}
