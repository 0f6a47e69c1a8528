#if canImport(Glibc)
import Glibc
#endif
import SwiftBoxLinux

/// The supervisor's own output descriptors, and /dev/null for the stdin of
/// containers and health checks (the runtime's `stdio` option hands each
/// process its descriptors; the supervisor's 0–2 are never redirected).
enum ContainerStdio {
    nonisolated(unsafe) static var saved: [Int32] = []
    nonisolated(unsafe) static var devNull: Int32 = {
        open("/dev/null", O_RDWR | O_CLOEXEC)
    }()

    /// Saves the process's own 0–2 (once). Returns the saved stdout and stderr.
    @discardableResult
    static func setUp() -> (out: Int32, err: Int32) {
        if saved.isEmpty {
            saved = (0...2).map { fcntl($0, F_DUPFD_CLOEXEC, 3) }
        }
        return (saved[1] >= 0 ? saved[1] : 1, saved[2] >= 0 ? saved[2] : 2)
    }
}
