#if canImport(Glibc)
import Glibc
#endif
import CSwiftBox
import SwiftBoxLinux

/// Waits for a child while forwarding the signals swiftbox receives to it,
/// as `runc run` and `runc exec` do.
public enum ProcessWaiter {
    /// The signals forwarded (everything catchable but SIGCHLD and job control stops).
    static let forwarded: [Int32] = Array(1...64).filter { ![SIGKILL, SIGSTOP, SIGCHLD, 32, 33].contains($0) }

    /// Blocks forwarded signals (and SIGCHLD) so none is lost before `wait` runs.
    /// Call before starting the process; `wait` restores the mask for children.
    public static func blockSignals() {
        var set = sigset_t()
        sigemptyset(&set)
        for s in forwarded + [SIGCHLD] { sigaddset(&set, s) }
        pthread_sigmask(SIG_BLOCK, &set, nil)
    }

    /// Waits for `pid` (a child, or a descendant when we are a subreaper),
    /// forwarding signals; returns its exit code (code, or 128+signal).
    public static func wait(for pid: pid_t) -> Int32 {
        while true {
            if let code = reap(pid) { return code }
            let sig = nextSignal(waitingUpTo: 200_000_000)
            if sig > 0 && sig != SIGCHLD {
                _ = kill(pid, sig)
            }
            if sig < 0 && errno != EAGAIN && errno != EINTR {
                // Should not happen; fall back to a plain blocking wait.
                return (try? Sys.wait(pid)).map { Sys.exitCode($0.status) } ?? 255
            }
        }
    }

    /// Reaps every child that has exited (we may be the subreaper of orphans
    /// too); returns `pid`'s exit code if it was among them.
    static func reap(_ pid: pid_t) -> Int32? {
        var code: Int32?
        while true {
            var status: Int32 = 0
            let r = waitpid(-1, &status, WNOHANG)
            if r == pid { code = Sys.exitCode(status) }
            if r <= 0 { return code }
        }
    }

    /// The next blocked forwarded signal (or SIGCHLD), waiting up to
    /// `nanoseconds`; -1 with errno EAGAIN when none came.
    static func nextSignal(waitingUpTo nanoseconds: Int) -> Int32 {
        var set = sigset_t()
        sigemptyset(&set)
        for s in forwarded + [SIGCHLD] { sigaddset(&set, s) }
        var ts = timespec(tv_sec: 0, tv_nsec: nanoseconds)
        var info = siginfo_t()
        return sigtimedwait(&set, &info, &ts)
    }
}
