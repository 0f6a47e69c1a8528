#if canImport(Glibc)
import Glibc
#endif
import SwiftBoxLinux
import SwiftBoxOCI

/// Compiled filters on disk, one file per profile: `<cache>/<sha256>.bpf`
/// under the state root, holding the BPF program exactly as it is installed.
///
/// The name hashes everything the program depends on: the profile, the
/// libseccomp version that compiled it, the native architecture and this
/// file's format. A hit is read and installed with no libseccomp call.
enum SeccompCache {
    /// Bumped whenever the compiled form changes (for example the ENOSYS prologue).
    static let formatVersion = "swiftbox-seccomp-bpf 1"

    /// The cache key of a profile.
    static func key(for seccomp: Seccomp, libseccomp: String) -> String {
        var text: [UInt8] = []
        func field(_ s: String) {
            // Length-prefixed, so no two different profiles serialize alike.
            text += Array("\(s.utf8.count):".utf8)
            text += Array(s.utf8)
        }
        func list(_ items: [String]?) {
            guard let items else { field("-"); return }
            field("\(items.count)")
            items.forEach(field)
        }
        func number<T: BinaryInteger>(_ n: T?) { field(n.map { "\($0)" } ?? "-") }
        field(formatVersion)
        field(libseccomp)
        field(SeccompArchitecture.native)
        field(seccomp.defaultAction)
        number(seccomp.defaultErrnoRet)
        list(seccomp.architectures)
        list(seccomp.flags)
        field(seccomp.listenerPath ?? "-")
        field(seccomp.listenerMetadata ?? "-")
        let calls = seccomp.syscalls ?? []
        number(seccomp.syscalls.map { $0.count })
        for call in calls {
            list(call.names)
            field(call.action)
            number(call.errnoRet)
            number(call.args.map { $0.count })
            for arg in call.args ?? [] {
                number(arg.index)
                number(arg.value)
                number(arg.valueTwo)
                field(arg.op)
            }
        }
        return SHA256.hex(text)
    }

    /// The file of `key` in `directory`.
    static func path(_ directory: String, key: String) -> String { directory + "/" + key + ".bpf" }

    /// The cached program, or nil if there is none or it is not a plausible
    /// program (a truncated write is recompiled, never installed).
    static func read(_ path: String) -> [UInt8]? {
        let fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)
        if fd < 0 { return nil }
        defer { close(fd) }
        var st = stat()
        guard fstat(fd, &st) == 0, (st.st_mode & S_IFMT) == S_IFREG,
              st.st_mode & 0o022 == 0, // written by swiftbox as 0600: refuse anything others could have changed
              st.st_size > 0, st.st_size % 8 == 0, st.st_size <= 8 * SeccompCompiler.maxInstructions,
              let bytes = try? FS.readAll(fd: fd, what: path), bytes.count == Int(st.st_size) else { return nil }
        return bytes
    }

    /// Stores a program under `key`, atomically (temporary file and rename),
    /// so concurrent starts never see half a program.
    static func write(_ directory: String, key: String, filter: [UInt8]) throws {
        try FS.mkdirAll(directory, mode: 0o700)
        try FS.writeAtomically(path(directory, key: key), filter, mode: 0o600)
    }
}
