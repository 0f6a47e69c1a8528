#if canImport(Glibc)
import Glibc
#endif
import SwiftBoxLinux
import SwiftBoxOCI
import SwiftBoxCgroups

/// A container's status per the runtime-spec (plus `paused`, as runc reports it).
public enum ContainerStatus: String, Codable, Sendable {
    case creating, created, running, stopped, paused
}

/// The state the runtime-spec `state` operation returns.
public struct OCIState: Codable, Equatable, Sendable {
    public var ociVersion: String
    public var id: String
    public var status: ContainerStatus
    public var pid: Int32?
    public var bundle: String
    public var annotations: [String: String]?
    /// When the container was created (RFC 3339), as runc reports it.
    public var created: String?
    /// The owner of the container (runc prints it in `list`).
    public var owner: String?
}

/// What swiftbox keeps per container in `<root>/<id>/state.json`.
public struct ContainerRecord: Codable, Equatable, Sendable {
    public var id: String
    public var bundle: String
    public var rootfs: String
    public var pid: Int32
    /// The init process's start time (clock ticks), to detect pid reuse.
    public var pidStartTime: UInt64
    public var created: String
    public var annotations: [String: String]?
    /// The cgroup path below each hierarchy.
    public var cgroupPath: String
    public var systemdCgroup: Bool
    /// Set once `start` has run the process.
    public var started: Bool
    /// The exit status, once known to the process that waited for it.
    public var exitStatus: Int32?
    public var ociVersion: String
}

// state.json is read and written on every start, state, kill and delete:
// without Codable (see SwiftBoxOCI/JSONReader.swift), with the same fields.
extension ContainerRecord: JSONReadable, JSONWritable {
    public init(json j: JSONObject) throws {
        id = try j.string(required: "id")
        bundle = try j.string(required: "bundle")
        rootfs = try j.string(required: "rootfs")
        pid = try j.integer(required: "pid", Int32.self)
        pidStartTime = try j.integer(required: "pidStartTime", UInt64.self)
        created = try j.string(required: "created")
        annotations = try j.stringMap("annotations")
        cgroupPath = try j.string(required: "cgroupPath")
        systemdCgroup = try j.bool(required: "systemdCgroup")
        started = try j.bool(required: "started")
        exitStatus = try j.integer("exitStatus", Int32.self)
        ociVersion = try j.string(required: "ociVersion")
    }

    public func json() -> [UInt8] {
        var w = JSONObjectWriter()
        w.add("annotations", annotations)
        w.add("bundle", bundle)
        w.add("cgroupPath", cgroupPath)
        w.add("created", created)
        w.add("exitStatus", exitStatus)
        w.add("id", id)
        w.add("ociVersion", ociVersion)
        w.add("pid", pid)
        w.add("pidStartTime", pidStartTime)
        w.add("rootfs", rootfs)
        w.add("started", started)
        w.add("systemdCgroup", systemdCgroup)
        return w.finish()
    }
}

/// The on-disk layout of the state root (`--root`, default `/run/swiftbox`).
public struct StateRoot: Sendable {
    /// The default state root, as runc's `/run/runc`.
    public static let defaultPath = "/run/swiftbox"

    public let path: String

    public init(_ path: String = StateRoot.defaultPath) { self.path = FS.absolute(path) }

    /// The folder of one container.
    public func directory(of id: String) -> String { path + "/" + id }
    func stateFile(of id: String) -> String { directory(of: id) + "/state.json" }
    func configFile(of id: String) -> String { directory(of: id) + "/config.json" }
    func fifo(of id: String) -> String { directory(of: id) + "/exec.fifo" }
    /// Where compiled seccomp programs are cached, one file per profile.
    public var seccompCache: String { path + "/.seccomp" }

    /// Checks that an id is a usable container id: 1–1024 characters of
    /// letters, digits, `_`, `+`, `-` and `.`, not `.` or `..` (as runc).
    public static func validate(id: String) throws {
        let ok = !id.isEmpty && id.count <= 1024 && id != "." && id != ".." && id.utf8.allSatisfy {
            ($0 >= 0x30 && $0 <= 0x39) || ($0 >= 0x41 && $0 <= 0x5A) || ($0 >= 0x61 && $0 <= 0x7A)
                || $0 == 0x5F || $0 == 0x2B || $0 == 0x2D || $0 == 0x2E
        }
        if !ok {
            throw SwiftBoxError("invalid container id \"\(id)\": use 1 to 1024 letters, digits, '_', '+', '-' or '.'")
        }
    }

    /// Reads a container's record.
    public func load(_ id: String) throws -> ContainerRecord {
        try StateRoot.validate(id: id)
        let file = stateFile(of: id)
        if !FS.exists(file) { throw SwiftBoxError("container \"\(id)\" does not exist (no \(file))", errno: ENOENT) }
        return try JSONDocument.load(ContainerRecord.self, from: file)
    }

    /// Writes a container's record atomically.
    public func save(_ record: ContainerRecord) throws {
        try FS.writeAtomically(stateFile(of: record.id), record.json(), mode: 0o600)
    }

    /// The ids of every container under this root.
    public func ids() -> [String] {
        ((try? FS.list(path)) ?? []).filter { FS.exists(stateFile(of: $0)) }.sorted()
    }

    /// The spec stored at create time.
    public func spec(of id: String) throws -> Spec {
        try JSONDocument.load(Spec.self, from: configFile(of: id))
    }

    /// The live status of a container, from its process and its exec FIFO.
    public func status(of record: ContainerRecord) -> ContainerStatus {
        guard record.pid > 0, Sys.alive(record.pid),
              Sys.startTime(of: record.pid) == record.pidStartTime,
              Sys.processState(of: record.pid) != "Z" else { return .stopped }
        if FS.exists(fifo(of: record.id)) { return .created }
        if isFrozen(record) { return .paused }
        return .running
    }

    func isFrozen(_ record: ContainerRecord) -> Bool {
        (try? ContainerCgroup(id: record.id, cgroupsPath: record.cgroupPath, systemd: false))?.isFrozen() ?? false
    }

    /// The annotation `state` adds to a stopped container whose process the OOM killer ended.
    public static let oomAnnotation = "io.github.swiftbox.oom-killed"

    /// The OCI state of a container.
    public func state(of id: String) throws -> OCIState {
        let r = try load(id)
        let status = status(of: r)
        var annotations = r.annotations
        // A stopped container's cgroup still holds its OOM count until delete.
        if status == .stopped, let cg = try? ContainerCgroup(id: r.id, cgroupsPath: r.cgroupPath, systemd: false),
           cg.wasOOMKilled {
            annotations = (annotations ?? [:]).merging([StateRoot.oomAnnotation: "true"]) { _, new in new }
        }
        return OCIState(ociVersion: r.ociVersion, id: r.id, status: status,
                        pid: status == .stopped ? 0 : r.pid, bundle: r.bundle,
                        annotations: annotations, created: r.created, owner: "root")
    }
}

/// The current time as RFC 3339 with nanoseconds, as runc writes `created`.
func rfc3339Now() -> String {
    var ts = timespec()
    clock_gettime(CLOCK_REALTIME, &ts)
    var t = time_t(ts.tv_sec)
    var tmv = tm()
    gmtime_r(&t, &tmv)
    func pad(_ v: Int32, _ n: Int) -> String {
        let s = String(v); return String(repeating: "0", count: max(0, n - s.count)) + s
    }
    let ns = String(ts.tv_nsec)
    return "\(pad(tmv.tm_year + 1900, 4))-\(pad(tmv.tm_mon + 1, 2))-\(pad(tmv.tm_mday, 2))T"
        + "\(pad(tmv.tm_hour, 2)):\(pad(tmv.tm_min, 2)):\(pad(tmv.tm_sec, 2))."
        + String(repeating: "0", count: 9 - ns.count) + ns + "Z"
}
