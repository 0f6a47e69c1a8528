#if canImport(Glibc)
import Glibc
#endif
import CSwiftBox
import SwiftBoxLinux
import SwiftBoxOCI
import SwiftBoxCgroups
import SwiftBoxSeccomp

/// Options of `exec`.
public struct ExecOptions: Sendable {
    public var detach: Bool
    public var pidFile: String?
    public var consoleSocket: String?
    /// stdin, stdout and stderr for the process; nil: the caller's own.
    public var stdio: [Int32]?
    /// The swiftbox executable to run as the helper that enters the container
    /// (see `CreateOptions.initExecutable`).
    public var initExecutable: String?
    /// Pass the caller's descriptors 3…3+N-1 to the process (--preserve-fds).
    public var preserveFDs: Int = 0
    public init(detach: Bool = false, pidFile: String? = nil, consoleSocket: String? = nil, stdio: [Int32]? = nil,
                initExecutable: String? = nil) {
        self.detach = detach; self.pidFile = pidFile; self.consoleSocket = consoleSocket; self.stdio = stdio
        self.initExecutable = initExecutable
    }
}

extension Container {
    /// The container's own process settings, as the base for an `exec`.
    public func baseProcess() throws -> Process {
        guard let p = try root.spec(of: id).process else { throw SwiftBoxError("container \"\(id)\" has no process") }
        return p
    }

    /// `exec`: runs another process in the container's namespaces and cgroup.
    /// Returns its pid when detached, otherwise waits and returns its exit code.
    public func exec(_ process: Process, options: ExecOptions = ExecOptions()) throws -> Int32 {
        var process = process
        var options = options
        // A terminal without --console-socket: proxy it here, as `run` does.
        var terminal: TerminalProxy?
        if process.terminal == true, options.consoleSocket == nil, !options.detach {
            terminal = try TerminalProxy(directory: root.path, id: id + "-exec")
            options.consoleSocket = terminal?.path
            // The exec'd program starts at once: give the pty its size when it is made.
            if process.consoleSize == nil { process.consoleSize = TerminalProxy.callerSize() }
        }
        let r = try record()
        let status = root.status(of: r)
        guard status == .running || status == .created else {
            throw SwiftBoxError("cannot exec in container \"\(id)\": it is \(status.rawValue)")
        }
        guard process.args?.isEmpty == false else { throw SwiftBoxError("exec: no command given") }
        guard options.preserveFDs >= 0 else {
            throw SwiftBoxError("--preserve-fds: must be 0 or more, got \(options.preserveFDs)")
        }
        var spec = try root.spec(of: id)
        spec.process = process
        if !options.detach {
            // The exec'd process is a grandchild: become its subreaper to wait for it.
            _ = sb_child_subreaper()
            ProcessWaiter.blockSignals()
        }
        let seccomp = try SeccompFilter.prepare(spec.linux?.seccomp, cacheDirectory: root.seccompCache)
        let launch = try InitLauncher(joining: r.pid, spec: spec, consoleSocket: options.consoleSocket)
        launch.stdio = options.stdio
        launch.initExecutable = options.initExecutable
        let pid = try launch.spawnJoined(cgroup: try cgroup(r))
        do {
            let request = InitRequest(kind: .exec, id: id, spec: spec, bundle: r.bundle, rootfs: r.rootfs,
                                      noPivot: false, fifoFD: nil, consoleSocketFD: launch.consoleChildFD,
                                      mountNamespaceFD: launch.mountNamespaceChildFD,
                                      seccompFlags: nil, newUTS: false, newMount: false, preserveFDs: options.preserveFDs)
            try launch.converse(request, config: nil, seccomp: seccomp) { _ in }
            try terminal?.receiveMaster()
        } catch {
            Glibc.kill(pid, SIGKILL)
            throw error
        }
        if let pidFile = options.pidFile {
            try FS.writeAtomically(FS.absolute(pidFile), Array("\(pid)".utf8))
        }
        if options.detach { return pid }
        return terminal.map { $0.proxy(until: pid) } ?? ProcessWaiter.wait(for: pid)
    }

    /// `run`: create, start, wait with signal forwarding, delete; returns the
    /// exit code. With `detach`, returns 0 once the container has started.
    public static func run(id: String, bundle: String, options: CreateOptions = CreateOptions(),
                           detach: Bool = false) throws -> Int32 {
        if !detach {
            ProcessWaiter.blockSignals()
            // init is a grandchild when the config joins a pid namespace: stay able to wait for it.
            _ = sb_child_subreaper()
        }
        // A terminal without --console-socket: swiftbox holds the master and
        // proxies it to its own stdin/stdout, as runc does.
        try StateRoot.validate(id: id)
        let config = try BundleConfig(bundle: bundle)
        var options = options
        var terminal: TerminalProxy?
        if !detach, options.consoleSocket == nil, config.spec.process?.terminal == true {
            try FS.mkdirAll(options.root.path, mode: 0o700)
            terminal = try TerminalProxy(directory: options.root.path, id: id)
            options.consoleSocket = terminal?.path
        }
        let c = try Container.create(id: id, config: config, options: options)
        let pid: pid_t
        do {
            pid = try c.record().pid
            try terminal?.receiveMaster()
            try c.start(spec: config.spec)
        } catch {
            try? c.delete(force: true, spec: config.spec)
            throw error
        }
        if detach { return 0 }
        let code = terminal.map { $0.proxy(until: pid) } ?? ProcessWaiter.wait(for: pid)
        // No exit status is written to state.json: the folder goes right away.
        let r = try c.record()
        // The count lives in the cgroup: read it before delete removes it.
        if (try? c.cgroup(r))?.wasOOMKilled == true {
            RuntimeLog.warn("container \"\(id)\" was killed by the OOM killer: it reached its memory limit")
        }
        try c.delete(force: true, spec: config.spec)
        return code
    }
}
