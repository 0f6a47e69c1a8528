#if canImport(Glibc)
import Glibc
#endif

/// The one error type of swiftbox: what failed, on what, and why.
///
/// `message` is the whole sentence users see, e.g.
/// `cannot mount proc on /run/swiftbox/web-1/rootfs/proc: EPERM (Operation not permitted)`.
public struct SwiftBoxError: Error, CustomStringConvertible, Equatable, Sendable {
    /// The complete human-readable message.
    public var message: String
    /// The errno behind the failure, if a system call failed.
    public var errno: Int32?

    /// Creates an error with a message and an optional errno.
    public init(_ message: String, errno: Int32? = nil) {
        self.message = message
        self.errno = errno
    }

    /// An error for a failed system call: `cannot <what>: ENAME (strerror)`.
    public static func system(_ what: String, errno code: Int32 = Glibc.errno) -> SwiftBoxError {
        SwiftBoxError("cannot \(what): \(errnoName(code)) (\(String(cString: strerror(code))))", errno: code)
    }

    public var description: String { message }
}

/// The symbolic name of an errno value (`EPERM`), or its number.
public func errnoName(_ code: Int32) -> String {
    switch code {
    case EPERM: return "EPERM"
    case ENOENT: return "ENOENT"
    case ESRCH: return "ESRCH"
    case EINTR: return "EINTR"
    case EIO: return "EIO"
    case EBADF: return "EBADF"
    case ECHILD: return "ECHILD"
    case EAGAIN: return "EAGAIN"
    case ENOMEM: return "ENOMEM"
    case EACCES: return "EACCES"
    case EFAULT: return "EFAULT"
    case EBUSY: return "EBUSY"
    case EEXIST: return "EEXIST"
    case EXDEV: return "EXDEV"
    case ENODEV: return "ENODEV"
    case ENOTDIR: return "ENOTDIR"
    case EISDIR: return "EISDIR"
    case EINVAL: return "EINVAL"
    case ENFILE: return "ENFILE"
    case EMFILE: return "EMFILE"
    case ENOSPC: return "ENOSPC"
    case EROFS: return "EROFS"
    case ELOOP: return "ELOOP"
    case ENAMETOOLONG: return "ENAMETOOLONG"
    case ENOSYS: return "ENOSYS"
    case ENOTEMPTY: return "ENOTEMPTY"
    case EOPNOTSUPP: return "EOPNOTSUPP"
    case ECONNREFUSED: return "ECONNREFUSED"
    case ETXTBSY: return "ETXTBSY"
    case E2BIG: return "E2BIG"
    case ENOEXEC: return "ENOEXEC"
    default: return "errno \(code)"
    }
}
