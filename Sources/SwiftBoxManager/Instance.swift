#if canImport(Glibc)
import Glibc
#endif
import SwiftBoxLinux

/// The supervisor's bookkeeping for one instance (touched by the loop thread only).
final class Instance {
    var status: InstanceStatus
    var id: String { status.name }
    /// A pidfd of the container's init, readable once it exits.
    var pidfd: Int32 = -1
    /// Whether the init is our child (we can collect its exit status).
    var ownChild = false
    /// Monotonic time of the current start.
    var startedMono = 0.0
    /// When a restarting instance is started again (monotonic).
    var nextStart = 0.0
    /// What happens once a stopping instance has exited.
    enum AfterStop { case remove, restart, stay }
    var afterStop = AfterStop.stay
    /// The signal that stops it (the service's, else the image's, else SIGTERM).
    var stopSignal: Int32 = SIGTERM
    var stopDeadline: Double?
    var killed = false
    /// Health checking.
    var nextProbe = 0.0
    var healthFailures = 0
    var probe: (pid: Int32, pidfd: Int32, deadline: Double)?
    /// Tails the log file in the foreground.
    var log: LogTail?
    /// Whether the instance exited with status 0 (for `completed` dependencies).
    var completed = false

    init(service: String, index: Int) {
        status = InstanceStatus(service: service, index: index, phase: .waiting, pid: 0, restarts: 0,
                                consecutiveFailures: 0, startedAt: nil, health: .none, exitCode: nil, message: nil)
    }

    func closeFDs() {
        if pidfd >= 0 { close(pidfd); pidfd = -1 }
        if let p = probe { close(p.pidfd); kill(p.pid, SIGKILL); probe = nil }
    }
}

/// Follows a log file and prints complete lines with a `name | ` prefix.
final class LogTail {
    let fd: Int32
    var partial: [UInt8] = []

    init?(path: String) {
        fd = open(path, O_RDONLY | O_CLOEXEC | O_CREAT, 0o640)
        if fd < 0 { return nil }
        lseek(fd, 0, SEEK_END)
    }
    deinit { close(fd) }

    /// New complete lines since the last call.
    func lines() -> [[UInt8]] {
        var buf = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = read(fd, &buf, buf.count)
            if n <= 0 { break }
            partial += buf[0..<n]
        }
        var out: [[UInt8]] = []
        while let nl = partial.firstIndex(of: 0x0A) {
            out.append(Array(partial[..<nl]))
            partial.removeFirst(nl + 1)
        }
        if partial.count > 16384 { out.append(partial); partial = [] }
        return out
    }
}

/// Monotonic seconds.
func monotonicNow() -> Double {
    var ts = timespec()
    clock_gettime(CLOCK_MONOTONIC, &ts)
    return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
}

/// Wall-clock seconds since the epoch.
func wallNow() -> Double {
    var ts = timespec()
    clock_gettime(CLOCK_REALTIME, &ts)
    return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
}
