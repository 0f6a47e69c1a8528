#if canImport(Glibc)
import Glibc
#endif
import SwiftBoxLinux
import SwiftBoxOCI

/// Runs OCI hooks: the container state on stdin, the hook's own args and env,
/// killed when its timeout passes.
enum HookRunner {
    /// Runs each hook in order; the first failure stops the list and throws.
    static func run(_ hooks: [Hook]?, phase: String, state: OCIState) throws {
        guard let hooks, !hooks.isEmpty else { return }
        let input = try JSONDocument.encode(state)
        for (i, hook) in hooks.enumerated() {
            do {
                try run(hook, input: input)
            } catch let e as SwiftBoxError {
                throw SwiftBoxError("\(phase) hook \(i) (\(hook.path)): \(e.message)", errno: e.errno)
            }
        }
    }

    static func run(_ hook: Hook, input: [UInt8]) throws {
        let (r, w) = try Sys.pipe()
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_adddup2(&actions, r, 0)
        var attr = posix_spawnattr_t()
        posix_spawnattr_init(&attr)
        defer { posix_spawnattr_destroy(&attr) }
        var empty = sigset_t()
        sigemptyset(&empty)
        posix_spawnattr_setsigmask(&attr, &empty)
        posix_spawnattr_setflags(&attr, Int16(POSIX_SPAWN_SETSIGMASK))
        let args = (hook.args ?? [hook.path]).map { strdup($0) } + [nil]
        let env = (hook.env ?? []).map { strdup($0) } + [nil]
        defer { for p in args + env { free(p) } }
        var pid: pid_t = 0
        let rc = posix_spawn(&pid, hook.path, &actions, &attr, args, env)
        close(r)
        if rc != 0 {
            close(w)
            throw SwiftBoxError.system("run \(hook.path)", errno: rc)
        }
        // A hook may not read its stdin; never let that block or kill us.
        signal(SIGPIPE, SIG_IGN)
        try? FS.writeAll(fd: w, input, what: "hook stdin")
        close(w)
        let deadline = hook.timeout.map { monotonicSeconds() + Double($0) }
        if let t = hook.timeout, t <= 0 { throw SwiftBoxError("timeout must be greater than zero (got \(t))") }
        while true {
            let (done, status) = try Sys.wait(pid, options: deadline == nil ? 0 : WNOHANG)
            if done == pid {
                let code = Sys.exitCode(status)
                if code != 0 { throw SwiftBoxError("exited with status \(code)") }
                return
            }
            if let deadline, monotonicSeconds() > deadline {
                kill(pid, SIGKILL)
                _ = try? Sys.wait(pid)
                throw SwiftBoxError("timed out after \(hook.timeout!) s and was killed")
            }
            usleep(2000)
        }
    }
}

/// Seconds on the monotonic clock.
public func monotonicSeconds() -> Double {
    var ts = timespec()
    clock_gettime(CLOCK_MONOTONIC, &ts)
    return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
}
