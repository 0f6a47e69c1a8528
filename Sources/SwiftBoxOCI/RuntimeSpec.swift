/// Codable types for the OCI runtime-spec 1.x `config.json`.
///
/// Field names follow the spec exactly. Unknown properties are ignored, as the
/// spec requires of runtimes.
public struct Spec: Codable, Equatable, Sendable {
    public var ociVersion: String
    public var root: Root?
    public var mounts: [Mount]?
    public var process: Process?
    public var hostname: String?
    public var domainname: String?
    public var hooks: Hooks?
    public var annotations: [String: String]?
    public var linux: Linux?

    public init(ociVersion: String = Spec.version, root: Root? = nil, mounts: [Mount]? = nil,
                process: Process? = nil, hostname: String? = nil, domainname: String? = nil,
                hooks: Hooks? = nil, annotations: [String: String]? = nil, linux: Linux? = nil) {
        self.ociVersion = ociVersion; self.root = root; self.mounts = mounts; self.process = process
        self.hostname = hostname; self.domainname = domainname; self.hooks = hooks
        self.annotations = annotations; self.linux = linux
    }

    /// The runtime-spec version swiftbox writes and implements.
    public static let version = "1.2.0"
}

public struct Root: Codable, Equatable, Sendable {
    public var path: String
    public var readonly: Bool?
    public init(path: String, readonly: Bool? = nil) { self.path = path; self.readonly = readonly }
}

public struct Mount: Codable, Equatable, Sendable {
    public var destination: String
    public var type: String?
    public var source: String?
    public var options: [String]?
    public var uidMappings: [IDMapping]?
    public var gidMappings: [IDMapping]?
    public init(destination: String, type: String? = nil, source: String? = nil, options: [String]? = nil) {
        self.destination = destination; self.type = type; self.source = source; self.options = options
    }
}

public struct Process: Codable, Equatable, Sendable {
    public var terminal: Bool?
    public var consoleSize: ConsoleSize?
    public var user: User
    public var args: [String]?
    public var commandLine: String?
    public var env: [String]?
    public var cwd: String
    public var capabilities: Capabilities?
    public var rlimits: [Rlimit]?
    public var noNewPrivileges: Bool?
    public var apparmorProfile: String?
    public var oomScoreAdj: Int?
    public var selinuxLabel: String?
    public var ioPriority: IOPriority?
    public var scheduler: Scheduler?
    public var execCPUAffinity: ExecCPUAffinity?

    public init(terminal: Bool? = nil, user: User = User(), args: [String]? = nil, env: [String]? = nil,
                cwd: String = "/", capabilities: Capabilities? = nil, rlimits: [Rlimit]? = nil,
                noNewPrivileges: Bool? = nil) {
        self.terminal = terminal; self.user = user; self.args = args; self.env = env; self.cwd = cwd
        self.capabilities = capabilities; self.rlimits = rlimits; self.noNewPrivileges = noNewPrivileges
    }
}

public struct ConsoleSize: Codable, Equatable, Sendable {
    public var height: UInt
    public var width: UInt
    public init(height: UInt, width: UInt) { self.height = height; self.width = width }
}

public struct User: Codable, Equatable, Sendable {
    public var uid: UInt32
    public var gid: UInt32
    public var umask: UInt32?
    public var additionalGids: [UInt32]?
    public var username: String?
    public init(uid: UInt32 = 0, gid: UInt32 = 0, umask: UInt32? = nil, additionalGids: [UInt32]? = nil) {
        self.uid = uid; self.gid = gid; self.umask = umask; self.additionalGids = additionalGids
    }
}

public struct Capabilities: Codable, Equatable, Sendable {
    public var bounding: [String]?
    public var effective: [String]?
    public var inheritable: [String]?
    public var permitted: [String]?
    public var ambient: [String]?
    public init(bounding: [String]? = nil, effective: [String]? = nil, inheritable: [String]? = nil,
                permitted: [String]? = nil, ambient: [String]? = nil) {
        self.bounding = bounding; self.effective = effective; self.inheritable = inheritable
        self.permitted = permitted; self.ambient = ambient
    }
}

public struct Rlimit: Codable, Equatable, Sendable {
    public var type: String
    public var hard: UInt64
    public var soft: UInt64
    public init(type: String, hard: UInt64, soft: UInt64) { self.type = type; self.hard = hard; self.soft = soft }
}

public struct IOPriority: Codable, Equatable, Sendable {
    public var `class`: String
    public var priority: Int?
}

public struct Scheduler: Codable, Equatable, Sendable {
    public var policy: String
    public var nice: Int32?
    public var priority: Int32?
    public var flags: [String]?
    public var runtime: UInt64?
    public var deadline: UInt64?
    public var period: UInt64?
}

public struct ExecCPUAffinity: Codable, Equatable, Sendable {
    public var initial: String?
    public var final: String?
}

public struct Hooks: Codable, Equatable, Sendable {
    public var prestart: [Hook]?
    public var createRuntime: [Hook]?
    public var createContainer: [Hook]?
    public var startContainer: [Hook]?
    public var poststart: [Hook]?
    public var poststop: [Hook]?
    public init() {}
}

public struct Hook: Codable, Equatable, Sendable {
    public var path: String
    public var args: [String]?
    public var env: [String]?
    public var timeout: Int?
    public init(path: String, args: [String]? = nil, env: [String]? = nil, timeout: Int? = nil) {
        self.path = path; self.args = args; self.env = env; self.timeout = timeout
    }
}

public struct Linux: Codable, Equatable, Sendable {
    public var namespaces: [Namespace]?
    public var uidMappings: [IDMapping]?
    public var gidMappings: [IDMapping]?
    public var timeOffsets: [String: TimeOffset]?
    public var devices: [Device]?
    public var cgroupsPath: String?
    public var resources: Resources?
    public var rootfsPropagation: String?
    public var seccomp: Seccomp?
    public var sysctl: [String: String]?
    public var maskedPaths: [String]?
    public var readonlyPaths: [String]?
    public var mountLabel: String?
    public var personality: Personality?
    public var intelRdt: JSONValue?
    public init() {}

    enum CodingKeys: String, CodingKey {
        case namespaces, uidMappings, gidMappings, timeOffsets, devices, cgroupsPath, resources, rootfsPropagation
        case seccomp, sysctl, maskedPaths, readonlyPaths, mountLabel, personality, intelRdt
    }

    /// Decodes every field; with `CodingUserInfoKey.parentHandled` set, leaves
    /// out `resources` and `seccomp`, which the parent applies (cgroups) or
    /// compiles (seccomp) and which container init never reads: the seccomp
    /// section alone is hundreds of names, and init decodes on every start.
    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        namespaces = try c.decodeIfPresent([Namespace].self, forKey: .namespaces)
        uidMappings = try c.decodeIfPresent([IDMapping].self, forKey: .uidMappings)
        gidMappings = try c.decodeIfPresent([IDMapping].self, forKey: .gidMappings)
        timeOffsets = try c.decodeIfPresent([String: TimeOffset].self, forKey: .timeOffsets)
        devices = try c.decodeIfPresent([Device].self, forKey: .devices)
        cgroupsPath = try c.decodeIfPresent(String.self, forKey: .cgroupsPath)
        rootfsPropagation = try c.decodeIfPresent(String.self, forKey: .rootfsPropagation)
        sysctl = try c.decodeIfPresent([String: String].self, forKey: .sysctl)
        maskedPaths = try c.decodeIfPresent([String].self, forKey: .maskedPaths)
        readonlyPaths = try c.decodeIfPresent([String].self, forKey: .readonlyPaths)
        mountLabel = try c.decodeIfPresent(String.self, forKey: .mountLabel)
        personality = try c.decodeIfPresent(Personality.self, forKey: .personality)
        intelRdt = try c.decodeIfPresent(JSONValue.self, forKey: .intelRdt)
        if decoder.userInfo[.parentHandled] == nil {
            resources = try c.decodeIfPresent(Resources.self, forKey: .resources)
            seccomp = try c.decodeIfPresent(Seccomp.self, forKey: .seccomp)
        }
    }
}

extension CodingUserInfoKey {
    /// Set (to any value) when decoding a config for container init: the
    /// sections the parent alone handles are skipped (see `Linux.init(from:)`).
    public static let parentHandled = CodingUserInfoKey(rawValue: "io.github.swiftbox.parent-handled")!
}

public struct Namespace: Codable, Equatable, Sendable {
    public var type: String
    public var path: String?
    public init(type: String, path: String? = nil) { self.type = type; self.path = path }
}

public struct IDMapping: Codable, Equatable, Sendable {
    public var containerID: UInt32
    public var hostID: UInt32
    public var size: UInt32
    public init(containerID: UInt32, hostID: UInt32, size: UInt32) {
        self.containerID = containerID; self.hostID = hostID; self.size = size
    }
}

public struct TimeOffset: Codable, Equatable, Sendable {
    public var secs: Int64?
    public var nanosecs: UInt32?
    public init(secs: Int64? = nil, nanosecs: UInt32? = nil) { self.secs = secs; self.nanosecs = nanosecs }
}

public struct Device: Codable, Equatable, Sendable {
    public var type: String
    public var path: String
    public var major: Int64?
    public var minor: Int64?
    public var fileMode: UInt32?
    public var uid: UInt32?
    public var gid: UInt32?
    public init(type: String, path: String, major: Int64? = nil, minor: Int64? = nil, fileMode: UInt32? = nil) {
        self.type = type; self.path = path; self.major = major; self.minor = minor; self.fileMode = fileMode
    }
}

public struct Personality: Codable, Equatable, Sendable {
    public var domain: String
    public var flags: [String]?
}

// MARK: resources (cgroups)

public struct Resources: Codable, Equatable, Sendable {
    public var devices: [DeviceCgroup]?
    public var memory: Memory?
    public var cpu: CPU?
    public var pids: Pids?
    public var blockIO: BlockIO?
    public var hugepageLimits: [HugepageLimit]?
    public var network: Network?
    public var rdma: [String: RdmaLimit]?
    public var unified: [String: String]?
    public init() {}
}

public struct DeviceCgroup: Codable, Equatable, Sendable {
    public var allow: Bool
    public var type: String?
    public var major: Int64?
    public var minor: Int64?
    public var access: String?
    public init(allow: Bool, type: String? = nil, major: Int64? = nil, minor: Int64? = nil, access: String? = nil) {
        self.allow = allow; self.type = type; self.major = major; self.minor = minor; self.access = access
    }
}

public struct Memory: Codable, Equatable, Sendable {
    public var limit: Int64?
    public var reservation: Int64?
    public var swap: Int64?
    public var kernel: Int64?
    public var kernelTCP: Int64?
    public var swappiness: UInt64?
    public var disableOOMKiller: Bool?
    public var useHierarchy: Bool?
    public var checkBeforeUpdate: Bool?
    public init() {}
}

public struct CPU: Codable, Equatable, Sendable {
    public var shares: UInt64?
    public var quota: Int64?
    public var burst: UInt64?
    public var period: UInt64?
    public var realtimeRuntime: Int64?
    public var realtimePeriod: UInt64?
    public var cpus: String?
    public var mems: String?
    public var idle: Int64?
    public init() {}
}

public struct Pids: Codable, Equatable, Sendable {
    public var limit: Int64
    public init(limit: Int64) { self.limit = limit }
}

public struct BlockIO: Codable, Equatable, Sendable {
    public var weight: UInt16?
    public var leafWeight: UInt16?
    public var weightDevice: [WeightDevice]?
    public var throttleReadBpsDevice: [ThrottleDevice]?
    public var throttleWriteBpsDevice: [ThrottleDevice]?
    public var throttleReadIOPSDevice: [ThrottleDevice]?
    public var throttleWriteIOPSDevice: [ThrottleDevice]?
    public init() {}
}

public struct WeightDevice: Codable, Equatable, Sendable {
    public var major: Int64
    public var minor: Int64
    public var weight: UInt16?
    public var leafWeight: UInt16?
}

public struct ThrottleDevice: Codable, Equatable, Sendable {
    public var major: Int64
    public var minor: Int64
    public var rate: UInt64
}

public struct HugepageLimit: Codable, Equatable, Sendable {
    public var pageSize: String
    public var limit: UInt64
}

public struct Network: Codable, Equatable, Sendable {
    public var classID: UInt32?
    public var priorities: [InterfacePriority]?
}

public struct InterfacePriority: Codable, Equatable, Sendable {
    public var name: String
    public var priority: UInt32
}

public struct RdmaLimit: Codable, Equatable, Sendable {
    public var hcaHandles: UInt32?
    public var hcaObjects: UInt32?
}

// MARK: seccomp

public struct Seccomp: Codable, Equatable, Sendable {
    public var defaultAction: String
    public var defaultErrnoRet: UInt32?
    public var architectures: [String]?
    public var flags: [String]?
    public var listenerPath: String?
    public var listenerMetadata: String?
    public var syscalls: [Syscall]?
    public init(defaultAction: String, defaultErrnoRet: UInt32? = nil, architectures: [String]? = nil,
                flags: [String]? = nil, syscalls: [Syscall]? = nil) {
        self.defaultAction = defaultAction; self.defaultErrnoRet = defaultErrnoRet
        self.architectures = architectures; self.flags = flags; self.syscalls = syscalls
    }
}

public struct Syscall: Codable, Equatable, Sendable {
    public var names: [String]
    public var action: String
    public var errnoRet: UInt32?
    public var args: [SyscallArg]?
    public init(names: [String], action: String, errnoRet: UInt32? = nil, args: [SyscallArg]? = nil) {
        self.names = names; self.action = action; self.errnoRet = errnoRet; self.args = args
    }
}

public struct SyscallArg: Codable, Equatable, Sendable {
    public var index: UInt
    public var value: UInt64
    public var valueTwo: UInt64?
    public var op: String
    public init(index: UInt, value: UInt64, valueTwo: UInt64? = nil, op: String) {
        self.index = index; self.value = value; self.valueTwo = valueTwo; self.op = op
    }
}
