#if canImport(Glibc)
import Glibc
#endif

/// Unix stream sockets by path: the console socket, the supervisor's control
/// socket, the terminal proxy.
public enum UnixSocket {
    /// A socket address for `path`; `what` names the socket in errors.
    public static func address(_ path: String, what: String) throws -> sockaddr_un {
        var addr = sockaddr_un()
        addr.sun_family = sa_family_t(AF_UNIX)
        let bytes = Array(path.utf8)
        guard bytes.count < MemoryLayout.size(ofValue: addr.sun_path) else {
            throw SwiftBoxError("\(what) path \(path) is too long (at most 107 bytes); use a shorter path or --root")
        }
        withUnsafeMutableBytes(of: &addr.sun_path) { buf in for (i, b) in bytes.enumerated() { buf[i] = b } }
        return addr
    }

    /// Binds a new socket at `path` (replacing a stale file) and listens.
    public static func listen(at path: String, backlog: Int32, nonBlocking: Bool = false, what: String) throws -> Int32 {
        var addr = try address(path, what: what)
        unlink(path)
        var type = Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue)
        if nonBlocking { type |= Int32(SOCK_NONBLOCK.rawValue) }
        let fd = socket(AF_UNIX, type, 0)
        if fd < 0 { throw SwiftBoxError.system("create the \(what)") }
        let rc = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        if rc != 0 || Glibc.listen(fd, backlog) != 0 {
            let e = errno
            close(fd)
            unlink(path)
            throw SwiftBoxError.system("listen on \(what) \(path)", errno: e)
        }
        return fd
    }

    /// Connects a new socket (close-on-exec) to `path`.
    public static func connect(to path: String, what: String) throws -> Int32 {
        var addr = try address(path, what: what)
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        if fd < 0 { throw SwiftBoxError.system("create a socket for the \(what)") }
        let rc = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        if rc != 0 {
            let e = errno
            close(fd)
            throw SwiftBoxError.system("connect to \(what) \(path)", errno: e)
        }
        return fd
    }
}
