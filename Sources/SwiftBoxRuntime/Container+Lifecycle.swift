#if canImport(Glibc)
import Glibc
#endif
import CSwiftBox
import SwiftBoxLinux
import SwiftBoxOCI
import SwiftBoxCgroups

extension Container {
    /// The container's record on disk.
    public func record() throws -> ContainerRecord { try root.load(id) }

    /// The runtime-spec state.
    public func state() throws -> OCIState { try root.state(of: id) }

    /// The cgroup the container runs in.
    public func cgroup(_ r: ContainerRecord) throws -> ContainerCgroup {
        try ContainerCgroup(id: id, cgroupsPath: r.cgroupPath, systemd: false)
    }

    /// `start`: lets the blocked init exec the user process, then runs poststart hooks.
    public func start() throws { try start(spec: nil) }

    /// `start`, with the spec when the caller has it already (`run`): the
    /// stored config.json is only read for its poststart hooks otherwise.
    func start(spec known: Spec?) throws {
        var r = try record()
        let status = root.status(of: r)
        guard status == .created else {
            throw SwiftBoxError("cannot start container \"\(id)\": it is \(status.rawValue), not created")
        }
        let fifo = root.fifo(of: id)
        let fd = open(fifo, O_RDONLY | O_NONBLOCK | O_CLOEXEC)
        if fd < 0 { throw SwiftBoxError.system("open exec fifo \(fifo)") }
        defer { close(fd) }
        // Wait for init's byte (startContainer hooks have run), then for
        // end-of-file (init's execve closed its end). Give up if init dies.
        var gotByte = false
        while true {
            var p = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            if poll(&p, 1, 50) > 0 {
                var b: UInt8 = 0
                let got = read(fd, &b, 1)
                if got == 1 { gotByte = true; continue }
                // EOF only counts once the writer has opened and written.
                if got == 0 && gotByte { break }
            }
            if root.status(of: r) == .stopped {
                if gotByte { break }
                throw SwiftBoxError("cannot start container \"\(id)\": its init exited before start")
            }
        }
        unlink(fifo)
        r.started = true
        try root.save(r)
        let spec = try known ?? root.spec(of: id)
        let state = OCIState(ociVersion: r.ociVersion, id: id, status: .running, pid: r.pid, bundle: r.bundle,
                             annotations: r.annotations, created: r.created, owner: "root")
        // A failing poststart hook is a warning: the container is already running.
        do { try HookRunner.run(spec.hooks?.poststart, phase: "poststart", state: state) } catch {
            RuntimeLog.warn("\(error)")
        }
    }

    /// `kill`: signals the init process (or, with `all`, every process of the container).
    public func kill(signal: Int32, all: Bool = false) throws {
        let r = try record()
        let status = root.status(of: r)
        guard status == .created || status == .running || status == .paused else {
            throw SwiftBoxError("cannot kill container \"\(id)\": it is \(status.rawValue)")
        }
        if all {
            try cgroup(r).signalAll(signal)
        } else if Glibc.kill(r.pid, signal) != 0 {
            throw SwiftBoxError.system("send signal \(Signals.name(signal)) to container \"\(id)\" (pid \(r.pid))")
        }
    }

    /// `delete`: removes a stopped container (with `force`, kills it first);
    /// runs poststop hooks, removes its cgroups and its state folder.
    public func delete(force: Bool = false) throws { try delete(force: force, spec: nil) }

    /// `delete`, with the spec when the caller has it already (for poststop hooks).
    func delete(force: Bool, spec known: Spec?) throws {
        let r = try record()
        let status = root.status(of: r)
        if status != .stopped {
            guard force else {
                throw SwiftBoxError("cannot delete container \"\(id)\": it is \(status.rawValue); stop it first or use --force")
            }
            let cg = try cgroup(r)
            if status == .paused { try? cg.thaw() }
            try? cg.signalAll(SIGKILL)
            _ = Glibc.kill(r.pid, SIGKILL)
            // Wait for the process to die (we may not be its parent).
            let deadline = monotonicSeconds() + 10
            while root.status(of: r) != .stopped && monotonicSeconds() < deadline {
                var st: Int32 = 0
                _ = waitpid(r.pid, &st, WNOHANG)
                usleep(1000)
            }
        }
        let spec = known ?? (try? root.spec(of: id))
        if r.started || status != .created {
            let state = OCIState(ociVersion: r.ociVersion, id: id, status: .stopped, pid: 0, bundle: r.bundle,
                                 annotations: r.annotations, created: r.created, owner: "root")
            do { try HookRunner.run(spec?.hooks?.poststop, phase: "poststop", state: state) } catch {
                RuntimeLog.warn("\(error)")
            }
        }
        var failure: Error?
        do { try cgroup(r).destroy() } catch { failure = error }
        do { try FS.removeAll(root.directory(of: id)) } catch { failure = failure ?? error }
        if let failure { throw failure }
    }

    /// Records resources `update` applied in the stored config, laid over
    /// what it held, so later reads of the config (and `state`) see them.
    public func recordResources(_ changes: Resources) throws {
        var spec = try root.spec(of: id)
        var linux = spec.linux ?? Linux()
        linux.resources = try (linux.resources ?? Resources()).overlaid(by: changes)
        spec.linux = linux
        try FS.writeAtomically(root.configFile(of: id), try JSONDocument.encode(spec), mode: 0o600)
    }

    /// The pids of every process in the container.
    public func processes() throws -> [Int32] {
        try cgroup(try record()).processes()
    }

    /// Every container under a state root.
    public static func list(root: StateRoot) -> [OCIState] {
        root.ids().compactMap { try? root.state(of: $0) }
    }
}
