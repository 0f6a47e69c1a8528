#if canImport(Glibc)
import Glibc
#endif
import CSwiftBox
import SwiftBoxLinux

/// A compiled seccomp filter, ready to install: classic-BPF instructions and
/// the seccomp(2) flags to install them with. Installing needs no libseccomp.
public struct SeccompProgram: Equatable, Sendable {
    /// `struct sock_filter` records, 8 bytes each, in host byte order.
    public var filter: [UInt8]
    /// The filter flags from the profile; TSYNC is always added on install.
    public var flags: SeccompFlags

    /// Wraps a filter; throws if `filter` is not a whole number of
    /// instructions or is longer than the kernel accepts.
    public init(filter: [UInt8], flags: SeccompFlags) throws {
        guard !filter.isEmpty, filter.count % 8 == 0, filter.count / 8 <= SeccompCompiler.maxInstructions else {
            throw SwiftBoxError("a seccomp filter of \(filter.count) bytes is not a valid BPF program "
                + "(expected 1 to \(SeccompCompiler.maxInstructions) instructions of 8 bytes)")
        }
        self.filter = filter
        self.flags = flags
    }

    /// The number of BPF instructions.
    public var instructionCount: Int { filter.count / 8 }

    /// CAP_SYS_ADMIN's bit in the first capability word.
    private static let capSysAdmin: UInt32 = 1 << 21

    /// Installs the filter on the calling process (every thread, TSYNC).
    ///
    /// The kernel only lets a process without CAP_SYS_ADMIN in its effective
    /// set install a filter once no_new_privs is set, so it is set here in
    /// that case; a process that keeps CAP_SYS_ADMIN may gain privileges
    /// through setuid programs after the filter, as the runtime-spec allows.
    public func install() throws {
        var caps = sb_caps()
        let hasSysAdmin = sb_capget(0, &caps) == 0 && (caps.effective.0 & Self.capSysAdmin) != 0
        if !hasSysAdmin {
            try Sys.prctl(38 /* PR_SET_NO_NEW_PRIVS */, 1, what: "set no_new_privs before loading the seccomp filter")
        }
        let installFlags = flags.union(.tsync)
        let rc: Int32 = filter.withUnsafeBytes { bytes in
            // struct sock_fprog { unsigned short len; struct sock_filter *filter; }
            withUnsafeTemporaryAllocation(byteCount: 16, alignment: 8) { prog in
                prog.initializeMemory(as: UInt8.self, repeating: 0)
                prog.storeBytes(of: UInt16(filter.count / 8), toByteOffset: 0, as: UInt16.self)
                prog.storeBytes(of: bytes.baseAddress, toByteOffset: 8, as: UnsafeRawPointer?.self)
                return sb_seccomp_set_filter(installFlags.rawValue, prog.baseAddress)
            }
        }
        if rc > 0 {
            throw SwiftBoxError("cannot load the seccomp filter: thread \(rc) has a different filter and cannot be synchronized (TSYNC)")
        }
        if rc < 0 {
            let e = errno
            var why = ""
            if e == EINVAL { why = "; does this kernel support the flags \(flagNames(installFlags))?" }
            if e == EACCES { why = "; it needs no_new_privs or CAP_SYS_ADMIN" }
            throw SwiftBoxError.system("load the seccomp filter (\(instructionCount) instructions)\(why)", errno: e)
        }
    }

    private func flagNames(_ flags: SeccompFlags) -> String {
        SeccompFlags.byName.filter { flags.contains($0.1) }.map(\.0).joined(separator: ", ")
    }
}
