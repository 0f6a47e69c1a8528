import SwiftBoxLinux
#if canImport(Glibc)
import Glibc
#endif

/// An advisory lock on the store (flock on `ROOT/lock`): loads, removals and
/// prunes hold it exclusively; preparing and releasing root filesystems and
/// reading images share it.
struct StoreLock {
    let fd: Int32

    init(path: String, exclusive: Bool) throws {
        fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        if fd < 0 { throw SwiftBoxError.system("open store lock \(path)") }
        while flock(fd, exclusive ? LOCK_EX : LOCK_SH) != 0 {
            if errno == EINTR { continue }
            let e = errno
            close(fd)
            throw SwiftBoxError.system("lock \(path)", errno: e)
        }
    }

    func release() { close(fd) }
}

/// A mutex for the few shared counters of a parallel load.
final class Mutex: @unchecked Sendable {
    private var m = pthread_mutex_t()
    init() { pthread_mutex_init(&m, nil) }
    deinit { pthread_mutex_destroy(&m) }
    func locked<T>(_ body: () throws -> T) rethrows -> T {
        pthread_mutex_lock(&m)
        defer { pthread_mutex_unlock(&m) }
        return try body()
    }
}

/// Time helpers that need no Foundation.
enum Clock {
    /// Seconds on the monotonic clock.
    static func now() -> Double {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
    }

    /// The current UTC time as RFC 3339 (`2024-05-01T12:00:00Z`).
    static func timestamp() -> String {
        var t = time(nil)
        var tmv = tm()
        gmtime_r(&t, &tmv)
        var buf = [CChar](repeating: 0, count: 32)
        strftime(&buf, 32, "%Y-%m-%dT%H:%M:%SZ", &tmv)
        return String(cString: buf)
    }
}
