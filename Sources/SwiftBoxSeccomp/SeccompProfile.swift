#if canImport(Glibc)
import Glibc
#endif
import SwiftBoxLinux
import SwiftBoxOCI

/// A seccomp profile in the Docker (moby) format: a `linux.seccomp` section
/// whose entries may apply only with or without certain capabilities, on
/// certain architectures or from a kernel version on. Rendering it for one
/// container gives the plain OCI `Seccomp` the runtime installs.
///
/// Plain OCI `linux.seccomp` JSON is a valid profile too (it has no
/// conditions), so one loader serves both kinds of file.
public struct SeccompProfile: Codable, Equatable, Sendable {
    /// Conditions of an entry; every one given must hold.
    public struct Conditions: Codable, Equatable, Sendable {
        /// Capability names (`CAP_SYS_ADMIN`).
        public var caps: [String]?
        /// Go architecture names as Docker uses them (`amd64`, `arm64`, `x86`).
        public var arches: [String]?
        /// The lowest kernel version (`4.8`); only for `includes`.
        public var minKernel: String?
    }

    /// One entry of `syscalls`: an OCI rule plus when it applies.
    public struct Entry: Codable, Equatable, Sendable {
        public var names: [String]
        public var action: String
        public var errnoRet: UInt32?
        public var args: [SyscallArg]?
        /// Why the entry exists; not used by the filter.
        public var comment: String?
        /// The entry applies only if the container has all these capabilities,
        /// runs on one of these architectures and on at least this kernel.
        public var includes: Conditions?
        /// The entry does not apply if the container has any of these
        /// capabilities or runs on one of these architectures.
        public var excludes: Conditions?
    }

    /// The extra architectures to filter for one native architecture.
    public struct ArchitectureMap: Codable, Equatable, Sendable {
        public var architecture: String
        public var subArchitectures: [String]?
    }

    /// The profile's name and version, so users can tell which one they run.
    public var name: String?
    public var version: String?
    public var comment: String?
    public var defaultAction: String
    public var defaultErrnoRet: UInt32?
    /// Architectures to filter whatever the native one (OCI style).
    public var architectures: [String]?
    /// Extra architectures per native architecture (Docker style).
    public var archMap: [ArchitectureMap]?
    public var flags: [String]?
    public var syscalls: [Entry]?

    /// The profile swiftbox gives services unless they opt out: Docker's
    /// default in effect, without io_uring and AF_ALG sockets.
    public static let builtinDefault: SeccompProfile = {
        do {
            return try JSONDocument.decode(SeccompProfile.self, from: Array(defaultSeccompProfileJSON.utf8),
                                           file: "built-in seccomp profile")
        } catch {
            fatalError("the built-in seccomp profile does not decode: \(error)")
        }
    }()

    /// The built-in profile's JSON text, as `swiftbox seccomp default` prints it.
    public static var builtinDefaultJSON: String { defaultSeccompProfileJSON + "\n" }

    /// Loads a profile file (Docker format or plain OCI `linux.seccomp`);
    /// errors name the file and the JSON path.
    public static func load(from path: String) throws -> SeccompProfile {
        try JSONDocument.load(SeccompProfile.self, from: path)
    }

    /// The Go name Docker profiles use for this machine's architecture.
    public static var nativeGoArchitecture: String {
        #if arch(x86_64)
        return "amd64"
        #elseif arch(arm64)
        return "arm64"
        #elseif arch(s390x)
        return "s390x"
        #elseif arch(powerpc64le)
        return "ppc64le"
        #elseif arch(riscv64)
        return "riscv64"
        #elseif arch(i386)
        return "386"
        #elseif arch(arm)
        return "arm"
        #else
        return "unknown"
        #endif
    }

    /// The running kernel's release (`6.1.0-13-amd64`).
    public static var kernelRelease: String {
        var u = utsname()
        guard uname(&u) == 0 else { return "0" }
        return withUnsafeBytes(of: &u.release) { String(decoding: $0.prefix(while: { $0 != 0 }), as: UTF8.self) }
    }

    /// The OCI `linux.seccomp` for a container with `capabilities` (Docker
    /// uses the bounding set) on `architecture` (OCI name) and `kernel`.
    /// Entries whose conditions do not hold are left out; comments are dropped.
    public func render(capabilities: [String], architecture: String = SeccompArchitecture.native,
                       kernel: String = SeccompProfile.kernelRelease) -> Seccomp {
        let caps = Set(capabilities.map { $0.uppercased().hasPrefix("CAP_") ? $0.uppercased() : "CAP_" + $0.uppercased() })
        let goArch = Self.goName(architecture)
        func applies(_ entry: Entry) -> Bool {
            if let inc = entry.includes {
                if let need = inc.caps, !need.allSatisfy({ caps.contains($0) }) { return false }
                if let arches = inc.arches, !arches.isEmpty, !arches.contains(goArch) { return false }
                if let min = inc.minKernel, Self.compareVersions(kernel, min) < 0 { return false }
            }
            if let exc = entry.excludes {
                if let deny = exc.caps, deny.contains(where: { caps.contains($0) }) { return false }
                if let arches = exc.arches, arches.contains(goArch) { return false }
            }
            return true
        }
        var archs = architectures ?? []
        if let map = archMap?.first(where: { $0.architecture == architecture }) {
            for a in [map.architecture] + (map.subArchitectures ?? []) where !archs.contains(a) { archs.append(a) }
        }
        var out = Seccomp(defaultAction: defaultAction, defaultErrnoRet: defaultErrnoRet,
                          architectures: archs.isEmpty ? nil : archs, flags: flags)
        out.syscalls = (syscalls ?? []).filter(applies).map {
            Syscall(names: $0.names, action: $0.action, errnoRet: $0.errnoRet, args: $0.args)
        }
        return out
    }

    /// Docker's Go architecture name for an OCI one.
    static func goName(_ oci: String) -> String {
        switch oci {
        case "SCMP_ARCH_X86_64": return "amd64"
        case "SCMP_ARCH_X86": return "x86"
        case "SCMP_ARCH_X32": return "x32"
        case "SCMP_ARCH_AARCH64": return "arm64"
        case "SCMP_ARCH_ARM": return "arm"
        default: return SeccompArchitecture.libseccompName(oci)
        }
    }

    /// Compares dotted version numbers numerically (`6.18.44-fc` vs `4.8`).
    static func compareVersions(_ a: String, _ b: String) -> Int {
        func parts(_ s: String) -> [Int] {
            s.split(whereSeparator: { !$0.isNumber && $0 != "." }).first.map {
                $0.split(separator: ".").map { Int($0) ?? 0 }
            } ?? []
        }
        let x = parts(a), y = parts(b)
        for i in 0..<max(x.count, y.count) {
            let l = i < x.count ? x[i] : 0, r = i < y.count ? y[i] : 0
            if l != r { return l < r ? -1 : 1 }
        }
        return 0
    }
}
