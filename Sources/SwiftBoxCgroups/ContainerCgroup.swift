#if canImport(Glibc)
import Glibc
#endif
import SwiftBoxLinux
import SwiftBoxOCI

/// The cgroups of one container, in every mounted hierarchy.
///
/// This is the seam the runtime calls: create (and apply limits) before the
/// container's init is released, add the init pid, list/signal/freeze its
/// processes, update limits, read statistics, and destroy on delete. The host
/// layout (v1, v2 or hybrid) is read from /proc/self/mountinfo and picks the
/// driver; each controller is a small type the driver calls.
public final class ContainerCgroup {
    /// The container id.
    public let id: String
    /// The resolved cgroup path (e.g. `/swiftbox/web-1`) in the form to store
    /// in state.json and pass back as `cgroupsPath` to re-open this cgroup.
    public let path: String
    /// The host's hierarchies.
    public let layout: CgroupLayout
    /// A message about how the path was interpreted (`--systemd-cgroup`), shown at `create`.
    public let notice: String?
    /// Rules appended after the spec's `linux.resources.devices` whenever the
    /// spec has device rules, as runc does: by default the character devices
    /// every container needs (null, zero, full, random, urandom, tty, console,
    /// ptmx, pts, tun). The runtime may add one per `linux.devices` node.
    public var alwaysAllowedDevices: [DeviceRule] = DeviceRule.defaults
    /// Warnings from the last `create` or `update` (fields skipped because this
    /// host lacks them). Each was also sent to `CgroupWarnings.handler`.
    public private(set) var warnings: [String] = []

    let driver: CgroupDriver

    /// Resolves the cgroup path for a container as runc does: the configured
    /// `cgroupsPath` (absolute, or relative to swiftbox's own cgroup in each
    /// hierarchy), `/swiftbox/<id>` by default, or with `systemd` a
    /// `slice:prefix:name` placed at systemd's cgroupfs path.
    public init(id: String, cgroupsPath: String?, systemd: Bool) throws {
        self.id = id
        layout = try CgroupLayout.current()
        let own = (try? ProcessCgroups.of()) ?? ProcessCgroups(paths: [:])
        let resolved = try CgroupPath.resolve(id: id, cgroupsPath: cgroupsPath, systemd: systemd, layout: layout,
                                              own: own, systemdRunning: FS.exists("/run/systemd/system"))
        path = resolved.encoded
        notice = resolved.notice
        switch layout.kind {
        case .v1: driver = CgroupV1Driver(layout: layout, path: resolved)
        case .v2: driver = CgroupV2Driver(hierarchy: layout.unified!, path: resolved, enableAll: true)
        case .hybrid: driver = CgroupHybridDriver(layout: layout, path: resolved, unified: layout.unified!)
        }
    }

    /// Hierarchy mount points, v1 and v2, as found in /proc/self/mountinfo.
    public var hierarchies: [String] { layout.hierarchies.map { $0.mountPoint } }

    /// The directories of this container's cgroup, one per hierarchy.
    public var directories: [String] { driver.directories }

    /// Whether the cgroup directory exists in any hierarchy.
    public var exists: Bool { directories.contains { FS.isDirectory($0) } }

    /// Creates the cgroup in every hierarchy and applies `resources`. Values
    /// are checked first (errors name the field); on any failure the
    /// directories are removed again, so nothing is half-created.
    public func create(resources: Resources?) throws {
        try createBeforeClone(resources: resources)
        try createAfterClone()
    }

    /// The first half of `create`: checks every value, then creates and
    /// applies what the container's init must be cloned into (cgroup v2).
    /// `createAfterClone` does the rest (cgroup v1) while init starts.
    public func createBeforeClone(resources: Resources?) throws {
        let r = resources ?? Resources()
        try ResourceValidation.validate(r)
        let devices = try deviceRules(r)
        if let notice { CgroupWarnings.handler(notice) }
        let writer = CgroupWriter(recordsUndo: false)
        let all = driver.pieces(r, devices: devices)
        try make(all.filter { $0.part == .beforeClone }, writer: writer)
        pending = all.filter { $0.part == .afterClone }
        pendingWriter = writer
        if pending.isEmpty { try createAfterClone() }
    }

    /// The second half of `create` (nothing if it has run).
    public func createAfterClone() throws {
        guard let writer = pendingWriter else { return }
        let rest = pending
        pending = []
        pendingWriter = nil
        try make(rest, writer: writer)
        report(writer.warnings)
    }

    private var pending: [CgroupPiece] = []
    private var pendingWriter: CgroupWriter?

    private func make(_ pieces: [CgroupPiece], writer: CgroupWriter) throws {
        do {
            for p in pieces {
                try p.driver.create(for: p.resources)
                try p.driver.apply(p.resources, devices: p.devices, writer: writer, update: false)
            }
        } catch {
            try? destroy()
            throw error
        }
    }

    /// Changes the limits of a live container. Only the fields set in
    /// `resources` are written; if one write fails, the ones before it are
    /// restored (device rules, written last, are replaced whole).
    public func update(resources: Resources) throws {
        try ResourceValidation.validate(resources)
        guard exists else { throw SwiftBoxError("cannot update container \"\(id)\": its cgroup \(path) does not exist") }
        let devices = try deviceRules(resources)
        let writer = CgroupWriter(recordsUndo: true)
        do {
            try driver.apply(resources, devices: devices, writer: writer, update: true)
        } catch {
            writer.rollback()
            throw error
        }
        report(writer.warnings)
    }

    /// The spec's device rules followed by `alwaysAllowedDevices` (nil when
    /// the spec has none: the cgroup then keeps its parent's device access).
    func deviceRules(_ r: Resources) throws -> [DeviceRule]? {
        guard let list = r.devices, !list.isEmpty else { return nil }
        let rules = try list.enumerated().map { try DeviceRule($0.element, field: "linux.resources.devices[\($0.offset)]") }
        return rules + alwaysAllowedDevices
    }

    func report(_ list: [String]) {
        warnings = list
        for w in list { CgroupWarnings.handler(w) }
    }

    /// Moves a process into the cgroup in every hierarchy.
    public func add(pid: Int32) throws { try driver.add(pid: pid) }

    /// Opens what a process needs to enter this cgroup by itself (see
    /// `CgroupPlacement`): for one part, or (nil) for all of it.
    public func placement(_ part: CgroupPart? = nil) throws -> CgroupPlacement {
        let p = CgroupPlacement()
        for piece in driver.pieces(Resources(), devices: nil) where part == nil || piece.part == part {
            try piece.driver.prepare(p)
        }
        return p
    }

    /// The pids in the cgroup and in any cgroups the container created below it.
    public func processes() -> [Int32] { driver.processes() }

    /// Sends a signal to every process in the cgroup: v2 `cgroup.kill` for
    /// SIGKILL; otherwise freeze, signal each process, thaw (so none forks away).
    public func signalAll(_ sig: Int32) throws { try driver.signalAll(sig) }

    /// Stops every process of the cgroup (v1 freezer or v2 cgroup.freeze) and
    /// returns once the kernel reports them frozen.
    public func freeze() throws { try driver.setFrozen(true) }

    /// Lets a frozen cgroup run again.
    public func thaw() throws { try driver.setFrozen(false) }

    /// Whether the cgroup is frozen (paused).
    public func isFrozen() -> Bool { driver.isFrozen() }

    /// Current usage, in runc's `events --stats` shape.
    public func stats() -> CgroupStats { driver.stats() }

    /// How many processes of the container the kernel's OOM killer has killed
    /// (v1 memory.oom_control `oom_kill`, v2 memory.events `oom_kill`). The
    /// count lives as long as the cgroup: read it after the container exits
    /// and before `destroy` to report an OOM kill.
    public func oomKillCount() -> UInt64 { driver.oomKillCount() }

    /// Whether the OOM killer has killed any process of the container.
    public var wasOOMKilled: Bool { oomKillCount() > 0 }

    /// Removes the cgroup directories in every hierarchy (child cgroups first,
    /// retrying while the kernel still counts exiting tasks), then the empty
    /// parents swiftbox created (such as `/swiftbox`). Every hierarchy is
    /// tried; the first failure is thrown.
    public func destroy() throws {
        var failure: Error?
        for (dir, mount) in zip(driver.directories, mountsOfDirectories()) {
            do { try CgroupFiles.removeDirectory(dir, mount: mount) } catch { failure = failure ?? error }
        }
        if let failure { throw failure }
    }

    func mountsOfDirectories() -> [String] {
        driver.directories.map { dir in
            layout.hierarchies.map { $0.mountPoint }.filter { dir == $0 || dir.hasPrefix($0 + "/") }
                .max { $0.count < $1.count } ?? FS.dirname(dir)
        }
    }
}
