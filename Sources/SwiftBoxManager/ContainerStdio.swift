#if canImport(Glibc)
import Glibc
#endif
import SwiftBoxLinux

/// Gives a container's first process (or an exec'd process) its own stdin,
/// stdout and stderr.
///
/// The runtime's trampoline child inherits descriptors 0, 1 and 2 of the
/// calling process at clone time, and the runtime has no stdio option yet. So
/// for the few milliseconds of a create or exec, 0–2 are pointed at the
/// instance's files under a lock, then restored. The supervisor itself never
/// writes to 1 or 2 directly: it writes to the saved copies.
enum ContainerStdio {
    nonisolated(unsafe) static var lock = pthread_mutex_t()
    nonisolated(unsafe) static var saved: [Int32] = []
    nonisolated(unsafe) static var devNull: Int32 = -1

    /// Saves the process's own 0–2 (once). Returns the saved stdout and stderr.
    @discardableResult
    static func setUp() -> (out: Int32, err: Int32) {
        if saved.isEmpty {
            pthread_mutex_init(&lock, nil)
            saved = (0...2).map { fcntl($0, F_DUPFD_CLOEXEC, 3) }
            devNull = open("/dev/null", O_RDWR | O_CLOEXEC)
        }
        return (saved[1] >= 0 ? saved[1] : 1, saved[2] >= 0 ? saved[2] : 2)
    }

    /// Runs `body` with 0 on /dev/null and 1, 2 on `output` (/dev/null if -1).
    static func with<T>(output: Int32, _ body: () throws -> T) rethrows -> T {
        setUp()
        pthread_mutex_lock(&lock)
        defer { pthread_mutex_unlock(&lock) }
        let out = output >= 0 ? output : devNull
        dup2(devNull, 0); dup2(out, 1); dup2(out, 2)
        defer { for i in 0...2 where saved[i] >= 0 { dup2(saved[i], Int32(i)) } }
        return try body()
    }
}
