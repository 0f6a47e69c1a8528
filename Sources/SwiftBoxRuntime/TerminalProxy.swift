#if canImport(Glibc)
import Glibc
#endif
import CSwiftBox
import SwiftBoxLinux
import SwiftBoxOCI

/// What `swiftbox run` does for a container that wants a terminal when no
/// --console-socket is given (runc's behaviour): it receives the pty master
/// on a socket of its own, puts the caller's terminal in raw mode, copies bytes
/// both ways and passes on window-size changes, until the container exits.
final class TerminalProxy {
    let path: String
    private let listener: Int32
    private var master: Int32 = -1

    /// Listens on a socket in `directory` for the master end.
    init(directory: String, id: String) throws {
        path = directory + "/.console-\(id)-\(getpid()).sock"
        // init connects during create; the connection waits in the backlog until accepted.
        listener = try UnixSocket.listen(at: path, backlog: 1, what: "console socket")
    }

    /// The size of the caller's terminal (stdin), if it has one.
    static func callerSize() -> ConsoleSize? {
        var rows: UInt16 = 0, cols: UInt16 = 0
        guard sb_get_winsize(0, &rows, &cols) == 0, rows > 0, cols > 0 else { return nil }
        return ConsoleSize(height: UInt(rows), width: UInt(cols))
    }

    deinit {
        close(listener)
        if master >= 0 { close(master) }
        unlink(path)
    }

    /// Takes the master end init sent (after create returned).
    func receiveMaster() throws {
        let conn = accept(listener, nil, nil)
        if conn < 0 { throw SwiftBoxError.system("accept on console socket \(path)") }
        defer { close(conn) }
        master = sb_recv_fd(conn)
        if master < 0 { throw SwiftBoxError.system("receive the terminal from init") }
        unlink(path)
        // Before start: the program may ask for its window size first thing.
        if isatty(0) == 1 { _ = sb_copy_winsize(0, master) }
    }

    /// Proxies until `pid` exits; returns its exit code. Signals sent to us
    /// are forwarded as `ProcessWaiter.wait` does; SIGWINCH resizes the pty.
    func proxy(until pid: pid_t) -> Int32 {
        var saved = [UInt8](repeating: 0, count: 128)
        let raw = isatty(0) == 1 && sb_make_raw(0, &saved) == 0
        defer { if raw { _ = sb_restore_terminal(0, saved) } }
        var stdinOpen = true, masterOpen = true
        var buf = [UInt8](repeating: 0, count: 16384)
        var exited: Int32?
        while true {
            if exited == nil { exited = ProcessWaiter.reap(pid) }
            var fds = [pollfd(fd: stdinOpen ? 0 : -1, events: Int16(POLLIN), revents: 0),
                       pollfd(fd: masterOpen ? master : -1, events: Int16(POLLIN), revents: 0)]
            if exited == nil || masterOpen { _ = poll(&fds, 2, exited == nil ? 50 : 0) }
            if fds[1].revents != 0 {
                let n = read(master, &buf, buf.count)
                if n > 0 { try? FS.writeAll(fd: 1, Array(buf[0..<n]), what: "stdout") } else { masterOpen = false }
            } else if exited != nil {
                masterOpen = false
            }
            if fds[0].revents != 0 {
                let n = read(0, &buf, buf.count)
                if n > 0 { try? FS.writeAll(fd: master, Array(buf[0..<n]), what: "terminal") } else { stdinOpen = false }
            }
            if let code = exited, !masterOpen { return code }
            let sig = ProcessWaiter.nextSignal(waitingUpTo: 0)
            if sig == SIGWINCH { _ = sb_copy_winsize(0, master) } else if sig > 0 && sig != SIGCHLD { _ = kill(pid, sig) }
        }
    }
}
