import SwiftBoxLinux
import SwiftBoxOCI

/// The seam between the runtime and the seccomp mechanism.
/// PLACEHOLDER until the seccomp issue lands: every filter is refused.
public enum SeccompFilter {
    /// Checks a `linux.seccomp` section before anything is created.
    public static func validate(_ seccomp: Seccomp) throws {
        throw SwiftBoxError("linux.seccomp: seccomp filters are not supported yet; remove the section or wait for the seccomp filter")
    }

    /// Compiles (or loads from `cacheDirectory`) and installs the filter on the
    /// calling process. Called last in init, just before execve.
    public static func load(_ seccomp: Seccomp, cacheDirectory: String?) throws {
        try validate(seccomp)
    }
}
