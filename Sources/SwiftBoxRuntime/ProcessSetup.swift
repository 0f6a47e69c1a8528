#if canImport(Glibc)
import Glibc
#endif
import CSwiftBox
import SwiftBoxLinux
import SwiftBoxOCI

/// The steps that turn init (or an exec'd helper) into the configured process:
/// limits, identity, capabilities, terminal, and finally execve.
enum ProcessSetup {
    static let rlimitTypes: [String: Int32] = [
        "RLIMIT_CPU": 0, "RLIMIT_FSIZE": 1, "RLIMIT_DATA": 2, "RLIMIT_STACK": 3, "RLIMIT_CORE": 4,
        "RLIMIT_RSS": 5, "RLIMIT_NPROC": 6, "RLIMIT_NOFILE": 7, "RLIMIT_MEMLOCK": 8, "RLIMIT_AS": 9,
        "RLIMIT_LOCKS": 10, "RLIMIT_SIGPENDING": 11, "RLIMIT_MSGQUEUE": 12, "RLIMIT_NICE": 13,
        "RLIMIT_RTPRIO": 14, "RLIMIT_RTTIME": 15,
    ]

    static func applyRlimits(_ limits: [Rlimit]?) throws {
        for (i, l) in (limits ?? []).enumerated() {
            guard let res = rlimitTypes[l.type] else {
                throw SwiftBoxError("process.rlimits[\(i)].type: unknown rlimit \"\(l.type)\"")
            }
            var r = rlimit(rlim_cur: rlim_t(l.soft), rlim_max: rlim_t(l.hard))
            if setrlimit(__rlimit_resource_t(UInt32(res)), &r) != 0 {
                let e = errno
                throw SwiftBoxError.system("set \(l.type) to soft \(l.soft) hard \(l.hard)"
                    + (e == EPERM ? " (raising a hard limit needs CAP_SYS_RESOURCE)" : ""), errno: e)
            }
        }
    }

    static func applyOOMScoreAdj(_ value: Int?) throws {
        guard let value else { return }
        try FS.write("/proc/self/oom_score_adj", "\(value)")
    }

    /// Drops the bounding set, switches to the configured user and groups, then
    /// sets the remaining capability sets and no_new_privs.
    static func becomeUser(_ process: Process) throws {
        try CapabilitySet.dropBounding(keep: process.capabilities?.bounding)
        try Sys.prctl(8 /* PR_SET_KEEPCAPS */, 1, what: "keep capabilities across the user switch")
        let groups = (process.user.additionalGids ?? []).map { gid_t($0) }
        if sb_setgroups(groups.count, groups) != 0 {
            // A user namespace whose setgroups is denied: allowed only with no extra groups.
            if !(errno == EPERM && groups.isEmpty) { throw SwiftBoxError.system("set additional groups \(groups)") }
        }
        if sb_setresgid(process.user.gid) != 0 {
            throw SwiftBoxError.system("switch to gid \(process.user.gid)")
        }
        if sb_setresuid(process.user.uid) != 0 {
            throw SwiftBoxError.system("switch to uid \(process.user.uid)")
        }
        try Sys.prctl(8, 0, what: "reset keep-capabilities")
        try CapabilitySet.apply(process.capabilities)
        if process.noNewPrivileges == true {
            try Sys.prctl(38 /* PR_SET_NO_NEW_PRIVS */, 1, what: "set no_new_privs")
        }
        if let mask = process.user.umask { umask(mode_t(mask)) }
    }

    /// Creates a terminal in the container's devpts, hands the master to the
    /// console socket and makes the slave this process's controlling terminal.
    static func setupConsole(socketFD: Int32, size: ConsoleSize?) throws {
        var master: Int32 = -1
        var name = [CChar](repeating: 0, count: 128)
        if sb_open_pty(&master, &name, name.count) != 0 { throw SwiftBoxError.system("open a pseudo-terminal (/dev/ptmx)") }
        let slavePath = String(cString: name)
        if let size { _ = sb_ioctl_winsize(master, UInt16(size.height), UInt16(size.width)) }
        if sb_send_fd(socketFD, master, slavePath) != 0 { throw SwiftBoxError.system("send the terminal to the console socket") }
        close(master)
        close(socketFD)
        let slave = open(slavePath, O_RDWR)
        if slave < 0 { throw SwiftBoxError.system("open \(slavePath)") }
        if setsid() < 0 { throw SwiftBoxError.system("start a session (setsid)") }
        if sb_set_ctty(slave) != 0 { throw SwiftBoxError.system("make \(slavePath) the controlling terminal") }
        for fd: Int32 in 0...2 { if dup2(slave, fd) < 0 { throw SwiftBoxError.system("attach the terminal to fd \(fd)") } }
        if slave > 2 { close(slave) }
    }

    /// Finds the program to run: `args[0]` as is if it has a slash, else on the
    /// container's PATH (from process.env, as runc does).
    static func resolveExecutable(_ process: Process) throws -> String {
        guard let arg0 = process.args?.first, !arg0.isEmpty else {
            throw SwiftBoxError("process.args: must name a program to run")
        }
        if arg0.contains("/") {
            if access(arg0, X_OK) != 0 { throw SwiftBoxError.system("execute \(arg0)") }
            return arg0
        }
        let path = (process.env ?? []).last(where: { $0.hasPrefix("PATH=") }).map { String($0.dropFirst(5)) }
            ?? "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
        for dir in path.split(separator: ":") {
            let candidate = String(dir) + "/" + arg0
            var st = stat()
            if stat(candidate, &st) == 0, (st.st_mode & S_IFMT) == S_IFREG, access(candidate, X_OK) == 0 {
                return candidate
            }
        }
        throw SwiftBoxError("exec: \"\(arg0)\": executable file not found in $PATH", errno: ENOENT)
    }

    /// execve the user's program; only returns by throwing. Every descriptor
    /// above stdio and the `preserved` ones is closed at exec: nothing the
    /// caller (or swiftbox) had open, such as a directory on the host, may
    /// reach the container.
    static func exec(_ program: String, _ process: Process, preserved: Int = 0) throws -> Never {
        if sb_close_range_cloexec(UInt32(3 + max(0, preserved))) != 0 {
            throw SwiftBoxError.system("mark descriptors close-on-exec")
        }
        let args = process.args ?? [program]
        var env = process.env ?? []
        if !env.contains(where: { $0.hasPrefix("HOME=") }) { env.append("HOME=/") }
        let cArgs = args.map { strdup($0) } + [nil]
        let cEnv = env.map { strdup($0) } + [nil]
        execve(program, cArgs, cEnv)
        throw SwiftBoxError.system("execute \(program)")
    }
}
