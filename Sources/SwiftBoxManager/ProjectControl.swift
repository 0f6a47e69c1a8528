#if canImport(Glibc)
import Glibc
#endif
import SwiftBoxLinux
import SwiftBoxOCI
import SwiftBoxRuntime

/// One row of `swiftbox ps`: an instance with its live figures.
public struct InstanceReport: Codable, Sendable {
    public var project: String
    public var service: String
    /// The instance (container) name, `service-index`.
    public var instance: String
    public var state: String
    public var pid: Int32
    public var restarts: Int
    /// Seconds since the current container started.
    public var uptime: Double?
    public var health: HealthStatus
    /// Bytes of memory in use (from the container's cgroup).
    public var memory: Int64?
    public var exitCode: Int32?
    public var message: String?
    /// Whether a supervisor is watching this instance.
    public var supervised: Bool
}

extension ServiceManager {
    /// Every instance of every project under `root` (optionally one project), as `ps` shows them.
    public static func report(root: StateRoot = StateRoot(), project: String? = nil) -> [InstanceReport] {
        var out: [InstanceReport] = []
        let now = wallNow()
        for dir in ProjectDirectory.all(root: root) where project == nil || dir.project == project {
            guard let state = dir.load() else { continue }
            let alive = dir.supervisorAlive
            for i in state.instances {
                var phase = i.phase.rawValue
                var pid = i.pid
                if !alive && (i.phase == .running || i.phase == .stopping) {
                    let live = (try? root.state(of: i.name))?.status ?? .stopped
                    phase = live == .running ? "running" : "exited"
                    if live != .running { pid = 0 }
                }
                if i.crashLooping && i.phase == .restarting { phase = "crashloop" }
                let running = phase == "running" || phase == "stopping"
                out.append(InstanceReport(
                    project: dir.project, service: i.service, instance: i.name, state: phase, pid: pid,
                    restarts: i.restarts, uptime: running ? i.startedAt.map { max(0, now - $0) } : nil,
                    health: i.health, memory: running ? ContainerFigures.memory(of: i.name, root: root) : nil,
                    exitCode: i.exitCode, message: i.message, supervised: alive))
            }
        }
        return out
    }

    /// The project whose supervisor runs an instance or service called `name`.
    public static func project(running name: String, root: StateRoot = StateRoot()) throws -> ProjectDirectory {
        let matches = ProjectDirectory.all(root: root).filter { dir in
            guard let s = dir.load() else { return false }
            return s.instances.contains { $0.name == name || $0.service == name } || s.replicas[name] != nil
        }
        guard let first = matches.first else {
            throw SwiftBoxError("no service or instance \"\(name)\" under \(ProjectDirectory.servicesFolder(root)); see `swiftbox ps`")
        }
        if matches.count > 1 {
            throw SwiftBoxError("\"\(name)\" is in several projects (\(matches.map(\.project).joined(separator: ", "))); give --project")
        }
        return first
    }

    /// Sends a request to the supervisor of a project and waits for its answer.
    @discardableResult
    public static func send(_ request: ControlRequest, to dir: ProjectDirectory, timeout: Int = 300) throws -> ControlReply {
        guard dir.supervisorAlive else {
            throw SwiftBoxError("project \"\(dir.project)\" has no running supervisor; start it again with `swiftbox run -d FILE` (it adopts the running containers) or remove it with `swiftbox down FILE`")
        }
        let reply = try ControlChannel.send(request, to: dir.controlSocket, timeout: timeout)
        if !reply.ok { throw SwiftBoxError(reply.message) }
        return reply
    }

    /// Stops a project: through its supervisor if one runs, otherwise by
    /// stopping and removing every container of the project directly
    /// (SIGTERM, then SIGKILL after `timeout` seconds).
    public static func down(project: String, root: StateRoot = StateRoot(), images: any ImageProvider = StoreImageProvider(),
                            timeout: Double = 10) throws {
        let dir = ProjectDirectory(root: root, project: project)
        if dir.supervisorAlive {
            let pid = dir.load()?.supervisorPid ?? 0
            try send(ControlRequest(op: "down"), to: dir, timeout: 3600)
            // The supervisor answers once every container is gone, then removes
            // its folder and exits: wait for that too.
            let deadline = monotonicNow() + 30
            while pid > 0 && Sys.alive(pid) && Sys.processState(of: pid) != "Z" && monotonicNow() < deadline { usleep(5_000) }
            return
        }
        let ids = root.ids().filter { id in (try? root.load(id))?.annotations?[InstanceSpec.projectKey] == project }
        guard FS.exists(dir.path) || !ids.isEmpty else {
            throw SwiftBoxError("project \"\(project)\" is not running under \(root.path)")
        }
        for id in ids { try? Container(id: id, root: root).kill(signal: SIGTERM) }
        let deadline = monotonicNow() + timeout
        while ids.contains(where: { (try? root.state(of: $0))?.status == .running }) && monotonicNow() < deadline { usleep(20_000) }
        var failures: [String] = []
        for id in ids {
            do { try Container(id: id, root: root).delete(force: true) } catch { failures.append("\(error)") }
            try? images.releaseRootfs(container: id, scratch: dir.container(id))
        }
        if failures.isEmpty { try FS.removeAll(dir.path) }
        else { throw SwiftBoxError("could not remove every container of \(project): \(failures.joined(separator: "; "))") }
    }
}
