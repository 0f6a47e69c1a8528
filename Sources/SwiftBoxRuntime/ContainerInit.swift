#if canImport(Glibc)
import Glibc
#endif
import CSwiftBox
import SwiftBoxLinux
import SwiftBoxOCI
import SwiftBoxSeccomp

/// `swiftbox init`: the fresh, single-threaded process the trampoline execs in
/// the container's new namespaces. It reads its orders from the init channel,
/// builds the container, reports back, waits for `start`, and execs.
public enum ContainerInit {
    /// The environment variable naming the init channel's descriptor.
    static let channelVariable = "_SWIFTBOX_INIT_FD"
    /// How init (and the trampoline, in C) name the cgroup file they could not
    /// write: "join cgroup N".
    static let joinFailure = "join cgroup "

    /// Writes this process (one thread: "0" is itself) into the cgroup v1
    /// hierarchies whose `tasks` files the runtime sends first on the channel,
    /// before anything of the container's is read or run. A `tasks` write of
    /// oneself takes no global lock, unlike the runtime writing init's pid to
    /// `cgroup.procs` (see `CgroupPart` and `CgroupPlacement`).
    static func enterCgroups(channel: Int32) throws {
        var fds = [Int32](repeating: -1, count: 16)
        let n = sb_recv_fds(channel, &fds, 16)
        if n < 0 { throw SwiftBoxError.system("receive the cgroup descriptors") }
        for i in 0..<Int(n) {
            defer { close(fds[i]) }
            if write(fds[i], "0", 1) != 1 { throw SwiftBoxError.system("\(joinFailure)\(i)") }
        }
    }

    /// Entry point; never returns.
    public static func main() -> Never {
        // Whoever started swiftbox may block or ignore signals; both survive
        // execve, and a shell cannot even trap a signal ignored at its start.
        // The container's process starts with a clean slate.
        var none = sigset_t()
        sigemptyset(&none)
        sigprocmask(SIG_SETMASK, &none, nil)
        for sig: Int32 in 1...64 where sig != SIGKILL && sig != SIGSTOP { signal(sig, SIG_DFL) }
        guard let v = getenv(channelVariable), let fd = Int32(String(cString: v)) else {
            fputs("swiftbox init: only swiftbox itself starts init\n", stderr)
            exit(2)
        }
        unsetenv(channelVariable)
        let channel = InitChannel(fd: fd)
        do {
            try enterCgroups(channel: fd)
            guard let request = try channel.receive(InitRequest.self) else { exit(1) }
            let spec = try request.spec ?? JSONDocument.decode(Spec.self, from: channel.receiveFrame(), file: "config.json",
                                                                userInfo: [.parentHandled: true])
            let seccomp = try request.seccompFlags.map {
                try SeccompProgram(filter: channel.receiveFrame(), flags: SeccompFlags(rawValue: $0))
            }
            // We are in our cgroups now (cloned into the v2 one, and wrote
            // ourselves into the v1 ones above), so a cgroup namespace made now
            // is rooted at the container's own cgroup. Note our host cgroup
            // paths first: /sys/fs/cgroup binds need them.
            let hostCgroups = (try? FS.readString("/proc/self/cgroup")) ?? ""
            if request.newCgroup == true && sb_unshare(SB_CLONE_NEWCGROUP) != 0 {
                throw SwiftBoxError.system("create the cgroup namespace")
            }
            if let fd = request.mountNamespaceFD {
                try Sys.setns(fd, what: "mount namespace")
                close(fd)
            }
            switch request.kind {
            case .create: try create(request, spec, seccomp, hostCgroups, channel)
            case .exec: try exec(request, spec, seccomp, channel)
            }
        } catch {
            let e = error as? SwiftBoxError ?? SwiftBoxError("\(error)")
            if (try? channel.send(InitMessage(kind: .error, message: e.message, errno: e.errno))) == nil {
                fputs("swiftbox init: \(e.message)\n", stderr)
            }
            exit(127)
        }
    }

    static func awaitProceed(_ channel: InitChannel) throws {
        guard let m = try channel.receive(InitMessage.self) else {
            throw SwiftBoxError("the parent went away during create")
        }
        if m.kind != .proceed { throw SwiftBoxError("unexpected message \(m.kind) from the parent") }
    }

    static func create(_ req: InitRequest, _ spec: Spec, _ seccomp: SeccompProgram?, _ hostCgroups: String,
                       _ channel: InitChannel) throws -> Never {
        guard let process = spec.process else { throw SwiftBoxError("process: missing") }
        // Non-dumpable until execve: no container process can open /proc/1/exe
        // (the host's swiftbox binary) or our memory while we set up.
        _ = sb_prctl(4 /* PR_SET_DUMPABLE */, 0, 0, 0, 0)
        let inUserNS = spec.linux?.namespaces?.contains(where: { $0.type == "user" }) ?? false
        let rootfs = RootfsSetup(spec: spec, rootfs: req.rootfs, bundle: req.bundle, inUserNamespace: inUserNS,
                                 hostCgroups: hostCgroups)
        if req.newMount { try rootfs.prepare() }
        // The FIFO lives on the host; its O_PATH descriptor survives pivot_root.
        let fifoFD = req.fifoFD ?? -1
        if fifoFD >= 0 { _ = fcntl(fifoFD, F_SETFD, FD_CLOEXEC) }
        if !(spec.hooks?.prestart ?? []).isEmpty || !(spec.hooks?.createRuntime ?? []).isEmpty {
            try channel.send(InitMessage(kind: .runtimeHooks))
            try awaitProceed(channel)
        }
        let state = OCIState(ociVersion: spec.ociVersion, id: req.id, status: .created, pid: getpid(),
                             bundle: req.bundle, annotations: spec.annotations)
        try HookRunner.run(spec.hooks?.createContainer, phase: "createContainer", state: state)
        if req.newMount {
            try rootfs.pivot(noPivot: req.noPivot)
            try rootfs.finish()
        } else if chdir("/") != 0 {
            throw SwiftBoxError.system("chdir to /")
        }
        if req.newUTS {
            if let h = spec.hostname, sb_sethostname(h, h.utf8.count) != 0 { throw SwiftBoxError.system("set hostname \(h)") }
            if let d = spec.domainname, sb_setdomainname(d, d.utf8.count) != 0 { throw SwiftBoxError.system("set domainname \(d)") }
        }
        for (key, value) in (spec.linux?.sysctl ?? [:]).sorted(by: { $0.key < $1.key }) {
            let path = "/proc/sys/" + key.replacing(".", with: "/")
            do { try FS.write(path, value) } catch let e as SwiftBoxError {
                throw SwiftBoxError("linux.sysctl \(key): \(e.message)", errno: e.errno)
            }
        }
        try ProcessSetup.applyRlimits(process.rlimits)
        try ProcessSetup.applyOOMScoreAdj(process.oomScoreAdj)
        if let p = spec.linux?.personality {
            guard p.domain == "LINUX" || p.domain == "LINUX32" else {
                throw SwiftBoxError("linux.personality.domain: \"\(p.domain)\" is not LINUX or LINUX32")
            }
            if sb_personality(p.domain == "LINUX32" ? 0x0008 : 0) < 0 { throw SwiftBoxError.system("set personality \(p.domain)") }
        }
        if process.terminal == true {
            guard let fd = req.consoleSocketFD else { throw SwiftBoxError("process.terminal needs --console-socket") }
            try ProcessSetup.setupConsole(socketFD: fd, size: process.consoleSize)
        } else if req.newSession == true && getsid(0) != getpid() && setsid() < 0 {
            throw SwiftBoxError.system("start a session (setsid)")
        }
        if chdir(process.cwd) != 0 { throw SwiftBoxError.system("chdir to process.cwd \(process.cwd)") }
        let program = try ProcessSetup.resolveExecutable(process)
        try channel.send(InitMessage(kind: .created))
        close(channel.fd)

        // Opening the FIFO blocks until `swiftbox start` opens the other end.
        // The descriptor is close-on-exec: `start` reads our byte, then waits
        // for end-of-file, which comes exactly when execve replaces us, so its
        // poststart hooks run after the user's program has started.
        var startFD: Int32 = -1
        if fifoFD >= 0 {
            startFD = open("/proc/self/fd/\(fifoFD)", O_WRONLY | O_CLOEXEC)
            if startFD < 0 { throw SwiftBoxError.system("open exec fifo for start") }
            close(fifoFD)
        }
        try HookRunner.run(spec.hooks?.startContainer, phase: "startContainer",
                           state: OCIState(ociVersion: spec.ociVersion, id: req.id, status: .running, pid: getpid(),
                                           bundle: req.bundle, annotations: spec.annotations))
        if startFD >= 0 {
            var zero: UInt8 = 0x30
            _ = write(startFD, &zero, 1)
        }
        try ProcessSetup.becomeUser(process)
        try seccomp?.install()
        try ProcessSetup.exec(program, process, preserved: req.preserveFDs ?? 0)
    }

    /// An `exec` into a running container: the trampoline already joined its
    /// namespaces (mount included) and cgroup; finish like create does.
    static func exec(_ req: InitRequest, _ spec: Spec, _ seccomp: SeccompProgram?, _ channel: InitChannel) throws -> Never {
        _ = sb_prctl(4 /* PR_SET_DUMPABLE */, 0, 0, 0, 0)
        guard let process = spec.process else { throw SwiftBoxError("process: missing") }
        try ProcessSetup.applyRlimits(process.rlimits)
        try ProcessSetup.applyOOMScoreAdj(process.oomScoreAdj)
        if process.terminal == true {
            guard let fd = req.consoleSocketFD else { throw SwiftBoxError("--tty needs --console-socket") }
            try ProcessSetup.setupConsole(socketFD: fd, size: process.consoleSize)
        }
        if chdir(process.cwd) != 0 { throw SwiftBoxError.system("chdir to \(process.cwd)") }
        let program = try ProcessSetup.resolveExecutable(process)
        try ProcessSetup.becomeUser(process)
        try seccomp?.install()
        try channel.send(InitMessage(kind: .created))
        close(channel.fd)
        try ProcessSetup.exec(program, process, preserved: req.preserveFDs ?? 0)
    }
}
