#if canImport(Glibc)
import Glibc
#endif
import SwiftBoxLinux
import SwiftBoxOCI
import SwiftBoxRuntime
import SwiftBoxCgroups

/// The folder of one project's supervisor: `<root>/services/<project>`.
///
/// ```
/// state.json        what ps shows (rewritten on every change)
/// supervisor.lock   flock'ed by the live supervisor
/// control.sock      stop / restart / scale / down requests
/// supervisor.log    the detached supervisor's own output
/// logs/<id>.log     each instance's stdout and stderr
/// containers/<id>/  each instance's bundle (config.json, overlay rootfs)
/// ```
public struct ProjectDirectory: Sendable {
    public let root: StateRoot
    public let project: String

    public init(root: StateRoot, project: String) { self.root = root; self.project = project }

    /// `<root>/services`.
    public static func servicesFolder(_ root: StateRoot) -> String { root.path + "/services" }
    public var path: String { Self.servicesFolder(root) + "/" + project }
    public var stateFile: String { path + "/state.json" }
    public var lockFile: String { path + "/supervisor.lock" }
    public var controlSocket: String { path + "/control.sock" }
    public var supervisorLog: String { path + "/supervisor.log" }
    public var logs: String { path + "/logs" }
    public func log(of id: String) -> String { logs + "/\(id).log" }
    public func container(_ id: String) -> String { path + "/containers/" + id }
    /// Named volumes of this project: `<root>/volumes/<project>/<name>` (kept by `down`).
    public var volumes: String { root.path + "/volumes/" + project }

    /// Every project folder under a state root.
    public static func all(root: StateRoot) -> [ProjectDirectory] {
        ((try? FS.list(servicesFolder(root))) ?? []).sorted().map { ProjectDirectory(root: root, project: $0) }
            .filter { FS.exists($0.stateFile) }
    }

    /// The saved state, if any.
    public func load() -> ProjectState? { try? JSONDocument.load(ProjectState.self, from: stateFile) }

    /// Whether a supervisor holds this project's lock.
    public var supervisorAlive: Bool {
        let fd = open(lockFile, O_RDONLY | O_CLOEXEC)
        if fd < 0 { return false }
        defer { close(fd) }
        if flock(fd, LOCK_SH | LOCK_NB) == 0 { flock(fd, LOCK_UN); return false }
        return true
    }
}

/// What a supervisor persists about its project (`state.json`).
public struct ProjectState: Codable, Sendable {
    /// `starting` until every instance that can start has been started, then
    /// `running`; `stopping` during shutdown.
    public enum Phase: String, Codable, Sendable { case starting, running, stopping }
    public var project: String
    /// The service file (absolute path).
    public var file: String
    public var supervisorPid: Int32
    public var phase: Phase
    /// The current replica count of each service (after `scale`).
    public var replicas: [String: Int]
    /// Instances stopped on request (they stay stopped after a supervisor restart).
    public var stoppedByUser: [String]
    public var instances: [InstanceStatus]
}

/// Live figures of an instance's container (for ps).
enum ContainerFigures {
    /// Memory in use by a container's cgroup (v2 memory.current or v1 usage).
    static func memory(of id: String, root: StateRoot) -> Int64? {
        guard let r = try? root.load(id),
              let cg = try? ContainerCgroup(id: id, cgroupsPath: r.cgroupPath, systemd: false) else { return nil }
        for dir in cg.directories {
            for f in ["memory.current", "memory.usage_in_bytes"] {
                if let t = try? FS.readString(dir + "/" + f), let v = Int64(t.trimmingWhitespace()) { return v }
            }
        }
        return nil
    }
}
