import SwiftBoxOCI
import SwiftBoxSeccomp

/// The runtime-spec "features" document (what `runc features` prints).
public struct RuntimeFeatures: Codable, Sendable {
    public struct LinuxFeatures: Codable, Sendable {
        public struct Cgroup: Codable, Sendable { public var v1: Bool; public var v2: Bool; public var systemd: Bool; public var systemdUser: Bool }
        public struct SeccompFeatures: Codable, Sendable {
            public var enabled: Bool; public var actions: [String]; public var operators: [String]; public var archs: [String]
            /// Filter flags the runtime knows, and those it can apply.
            public var knownFlags: [String]; public var supportedFlags: [String]
        }
        public struct Toggle: Codable, Sendable { public var enabled: Bool }
        public var namespaces: [String]
        public var capabilities: [String]
        public var cgroup: Cgroup
        public var seccomp: SeccompFeatures
        public var apparmor: Toggle
        public var selinux: Toggle
        public var intelRdt: Toggle
        public var mountExtensions: [String: Toggle]
    }
    public var ociVersionMin: String
    public var ociVersionMax: String
    public var hooks: [String]
    public var mountOptions: [String]
    public var linux: LinuxFeatures
    public var annotations: [String: String]

    /// What this build supports.
    public static func current() -> RuntimeFeatures {
        RuntimeFeatures(
            ociVersionMin: "1.0.0", ociVersionMax: Spec.version,
            hooks: ["prestart", "createRuntime", "createContainer", "startContainer", "poststart", "poststop"],
            mountOptions: (MountOptions.flagNames + MountOptions.propagationNames).sorted(),
            linux: LinuxFeatures(
                namespaces: BundleConfig.namespaceTypes,
                capabilities: CapabilitySet.names,
                cgroup: .init(v1: true, v2: true, systemd: false, systemdUser: false),
                seccomp: .init(enabled: true, actions: SeccompFilter.supportedActions, operators: SeccompFilter.supportedOperators, archs: SeccompFilter.supportedArchitectures,
                               knownFlags: ["SECCOMP_FILTER_FLAG_TSYNC", "SECCOMP_FILTER_FLAG_LOG",
                                            "SECCOMP_FILTER_FLAG_SPEC_ALLOW", "SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV"],
                               // WAIT_KILLABLE_RECV needs a notify listener, which swiftbox refuses.
                               supportedFlags: ["SECCOMP_FILTER_FLAG_TSYNC", "SECCOMP_FILTER_FLAG_LOG",
                                                "SECCOMP_FILTER_FLAG_SPEC_ALLOW"]),
                apparmor: .init(enabled: false), selinux: .init(enabled: false), intelRdt: .init(enabled: false),
                mountExtensions: ["idmap": .init(enabled: false)]),
            annotations: ["io.github.swiftbox.version": RuntimeInfo.version])
    }
}
