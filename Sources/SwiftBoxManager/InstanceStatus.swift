/// Where an instance is in its life.
public enum InstancePhase: String, Codable, Sendable {
    /// Not started yet: waiting for the services it depends on.
    case waiting
    /// Its container is being created.
    case starting
    /// Its container runs.
    case running
    /// It stopped unexpectedly and will be started again after a backoff.
    case restarting
    /// It was asked to stop and has not exited yet.
    case stopping
    /// It ended and the restart policy does not start it again.
    case exited
    /// It kept failing and the restart policy gave up (or it cannot be created).
    case failed
    /// It was stopped on request and stays stopped.
    case stopped
}

/// The result of an instance's health checks.
public enum HealthStatus: String, Codable, Sendable {
    /// The service has no health check.
    case none
    /// No check has passed yet.
    case starting
    case healthy
    case unhealthy
}

/// A snapshot of one instance, as `swiftbox ps` shows it.
public struct InstanceStatus: Codable, Equatable, Sendable {
    public var service: String
    /// 1-based; the container id is `<service>-<index>`.
    public var index: Int
    public var phase: InstancePhase
    /// The container's init pid (0 when not running).
    public var pid: Int32
    /// How many times it was started again.
    public var restarts: Int
    /// Consecutive failures without a run of 10 s or more; 3 or more is a crash loop.
    public var consecutiveFailures: Int
    /// Wall-clock seconds since the epoch when the current container started.
    public var startedAt: Double?
    public var health: HealthStatus
    /// The last exit status (a shell-style code; nil if unknown).
    public var exitCode: Int32?
    /// What it waits for, why it failed, or when it restarts.
    public var message: String?

    /// The container id.
    public var name: String { "\(service)-\(index)" }
    /// Whether the instance is restarting over and over.
    public var crashLooping: Bool { consecutiveFailures >= 3 && (phase == .restarting || phase == .failed) }
}

/// What a `ServiceManager` reports while it supervises.
public enum ServiceEvent: Sendable {
    /// An instance changed phase or health.
    case instance(InstanceStatus)
    /// An instance was removed (scaled down or shut down).
    case removed(name: String)
    /// The manager finished; `clean` is false if an instance had to be killed
    /// with SIGKILL or had failed.
    case finished(clean: Bool)
}
