#if canImport(Glibc)
import Glibc
#endif
import CSwiftBox
import SwiftBoxLinux
import SwiftBoxOCI
import SwiftBoxCgroups
import SwiftBoxSeccomp

/// Options of `create` (and `run`), as runc's flags.
public struct CreateOptions: Sendable {
    public var root: StateRoot
    public var pidFile: String?
    public var consoleSocket: String?
    public var noPivot: Bool
    public var systemdCgroup: Bool
    /// stdin, stdout and stderr for the container's process (descriptors of
    /// the caller); nil: the caller's own 0, 1 and 2, as runc does.
    public var stdio: [Int32]?
    /// The swiftbox executable that runs as the container's init; nil: this
    /// process's own executable (`/proc/self/exe`). Programs that embed the
    /// library without dispatching `init` in their `main` name swiftbox here.
    public var initExecutable: String?
    /// Start the container's process in a session (and process group) of its
    /// own, so signals sent to the caller's group (Ctrl-C on a terminal) do
    /// not reach it: a supervisor delivers stop signals itself. Off by
    /// default, as in runc, where Ctrl-C reaches a foreground container.
    public var newSession: Bool
    /// Pass the caller's descriptors 3…3+N-1 to the process (runc's
    /// --preserve-fds); every other descriptor above 2 is closed at exec.
    public var preserveFDs: Int = 0
    public init(root: StateRoot = StateRoot(), pidFile: String? = nil, consoleSocket: String? = nil,
                noPivot: Bool = false, systemdCgroup: Bool = false, stdio: [Int32]? = nil,
                initExecutable: String? = nil, newSession: Bool = false) {
        self.root = root; self.pidFile = pidFile; self.consoleSocket = consoleSocket
        self.noPivot = noPivot; self.systemdCgroup = systemdCgroup; self.stdio = stdio
        self.initExecutable = initExecutable; self.newSession = newSession
    }
}

/// A container under a state root: the runtime-spec operations.
public struct Container {
    public let id: String
    public let root: StateRoot

    public init(id: String, root: StateRoot = StateRoot()) {
        self.id = id
        self.root = root
    }

    /// `create`: builds the container and leaves its process blocked until `start`.
    /// On any failure nothing is left behind: no process, cgroup or state folder.
    @discardableResult
    public static func create(id: String, bundle: String, options: CreateOptions = CreateOptions()) throws -> Container {
        try StateRoot.validate(id: id)
        return try create(id: id, config: BundleConfig(bundle: bundle), options: options)
    }

    /// `create` from a bundle already loaded and checked.
    /// The caller has checked `id`.
    static func create(id: String, config: BundleConfig, options: CreateOptions) throws -> Container {
        guard options.preserveFDs >= 0 else {
            throw SwiftBoxError("--preserve-fds: must be 0 or more, got \(options.preserveFDs)")
        }
        let spec = config.spec
        let cgroup = try ContainerCgroup(id: id, cgroupsPath: spec.linux?.cgroupsPath, systemd: options.systemdCgroup)
        try FS.mkdirAll(options.root.path, mode: 0o700)
        let dir = options.root.directory(of: id)
        if mkdir(dir, 0o711) != 0 {
            if errno == EEXIST { throw SwiftBoxError("container \"\(id)\" already exists under \(options.root.path)", errno: EEXIST) }
            throw SwiftBoxError.system("create state folder \(dir)")
        }
        var pid: pid_t = 0
        var cgroupCreated = false
        do {
            let fifo = options.root.fifo(of: id)
            if mkfifo(fifo, 0o622) != 0 { throw SwiftBoxError.system("create exec fifo \(fifo)") }
            _ = chmod(fifo, 0o622) // umask
            var record = ContainerRecord(id: id, bundle: config.bundle, rootfs: config.rootfs, pid: 0, pidStartTime: 0,
                                         created: rfc3339Now(), annotations: spec.annotations, cgroupPath: cgroup.path,
                                         systemdCgroup: options.systemdCgroup, started: false, exitStatus: nil,
                                         ociVersion: spec.ociVersion)
            // Compiled (or read from the cache) here, before anything runs in the
            // container: a profile libseccomp rejects fails create cleanly.
            let seccomp = try SeccompFilter.prepare(spec.linux?.seccomp, cacheDirectory: options.root.seccompCache)
            // Devices the config creates are usable too, as runc does.
            for (i, d) in (spec.linux?.devices ?? []).enumerated() {
                let rule = DeviceCgroup(allow: true, type: d.type == "u" ? "c" : d.type, major: d.major, minor: d.minor, access: "rwm")
                cgroup.alwaysAllowedDevices.append(try DeviceRule(rule, field: "linux.devices[\(i)]"))
            }
            // What init is cloned into (cgroup v2) now; the rest (v1) while it
            // starts, in `spawn`. Every value is checked here, before the clone.
            try cgroup.createBeforeClone(resources: spec.linux?.resources)
            cgroupCreated = true
            let launch = try InitLauncher(spec: spec, consoleSocket: options.consoleSocket, fifo: fifo)
            launch.stdio = options.stdio
            launch.initExecutable = options.initExecutable
            launch.newSession = options.newSession
            pid = try launch.spawn(cgroup: cgroup)
            record.pid = pid
            record.pidStartTime = Sys.startTime(of: pid) ?? 0
            let request = InitRequest(kind: .create, id: id, spec: nil, bundle: config.bundle, rootfs: config.rootfs,
                                      noPivot: options.noPivot, fifoFD: launch.fifoChildFD, consoleSocketFD: launch.consoleChildFD,
                                      mountNamespaceFD: launch.mountNamespaceChildFD,
                                      seccompFlags: nil,
                                      newUTS: launch.newNamespaces.contains("uts"),
                                      newMount: launch.newNamespaces.contains("mount"),
                                      newCgroup: launch.newNamespaces.contains("cgroup"),
                                      newSession: options.newSession, preserveFDs: options.preserveFDs)
            // The stored config is written while init sets up; `start`,
            // `exec` and `delete` read it, and none can run before create returns.
            try launch.converse(request, config: config.raw, seccomp: seccomp, meanwhile: {
                try FS.write(options.root.configFile(of: id), config.raw, create: true, mode: 0o600)
            }) { message in
                // prestart (deprecated) and createRuntime run in the runtime's namespaces.
                let state = OCIState(ociVersion: spec.ociVersion, id: id, status: .creating, pid: pid,
                                     bundle: config.bundle, annotations: spec.annotations)
                try HookRunner.run(spec.hooks?.prestart, phase: "prestart", state: state)
                try HookRunner.run(spec.hooks?.createRuntime, phase: "createRuntime", state: state)
            }
            try options.root.save(record)
            if let pidFile = options.pidFile {
                try FS.writeAtomically(FS.absolute(pidFile), Array("\(pid)".utf8))
            }
        } catch {
            if pid > 0 {
                Glibc.kill(pid, SIGKILL)
                _ = try? Sys.wait(pid)
            }
            if cgroupCreated { try? cgroup.destroy() }
            try? FS.removeAll(dir)
            throw error
        }
        return Container(id: id, root: options.root)
    }
}
