import CSwiftBox
#if canImport(Glibc)
import Glibc
#endif

/// Typed, throwing wrappers over the system calls swiftbox uses.
public enum Sys {
    /// mount(2). `what` describes the mount in errors.
    public static func mount(_ source: String?, _ target: String, type: String?, flags: UInt, data: String? = nil) throws {
        let rc = sb_mount(source, target, type, flags, data)
        if rc != 0 {
            let kind = type ?? ((flags & UInt(SB_MS_BIND)) != 0 ? "bind" : "remount")
            throw SwiftBoxError.system("mount \(source ?? "none") (\(kind)) on \(target)")
        }
    }

    /// umount2(2).
    public static func unmount(_ target: String, detach: Bool = false) throws {
        if sb_umount2(target, detach ? SB_MNT_DETACH : 0) != 0 {
            throw SwiftBoxError.system("unmount \(target)")
        }
    }

    /// pivot_root(2).
    public static func pivotRoot(_ newRoot: String, _ putOld: String) throws {
        if sb_pivot_root(newRoot, putOld) != 0 { throw SwiftBoxError.system("pivot_root to \(newRoot)") }
    }

    /// setns(2) on a namespace file descriptor.
    public static func setns(_ fd: Int32, what: String) throws {
        if sb_setns(fd, 0) != 0 { throw SwiftBoxError.system("join namespace \(what)") }
    }

    /// prctl(2).
    @discardableResult
    public static func prctl(_ option: Int32, _ a2: UInt = 0, _ a3: UInt = 0, _ a4: UInt = 0, _ a5: UInt = 0,
                             what: String) throws -> Int32 {
        let rc = sb_prctl(option, a2, a3, a4, a5)
        if rc < 0 { throw SwiftBoxError.system(what) }
        return rc
    }

    /// Opens a file, throwing on failure.
    public static func open(_ path: String, _ flags: Int32, _ mode: mode_t = 0) throws -> Int32 {
        let fd = Glibc.open(path, flags | O_CLOEXEC, mode)
        if fd < 0 { throw SwiftBoxError.system("open \(path)") }
        return fd
    }

    /// A socketpair of unix stream sockets, both close-on-exec.
    public static func socketPair() throws -> (Int32, Int32) {
        var fds: [Int32] = [-1, -1]
        if socketpair(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0, &fds) != 0 {
            throw SwiftBoxError.system("create socket pair")
        }
        return (fds[0], fds[1])
    }

    /// A pipe, both ends close-on-exec.
    public static func pipe() throws -> (read: Int32, write: Int32) {
        var fds: [Int32] = [-1, -1]
        if sb_pipe2(&fds, O_CLOEXEC) != 0 { throw SwiftBoxError.system("create pipe") }
        return (fds[0], fds[1])
    }

    /// Clears close-on-exec on a descriptor so a child inherits it.
    public static func inherit(_ fd: Int32) {
        let flags = fcntl(fd, F_GETFD)
        if flags >= 0 { _ = fcntl(fd, F_SETFD, flags & ~FD_CLOEXEC) }
    }

    /// waitpid(2), retrying EINTR. Returns the raw status.
    public static func wait(_ pid: pid_t, options: Int32 = 0) throws -> (pid: pid_t, status: Int32) {
        var status: Int32 = 0
        while true {
            let r = waitpid(pid, &status, options)
            if r < 0 && errno == EINTR { continue }
            if r < 0 { throw SwiftBoxError.system("wait for process \(pid)") }
            return (r, status)
        }
    }

    /// A shell-style exit code from a wait status: the code, or 128+signal.
    public static func exitCode(_ status: Int32) -> Int32 {
        if sb_wifexited(status) != 0 { return sb_wexitstatus(status) }
        if sb_wifsignaled(status) != 0 { return 128 + sb_wtermsig(status) }
        return 255
    }

    /// Whether a process with this pid exists (signal 0).
    public static func alive(_ pid: pid_t) -> Bool {
        pid > 0 && (Glibc.kill(pid, 0) == 0 || errno == EPERM)
    }

    /// The start time of a process in clock ticks since boot (field 22 of
    /// /proc/PID/stat), used to tell a process from a later one with a reused pid.
    public static func startTime(of pid: pid_t) -> UInt64? {
        // fields[0] is the state (field 3); start time is field 22.
        guard let fields = statFields(of: pid), fields.count > 19 else { return nil }
        return UInt64(String(decoding: fields[19], as: UTF8.self))
    }

    /// The process state letter from /proc/PID/stat (R, S, Z, …).
    public static func processState(of pid: pid_t) -> Character? {
        guard let first = statFields(of: pid)?.first?.first else { return nil }
        return Character(Unicode.Scalar(first))
    }

    /// The fields of /proc/PID/stat after the command name, as bytes (the name
    /// may hold spaces and parentheses; it ends at the last ')').
    static func statFields(of pid: pid_t) -> [ArraySlice<UInt8>]? {
        guard let bytes = try? FS.read("/proc/\(pid)/stat"),
              let close = bytes.lastIndex(of: UInt8(ascii: ")")) else { return nil }
        return bytes[(close + 1)...].split(separator: 0x20)
    }

    /// The host name of this UTS namespace.
    public static func hostname() -> String {
        var buf = [CChar](repeating: 0, count: 256)
        gethostname(&buf, 255)
        return String(cString: buf)
    }
}

/// Signal names and numbers as `kill` accepts them (TERM, SIGTERM, 15).
public enum Signals {
    /// Every signal name (without the SIG prefix) and its number on Linux/x86_64.
    public static let table: [(String, Int32)] = [
        ("HUP", 1), ("INT", 2), ("QUIT", 3), ("ILL", 4), ("TRAP", 5), ("ABRT", 6), ("IOT", 6), ("BUS", 7),
        ("FPE", 8), ("KILL", 9), ("USR1", 10), ("SEGV", 11), ("USR2", 12), ("PIPE", 13), ("ALRM", 14),
        ("TERM", 15), ("STKFLT", 16), ("CHLD", 17), ("CONT", 18), ("STOP", 19), ("TSTP", 20), ("TTIN", 21),
        ("TTOU", 22), ("URG", 23), ("XCPU", 24), ("XFSZ", 25), ("VTALRM", 26), ("PROF", 27), ("WINCH", 28),
        ("IO", 29), ("POLL", 29), ("PWR", 30), ("SYS", 31),
    ]

    /// Parses `TERM`, `SIGTERM`, `sigterm`, `15` or `RTMIN+3`.
    public static func parse(_ text: String) -> Int32? {
        if let n = Int32(text) { return (1...64).contains(n) ? n : nil }
        var name = text.uppercased()
        if name.hasPrefix("SIG") { name = String(name.dropFirst(3)) }
        if let hit = table.first(where: { $0.0 == name }) { return hit.1 }
        if name.hasPrefix("RTMIN") {
            let rest = name.dropFirst(5)
            if rest.isEmpty { return 34 }
            if rest.hasPrefix("+"), let k = Int32(rest.dropFirst()), 34 + k <= 64 { return 34 + k }
        }
        if name.hasPrefix("RTMAX") {
            let rest = name.dropFirst(5)
            if rest.isEmpty { return 64 }
            if rest.hasPrefix("-"), let k = Int32(rest.dropFirst()), 64 - k >= 34 { return 64 - k }
        }
        return nil
    }

    /// The name of a signal number (`TERM`), or its number as text.
    public static func name(_ sig: Int32) -> String {
        table.first(where: { $0.1 == sig })?.0 ?? "\(sig)"
    }
}
