#if canImport(Glibc)
import Glibc
#endif
import Testing
import SwiftBox

/// A private state root and folder for one manager test, with unique service
/// names (cgroup paths are machine-wide) and cleanup that stops every
/// supervisor and container it started, even when the test fails.
final class ManagerFixture {
    let root: String
    let dir: String
    let tag: String

    init() throws {
        root = try TestSupport.tempDir("sbm-root")
        dir = try TestSupport.tempDir("sbm-files")
        tag = String(UInt32.random(in: 0...UInt32.max), radix: 36)
    }

    /// A unique service name.
    func name(_ base: String) -> String { "\(base)\(tag)" }

    /// Writes a service file and returns its path.
    @discardableResult
    func write(_ json: String, as file: String = "svc.json") throws -> String {
        let path = dir + "/" + file
        try FS.write(path, json.replacingBusybox(), create: true)
        return path
    }

    /// Extra environment for the swiftbox processes (e.g. SWIFTBOX_STORE).
    var env: [String] = []

    @discardableResult
    func swiftbox(_ args: [String]) -> TestSupport.Result {
        TestSupport.run([TestSupport.swiftbox, "--root", root] + args, env: env)
    }

    var stateRoot: StateRoot { StateRoot(root) }

    /// Starts swiftbox without waiting; output goes to `<dir>/<name>.out|.err`.
    func spawn(_ args: [String], output name: String) -> pid_t {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, dir + "/\(name).out", O_WRONLY | O_CREAT, 0o644)
        posix_spawn_file_actions_addopen(&actions, 2, dir + "/\(name).err", O_WRONLY | O_CREAT, 0o644)
        let argv = [TestSupport.swiftbox, "--root", root] + args
        let cargs = argv.map { strdup($0) } + [nil]
        defer { cargs.forEach { free($0) } }
        var pid: pid_t = 0
        let rc = posix_spawn(&pid, argv[0], &actions, nil, cargs, environ)
        precondition(rc == 0, "spawn swiftbox: \(rc)")
        spawned.append(pid)
        return pid
    }
    var spawned: [pid_t] = []

    /// Waits for a spawned process; returns its exit code, or nil after `seconds`.
    func exitCode(of pid: pid_t, within seconds: Double) -> Int32? {
        var code: Int32?
        wait(seconds) {
            var st: Int32 = 0
            if waitpid(pid, &st, WNOHANG) == pid { code = Sys.exitCode(st); return true }
            return false
        }
        if code != nil { spawned.removeAll { $0 == pid } }
        return code
    }

    func text(_ file: String) -> String { (try? FS.readString(dir + "/" + file)) ?? "" }

    func report() -> [InstanceReport] { ServiceManager.report(root: stateRoot) }

    func instance(_ name: String) -> InstanceReport? { report().first { $0.instance == name } }

    /// Polls `condition` every 20 ms for up to `seconds`.
    @discardableResult
    func wait(_ seconds: Double, _ condition: () -> Bool) -> Bool {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        let end = Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9 + seconds
        while true {
            if condition() { return true }
            clock_gettime(CLOCK_MONOTONIC, &ts)
            if Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9 > end { return false }
            usleep(20_000)
        }
    }

    /// The pid of the detached supervisor of a project.
    func supervisorPid(_ project: String = "svc") -> Int32? {
        ProjectDirectory(root: stateRoot, project: project).load()?.supervisorPid
    }

    /// Container ids left under the root.
    var containers: [String] { stateRoot.ids() }

    deinit {
        for pid in spawned { kill(pid, SIGKILL); _ = try? Sys.wait(pid) }
        for p in ProjectDirectory.all(root: stateRoot) {
            if let pid = p.load()?.supervisorPid, p.supervisorAlive { kill(pid, SIGKILL) }
            try? ServiceManager.down(project: p.project, root: stateRoot, timeout: 0.2)
        }
        for id in stateRoot.ids() { try? Container(id: id, root: stateRoot).delete(force: true) }
        _ = TestSupport.sh("for m in $(grep -o ' \(root)/[^ ]*' /proc/self/mountinfo | sort -r); do umount -l $m; done")
        try? FS.removeAll(root)
        try? FS.removeAll(dir)
    }
}

extension String {
    /// Replaces `$BUSYBOX` with the shared busybox root filesystem.
    func replacingBusybox() -> String {
        var out = ""
        var rest = Substring(self)
        while let r = rest.firstRange(of: "$BUSYBOX") {
            out += rest[..<r.lowerBound] + TestSupport.busyboxRootfs
            rest = rest[r.upperBound...]
        }
        return out + rest
    }
}
