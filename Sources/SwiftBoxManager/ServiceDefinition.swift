/// One service of a `service.json`, checked and with every default filled in.
public struct ServiceDefinition: Equatable, Sendable {
    /// The service name; instance `i` runs in container `<name>-<i>`.
    public var name: String
    /// The image as written: a path to a root filesystem (relative to the service
    /// file), an OCI layout or archive, or a stored image name.
    public var image: String
    /// The program and its arguments (entrypoint followed by command).
    public var arguments: [String]
    /// `NAME=VALUE` pairs, env files first, then `env` (later ones win).
    public var environment: [String]
    /// The working directory inside the container (nil: the image's, or `/`).
    public var workdir: String?
    /// `uid[:gid]` or a user name from the image's /etc/passwd.
    public var user: String?
    /// The host name (default: the instance name).
    public var hostname: String?
    /// How many instances to run.
    public var replicas: Int
    public var restart: RestartPolicy
    public var resources: ResourceLimits
    public var mounts: [ServiceMount]
    public var network: NetworkMode
    public var readonlyRootfs: Bool
    /// Capabilities added to and dropped from the default set (`ALL` allowed).
    public var capabilitiesAdded: [String]
    public var capabilitiesDropped: [String]
    public var seccomp: SeccompMode
    public var healthcheck: HealthCheck?
    /// The signal that asks an instance to stop (nil: the image's, or SIGTERM).
    public var stopSignal: Int32?
    /// Seconds between the stop signal and SIGKILL.
    public var stopTimeout: Double
    public var dependsOn: [Dependency]
    /// Free-form labels, stored as annotations on each container.
    public var labels: [String: String]
    /// The folder of the service file (relative paths start here).
    public var baseDirectory: String

    /// A service with the defaults of a file that names only `name`, `image` and `command`.
    public init(name: String, image: String, arguments: [String], baseDirectory: String = "/") {
        self.name = name; self.image = image; self.arguments = arguments
        environment = []; workdir = nil; user = nil; hostname = nil; replicas = 1
        restart = RestartPolicy(); resources = ResourceLimits(); mounts = []; network = .private
        readonlyRootfs = false; capabilitiesAdded = []; capabilitiesDropped = []; seccomp = .default
        healthcheck = nil; stopSignal = nil; stopTimeout = 10; dependsOn = []; labels = [:]
        self.baseDirectory = baseDirectory
    }
}

/// When a stopped instance is started again, and how fast.
public struct RestartPolicy: Equatable, Sendable {
    /// `no`, `on-failure`, `always` or `unless-stopped` (as docker).
    public enum Condition: String, Equatable, Sendable, CaseIterable {
        case no, onFailure = "on-failure", always, unlessStopped = "unless-stopped"
    }
    public var condition: Condition = .no
    /// Restarts allowed after consecutive failures before the instance is
    /// marked failed; nil means no limit.
    public var maxRetries: Int?
    /// The first delay before a restart, doubled for each consecutive failure…
    public var initialBackoff: Double = 0.5
    /// …up to this.
    public var maxBackoff: Double = 30
    public init() {}

    /// The delay before restart number `failures` (1-based) of a crash loop.
    public func backoff(afterFailures failures: Int) -> Double {
        var d = initialBackoff
        var n = 1
        while n < failures && d < maxBackoff { d *= 2; n += 1 }
        return min(d, maxBackoff)
    }
}

/// cgroup limits of each instance.
public struct ResourceLimits: Equatable, Sendable {
    /// Memory limit in bytes.
    public var memory: Int64?
    /// CPU time as a number of CPUs (`1.5` = 150 ms per 100 ms period).
    public var cpus: Double?
    /// Maximum number of processes.
    public var pids: Int64?
    public init() {}
    /// Whether no limit is set.
    public var isEmpty: Bool { memory == nil && cpus == nil && pids == nil }
}

/// A mount of a service.
public struct ServiceMount: Equatable, Sendable {
    public enum Kind: String, Equatable, Sendable { case bind, volume, tmpfs }
    public var kind: Kind
    /// Bind: absolute host path. Volume: the volume name. Tmpfs: unused.
    public var source: String
    /// The absolute path inside the container.
    public var target: String
    public var readOnly: Bool
    /// Tmpfs size in bytes.
    public var size: Int64?
    public init(kind: Kind, source: String, target: String, readOnly: Bool = false, size: Int64? = nil) {
        self.kind = kind; self.source = source; self.target = target; self.readOnly = readOnly; self.size = size
    }
}

/// Which network an instance sees.
public enum NetworkMode: String, Equatable, Sendable, CaseIterable {
    /// A new network namespace with no interface up.
    case none
    /// The host's network namespace.
    case host
    /// A new network namespace whose loopback interface is up.
    case `private`
}

/// The seccomp filter of each instance.
public enum SeccompMode: Equatable, Sendable {
    /// The runtime's default profile.
    case `default`
    /// No filter.
    case unconfined
    /// A runtime-spec `linux.seccomp` JSON file (absolute path).
    case profile(String)
}

/// A command run inside an instance to tell whether it is healthy.
public struct HealthCheck: Equatable, Sendable {
    public var command: [String]
    public var interval: Double = 30
    public var timeout: Double = 30
    public var retries: Int = 3
    /// Failures during this time after start do not count.
    public var startPeriod: Double = 0
    public init(command: [String]) { self.command = command }
}

/// A service that must reach `condition` before this one starts.
public struct Dependency: Equatable, Sendable {
    public enum Condition: String, Equatable, Sendable, CaseIterable {
        /// Every instance is running.
        case started
        /// Every instance passes its health check.
        case healthy
        /// Every instance exited with status 0.
        case completed
    }
    public var service: String
    public var condition: Condition
    public init(service: String, condition: Condition = .started) { self.service = service; self.condition = condition }
}
