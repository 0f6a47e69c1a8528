#if canImport(Glibc)
import Glibc
#endif
import CSwiftBox
import SwiftBoxLinux
import SwiftBoxOCI
import SwiftBoxCgroups
import SwiftBoxSeccomp

/// Starts `swiftbox init` through the C trampoline in new or joined namespaces
/// (cloned into its cgroup v2 directory), writes user-namespace maps and time
/// offsets, hands it the cgroup v1 files it enters itself, then talks to it
/// over the init channel.
final class InitLauncher {
    static let flagByType: [String: Int32] = [
        "pid": SB_CLONE_NEWPID, "network": SB_CLONE_NEWNET, "mount": SB_CLONE_NEWNS, "ipc": SB_CLONE_NEWIPC,
        "uts": SB_CLONE_NEWUTS, "user": SB_CLONE_NEWUSER, "cgroup": SB_CLONE_NEWCGROUP, "time": SB_CLONE_NEWTIME,
    ]
    static let procName: [String: String] = [
        "pid": "pid", "network": "net", "mount": "mnt", "ipc": "ipc", "uts": "uts", "user": "user",
        "cgroup": "cgroup", "time": "time",
    ]

    let spec: Spec
    /// Namespace types created fresh (not joined by path).
    private(set) var newNamespaces: Set<String> = []
    private var joinFDs: [Int32] = []
    /// A pid namespace joined by path: it applies to children only, so init
    /// must be a grandchild of the process that joins it.
    private var joinsPIDNamespace = false
    private var parentSocket: Int32 = -1
    private var childSocket: Int32 = -1
    private var consoleFD: Int32 = -1
    /// A mount namespace to join, kept open for init: the trampoline cannot
    /// join it before execve, because the dynamically linked swiftbox needs the
    /// host's loader and libraries to start.
    private var mountFD: Int32 = -1
    private var fifoFD: Int32 = -1
    /// The exec FIFO's descriptor number as init sees it.
    var fifoChildFD: Int32? { fifoFD >= 0 ? fifoFD : nil }
    /// The mount namespace descriptor number as init sees it.
    var mountNamespaceChildFD: Int32? { mountFD >= 0 ? mountFD : nil }
    /// The console socket's descriptor number as init sees it.
    var consoleChildFD: Int32? { consoleFD >= 0 ? consoleFD : nil }
    private(set) var pid: pid_t = 0
    /// Descriptors for the child's 0, 1 and 2; nil keeps ours.
    var stdio: [Int32]?
    /// What to exec as init; nil: /proc/self/exe.
    var initExecutable: String?
    /// Start the child in a session of its own (see `CreateOptions.newSession`).
    var newSession = false
    /// The cgroup descriptors the trampoline child enters its cgroups with.
    private var placement: CgroupPlacement?
    /// The ones sent to init, which enters those cgroups itself.
    private var sentPlacement: CgroupPlacement?
    /// Where the trampoline reports that it has unshared (time namespace), or -1.
    private var readyFD: Int32 = -1

    /// What runs as init when no `initExecutable` is given: `swiftbox-init`
    /// next to this executable if it is there (a small, fully static build:
    /// it starts in a third of the time of the whole CLI, with no dynamic
    /// loader at all), otherwise this executable itself (`swiftbox init`).
    static let defaultInitExecutable: String = {
        let me = (try? FS.readLink("/proc/self/exe")) ?? ""
        let sibling = FS.dirname(me) + "/swiftbox-init"
        return !me.isEmpty && access(sibling, X_OK) == 0 ? sibling : "/proc/self/exe"
    }()

    /// Prepares a launch for `create`: new namespaces from the spec, joined ones by path.
    init(spec: Spec, consoleSocket: String?, fifo: String) throws {
        self.spec = spec
        // The user namespace is joined first so later joins are checked against it.
        let ordered = (spec.linux?.namespaces ?? []).sorted { ($0.type == "user" ? 0 : 1) < ($1.type == "user" ? 0 : 1) }
        do {
            for ns in ordered {
                if let path = ns.path {
                    let fd = open(path, O_RDONLY | O_CLOEXEC)
                    if fd < 0 { throw SwiftBoxError.system("open \(ns.type) namespace \(path)") }
                    if ns.type == "mount" { mountFD = fd; Sys.inherit(fd) } else { joinFDs.append(fd) }
                    if ns.type == "pid" { joinsPIDNamespace = true }
                } else {
                    newNamespaces.insert(ns.type)
                }
            }
            try openChannel(consoleSocket: consoleSocket)
            fifoFD = Glibc.open(fifo, SB_O_PATH)
            if fifoFD < 0 { throw SwiftBoxError.system("open exec fifo \(fifo)") }
        } catch {
            closeAll()
            throw error
        }
    }

    /// Prepares a launch for `exec`: join every namespace of a running init.
    init(joining initPID: pid_t, spec: Spec, consoleSocket: String?) throws {
        self.spec = spec
        do {
            for type in ["user", "ipc", "uts", "network", "cgroup", "time", "pid", "mount"] {
                let path = "/proc/\(initPID)/ns/\(Self.procName[type]!)"
                guard let theirs = FS.info(path) else { continue }
                // Joining the namespace we are already in fails for user namespaces and is a no-op otherwise.
                if let ours = FS.info("/proc/self/ns/\(Self.procName[type]!)"), ours.st_ino == theirs.st_ino { continue }
                let fd = open(path, O_RDONLY | O_CLOEXEC)
                if fd < 0 { throw SwiftBoxError.system("open \(path)") }
                if type == "mount" { mountFD = fd; Sys.inherit(fd); continue }
                joinFDs.append(fd)
                if type == "user" { newNamespaces.insert("joined-user") }
            }
            try openChannel(consoleSocket: consoleSocket)
        } catch {
            closeAll()
            throw error
        }
    }

    private func openChannel(consoleSocket: String?) throws {
        (parentSocket, childSocket) = try Sys.socketPair()
        Sys.inherit(childSocket)
        if let path = consoleSocket {
            consoleFD = try UnixSocket.connect(to: path, what: "console socket")
            Sys.inherit(consoleFD)
        }
    }

    deinit { closeAll() }

    private func closeAll() {
        for fd in joinFDs { close(fd) }
        joinFDs = []
        for fd in [parentSocket, childSocket, consoleFD, mountFD, fifoFD] where fd >= 0 { close(fd) }
        parentSocket = -1; childSocket = -1; consoleFD = -1; mountFD = -1; fifoFD = -1
    }

    /// Clones the trampoline (create) and returns init's pid once it has its
    /// maps (new user namespace). `cgroup` has made what init is cloned into
    /// (`createBeforeClone`); the rest is made here while init starts, and
    /// init writes itself into it before it reads its request (see `CgroupPart`).
    func spawn(cgroup: ContainerCgroup) throws -> pid_t {
        var flags: Int32 = 0
        // time: unshared by the trampoline (clone cannot); cgroup: unshared by
        // init once it is in its cgroups, so the namespace is rooted there.
        for t in newNamespaces where t != "time" && t != "cgroup" { flags |= Self.flagByType[t] ?? 0 }
        let needsWait = newNamespaces.contains("user") || newNamespaces.contains("time") || joinsPIDNamespace
        let gate = try Sys.pipe()
        defer { close(gate.read); close(gate.write) }
        let exe = try Sys.open(initExecutable ?? Self.defaultInitExecutable, O_RDONLY)
        defer { close(exe) }
        placement = try cgroup.placement(.beforeClone)
        defer { placement?.close() }
        let unshare = newNamespaces.contains("time") ? SB_CLONE_NEWTIME : 0
        // The time namespace exists once the child has unshared it: only then
        // can its offsets be written.
        let ready = unshare != 0 ? try Sys.pipe() : nil
        readyFD = ready?.write ?? -1
        defer {
            if let ready { close(ready.read) }
            if readyFD >= 0 { close(readyFD); readyFD = -1 }
        }
        if joinsPIDNamespace {
            pid = try spawnThroughIntermediate(flags: flags, unshare: unshare, gate: gate.read,
                                               becomeRoot: newNamespaces.contains("user"), exe: exe)
        } else {
            pid = try withSpawnSpec(flags: flags, unshare: unshare, waitFD: needsWait ? gate.read : -1,
                                    becomeRoot: newNamespaces.contains("user"), exeFD: exe, join: joinFDs) { s in
                sb_spawn_process(s)
            }
            close(childSocket); childSocket = -1
        }
        do {
            if let ready {
                close(readyFD); readyFD = -1
                var b: UInt8 = 0
                var n = 0
                repeat { n = read(ready.read, &b, 1) } while n < 0 && errno == EINTR
                guard n == 1 else {
                    throw trampolineFailure() ?? SwiftBoxError("the container's init stopped before its time namespace was made")
                }
            }
            if newNamespaces.contains("user") { try writeIDMaps(pid) }
            if newNamespaces.contains("time") { try writeTimeOffsets(pid) }
            if needsWait { try FS.writeAll(fd: gate.write, [1], what: "release init") }
            try cgroup.createAfterClone()
            let late = try cgroup.placement(.afterClone)
            defer { late.close() }
            sentPlacement = late
            sendCgroupDescriptors(late.taskFiles)
        } catch {
            kill(pid, SIGKILL)
            _ = try? Sys.wait(pid)
            throw error
        }
        return pid
    }

    /// The first message on the init channel: the cgroup files init writes
    /// itself into (none for exec, whose trampoline already did). If init is
    /// gone, the send fails quietly and `converse` reports why.
    private func sendCgroupDescriptors(_ fds: [Int32]) {
        _ = fds.withUnsafeBufferPointer { sb_send_fds(parentSocket, $0.baseAddress, Int32(fds.count)) }
    }

    /// Forks the exec trampoline (joining, then forking once more so a joined
    /// pid namespace applies); returns the exec'd process's pid.
    func spawnJoined(cgroup: ContainerCgroup?) throws -> pid_t {
        let gate = try Sys.pipe()
        defer { close(gate.read); close(gate.write) }
        let exe = try Sys.open(initExecutable ?? Self.defaultInitExecutable, O_RDONLY)
        defer { close(exe) }
        placement = try cgroup?.placement()
        defer { placement?.close() }
        pid = try spawnThroughIntermediate(flags: 0, unshare: 0, gate: gate.read,
                                           becomeRoot: newNamespaces.contains("joined-user"), exe: exe)
        do {
            try FS.writeAll(fd: gate.write, [1], what: "release exec")
            sendCgroupDescriptors([])
        } catch {
            kill(pid, SIGKILL)
            throw error
        }
        return pid
    }

    /// Runs the trampoline through an intermediate child that joins the
    /// namespaces and clones the grandchild; returns the grandchild's pid. The
    /// grandchild waits on `gate`. The caller is its subreaper if it must wait for it.
    private func spawnThroughIntermediate(flags: Int32, unshare: Int32, gate: Int32, becomeRoot: Bool,
                                          exe: Int32) throws -> pid_t {
        let pidPipe = try Sys.pipe()
        defer { close(pidPipe.read); close(pidPipe.write) }
        let mid = try withSpawnSpec(flags: flags, unshare: unshare, waitFD: gate, becomeRoot: becomeRoot,
                                    exeFD: exe, join: joinFDs) { s in sb_spawn_joined(s, pidPipe.write) }
        close(childSocket); childSocket = -1
        let midStatus = try Sys.wait(mid).status
        var child: Int32 = 0
        let n = read(pidPipe.read, &child, 4)
        if Sys.exitCode(midStatus) != 0 || n != 4 {
            throw trampolineFailure() ?? SwiftBoxError("cannot start the process in the container")
        }
        return child
    }

    private func withSpawnSpec(flags: Int32, unshare: Int32, waitFD: Int32, becomeRoot: Bool, exeFD: Int32,
                               join: [Int32], _ body: (UnsafePointer<sb_spawn>) -> pid_t) throws -> pid_t {
        var s = sb_spawn()
        s.clone_flags = flags
        s.unshare_flags = unshare
        s.wait_fd = waitFD
        s.ready_fd = readyFD
        s.become_root = becomeRoot ? 1 : 0
        s.new_session = newSession ? 1 : 0
        s.error_fd = childSocket
        s.exec_fd = exeFD
        if let stdio {
            guard stdio.count == 3 else { throw SwiftBoxError("stdio must name exactly three descriptors (stdin, stdout, stderr)") }
            s.stdio_set = 1
            s.stdio_fds = (stdio[0], stdio[1], stdio[2])
        }
        guard join.count <= 16 else { throw SwiftBoxError("too many namespaces to join") }
        s.into_cgroup_fd = placement?.cloneInto ?? -1
        s.into_cgroup_procs_fd = placement?.procsFallback ?? -1
        let tasks = placement?.taskFiles ?? []
        guard tasks.count <= 16 else { throw SwiftBoxError("too many cgroup hierarchies (\(tasks.count); at most 16)") }
        withUnsafeMutableBytes(of: &s.cgroup_fds) { buf in
            let p = buf.bindMemory(to: Int32.self)
            for (i, fd) in tasks.enumerated() { p[i] = fd }
        }
        s.cgroup_count = Int32(tasks.count)
        withUnsafeMutableBytes(of: &s.join_fds) { buf in
            let p = buf.bindMemory(to: Int32.self)
            for (i, fd) in join.enumerated() { p[i] = fd }
        }
        s.join_count = Int32(join.count)
        let argv: [UnsafeMutablePointer<CChar>?] = [strdup("swiftbox"), strdup("init"), nil]
        let envp: [UnsafeMutablePointer<CChar>?] = [strdup("\(ContainerInit.channelVariable)=\(childSocket)"), nil]
        defer { for p in argv + envp { free(p) } }
        let path = strdup("/proc/self/exe")
        defer { free(path) }
        s.path = UnsafePointer(path)
        let pid: pid_t = argv.withUnsafeBufferPointer { a in
            envp.withUnsafeBufferPointer { e in
                s.argv = UnsafePointer(a.baseAddress)
                s.envp = UnsafePointer(e.baseAddress)
                return withUnsafePointer(to: &s) { body($0) }
            }
        }
        if pid < 0 {
            let e = errno
            var hint = ""
            if e == EPERM || e == EINVAL { hint = " (does this kernel allow these namespaces: \(newNamespaces.sorted().joined(separator: ", "))?)" }
            throw SwiftBoxError.system("clone the container's init\(hint)", errno: e)
        }
        return pid
    }

    private func writeIDMaps(_ pid: pid_t) throws {
        func render(_ maps: [IDMapping]?) -> String {
            (maps ?? []).map { "\($0.containerID) \($0.hostID) \($0.size)\n" }.joined()
        }
        let linux = spec.linux
        do {
            try FS.write("/proc/\(pid)/uid_map", render(linux?.uidMappings))
            try FS.write("/proc/\(pid)/gid_map", render(linux?.gidMappings))
        } catch let e as SwiftBoxError {
            throw SwiftBoxError("linux.uidMappings/gidMappings: \(e.message) (each range must be valid and not overlap)", errno: e.errno)
        }
    }

    private func writeTimeOffsets(_ pid: pid_t) throws {
        var text = ""
        for (clock, off) in (spec.linux?.timeOffsets ?? [:]).sorted(by: { $0.key < $1.key }) {
            guard clock == "monotonic" || clock == "boottime" else {
                throw SwiftBoxError("linux.timeOffsets: unknown clock \"\(clock)\"; use monotonic or boottime")
            }
            text += "\(clock) \(off.secs ?? 0) \(off.nanosecs ?? 0)\n"
        }
        if !text.isEmpty { try FS.write("/proc/\(pid)/timens_offsets", text) }
    }

    /// Reads what the trampoline child wrote before it could exec ("step:errno").
    private func trampolineFailure() -> SwiftBoxError? {
        let channel = InitChannel(fd: parentSocket)
        return trampolineError(try? channel.receiveLine())
    }

    private func trampolineError(_ line: [UInt8]?) -> SwiftBoxError? {
        guard let line, let text = Optional(String(decoding: line, as: UTF8.self)),
              let colon = text.lastIndex(of: ":"), let code = Int32(text[text.index(after: colon)...]) else { return nil }
        let step = String(text[..<colon])
        return cgroupJoinError(step, in: placement, errno: code)
            ?? .system("\(step) while starting the container's init", errno: code)
    }

    /// "join cgroup N" (from the trampoline or init) as the file it could not
    /// write, N counting the descriptors of `placement`.
    private func cgroupJoinError(_ text: String, in placement: CgroupPlacement?, errno code: Int32) -> SwiftBoxError? {
        guard text.hasPrefix(ContainerInit.joinFailure),
              let n = Int(text.dropFirst(ContainerInit.joinFailure.count).prefix { $0.isNumber }),
              let path = placement?.path(reported: n) else { return nil }
        return .system("enter the container's cgroup (write to \(path))", errno: code)
    }

    /// Sends the request and answers init until it reports `created` (or fails).
    /// `runtimeHooks` is called when init asks for the runtime-namespace hooks.
    /// `meanwhile` runs once init has what it needs, while it sets up (the
    /// two run on different CPUs).
    func converse(_ request: InitRequest, config: [UInt8]?, seccomp: SeccompProgram?,
                  meanwhile: () throws -> Void = {}, runtimeHooks: (InitMessage) throws -> Void) throws {
        let channel = InitChannel(fd: parentSocket)
        var request = request
        request.seccompFlags = seccomp?.flags.rawValue
        try? channel.send(request)
        if let config { try? channel.sendFrame(config) }
        if let seccomp { try? channel.sendFrame(seccomp.filter) }
        try meanwhile()
        while true {
            guard let line = try channel.receiveLine() else {
                var status: Int32 = 0
                let reaped = waitpid(pid, &status, WNOHANG)
                let how = reaped == pid ? " (it exited with status \(Sys.exitCode(status)))" : ""
                throw SwiftBoxError("the container's init stopped before reporting\(how)")
            }
            if line.first != UInt8(ascii: "{"), let e = trampolineError(line) { throw e }
            let message = try InitMessage(json: JSONObject.parse(line, file: "init channel"))
            switch message.kind {
            case .runtimeHooks:
                try runtimeHooks(message)
                try channel.send(InitMessage(kind: .proceed))
            case .created:
                closeAll()
                return
            case .error:
                let text = message.message ?? "init failed"
                throw cgroupJoinError(text, in: sentPlacement, errno: message.errno ?? EIO)
                    ?? SwiftBoxError(text, errno: message.errno)
            case .proceed:
                throw SwiftBoxError("unexpected message from init")
            }
        }
    }
}
