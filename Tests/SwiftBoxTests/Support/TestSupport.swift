#if canImport(Glibc)
import Glibc
#endif
import Testing
import SwiftBox

/// Shared helpers for tests that run real containers with the built
/// `swiftbox` binary (it sits next to the test bundle in the build folder).
enum TestSupport {
    /// The swiftbox executable under test ($SWIFTBOX_BIN overrides).
    static let swiftbox: String = {
        if let env = getenv("SWIFTBOX_BIN") { return String(cString: env) }
        let exe = (try? FS.readLink("/proc/self/exe")) ?? ""
        // …/debug/swiftboxPackageTests.xctest → …/debug/swiftbox
        return FS.dirname(exe) + "/swiftbox"
    }()

    /// The package's top folder.
    static let packageRoot: String = {
        var dir = FS.dirname(#filePath)
        while dir != "/" && !FS.exists(dir + "/Package.swift") { dir = FS.dirname(dir) }
        return dir
    }()

    /// A unique container id for this test (tests run in parallel).
    static func uniqueID(_ prefix: String = "t") -> String {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return "\(prefix)-\(getpid())-\(ts.tv_nsec % 1_000_000_000)-\(UInt32.random(in: 0...UInt32.max))"
    }

    /// A fresh temporary folder.
    static func tempDir(_ name: String = "swiftbox-test") throws -> String {
        var template = Array("/tmp/\(name)-XXXXXX".utf8CString)
        guard mkdtemp(&template) != nil else { throw SwiftBoxError.system("mkdtemp") }
        return String(cString: template)
    }

    /// A busybox root filesystem shared read-only by tests, built once per
    /// machine from Debian's busybox-static.
    static let busyboxRootfs: String = {
        let dir = "/tmp/swiftbox-test-busybox-rootfs"
        if FS.exists(dir + "/.complete") { return dir }
        let staging = "\(dir).\(getpid()).\(UInt32.random(in: 0...UInt32.max))"
        let script = packageRoot + "/images/make-busybox-bundle.sh"
        let r = sh("\(script) \(staging) \(swiftbox) true")
        precondition(r.code == 0, "building the busybox rootfs failed: \(r.stderr)")
        _ = sh("touch \(staging)/rootfs/.complete && mv -T \(staging)/rootfs \(dir) 2>/dev/null; rm -rf \(staging)")
        return dir
    }()

    /// Writes a bundle whose config runs `args` in the shared busybox rootfs
    /// (read-only root). `edit` adjusts the spec. The caller removes `bundle.path`.
    static func bundle(_ args: [String], edit: (inout Spec) -> Void = { _ in }) throws -> String {
        let dir = try tempDir("swiftbox-bundle")
        var spec = Spec.defaultSpec(args: args, rootfs: busyboxRootfs)
        spec.hostname = "testbox"
        edit(&spec)
        try FS.write(dir + "/config.json", try JSONDocument.encode(spec, pretty: true), create: true)
        return dir
    }

    /// The result of running a command.
    struct Result {
        var code: Int32
        var stdout: String
        var stderr: String
    }

    /// Runs swiftbox with `args` (a fresh state root per call unless `root` is given).
    @discardableResult
    static func swiftbox(_ args: [String], root: String? = nil, stdin: String? = nil) -> Result {
        var full = [swiftbox]
        if let root { full += ["--root", root] }
        return run(full + args, stdin: stdin)
    }

    /// Starts a program in the background (output discarded); returns its pid.
    static func spawn(_ argv: [String]) throws -> pid_t {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        for fd: Int32 in 0...2 { posix_spawn_file_actions_addopen(&actions, fd, "/dev/null", fd == 0 ? O_RDONLY : O_WRONLY, 0) }
        let cargs = argv.map { strdup($0) } + [nil]
        defer { cargs.forEach { free($0) } }
        var pid: pid_t = 0
        let rc = posix_spawnp(&pid, argv[0], &actions, nil, cargs, environ)
        if rc != 0 { throw SwiftBoxError.system("spawn \(argv[0])", errno: rc) }
        return pid
    }

    /// Runs a shell command line.
    @discardableResult
    static func sh(_ command: String) -> Result { run(["/bin/sh", "-c", command]) }

    /// Runs a program and collects its exit code and output.
    static func run(_ argv: [String], stdin: String? = nil, env: [String] = []) -> Result {
        let out = try! tempDir("swiftbox-out")
        defer { _ = try? FS.removeAll(out) }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        if let stdin {
            try! FS.write(out + "/in", stdin, create: true)
            posix_spawn_file_actions_addopen(&actions, 0, out + "/in", O_RDONLY, 0)
        } else {
            posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        }
        posix_spawn_file_actions_addopen(&actions, 1, out + "/out", O_WRONLY | O_CREAT, 0o644)
        posix_spawn_file_actions_addopen(&actions, 2, out + "/err", O_WRONLY | O_CREAT, 0o644)
        let cargs = argv.map { strdup($0) } + [nil]
        defer { cargs.forEach { free($0) } }
        var pid: pid_t = 0
        var envList: [String] = []
        var i = 0
        while let e = environ[i] { envList.append(String(cString: e)); i += 1 }
        let names = Set(env.map { String($0.split(separator: "=", maxSplits: 1)[0]) })
        envList = envList.filter { !names.contains(String($0.split(separator: "=", maxSplits: 1)[0])) } + env
        let cenv = envList.map { strdup($0) } + [nil]
        defer { cenv.forEach { free($0) } }
        let rc = posix_spawnp(&pid, argv[0], &actions, nil, cargs, cenv)
        guard rc == 0 else { return Result(code: -1, stdout: "", stderr: "spawn \(argv[0]) failed: \(rc)") }
        let status = (try? Sys.wait(pid).status) ?? 0
        return Result(code: Sys.exitCode(status),
                      stdout: (try? FS.readString(out + "/out")) ?? "",
                      stderr: (try? FS.readString(out + "/err")) ?? "")
    }

    /// Whether anything of container `id` is left on the machine: state folder
    /// under `root`, a cgroup directory in any hierarchy, or a process.
    static func leftovers(id: String, root: String) -> [String] {
        var found: [String] = []
        if FS.exists(root + "/" + id) { found.append("state folder \(root)/\(id)") }
        let r = sh("find /sys/fs/cgroup -maxdepth 4 -type d -name '\(id)' 2>/dev/null")
        found += r.stdout.split(separator: "\n").map { "cgroup \($0)" }
        return found
    }
}
