import ArgumentParser
import Glibc
import SwiftBox

/// The service runner side of the CLI: `run service.json`, `ps`, `logs`,
/// `stop`, `restart`, `scale`, `down` and the internal `supervise`.
enum ServiceCommands {
    /// Whether `run`/`ps` got a service file rather than a container id.
    static func isServiceFile(_ argument: String) -> Bool {
        argument.hasSuffix(".json") || (argument.contains("/") && FS.exists(argument) && !FS.isDirectory(argument))
    }

    nonisolated(unsafe) static var shutdownFD: Int32 = -1

    /// `swiftbox run [-d] service.json`.
    static func run(file path: String, detach: Bool) throws {
        let file = try ServiceFile.load(path)
        let root = GlobalOptions.stateRoot
        if detach { return try startDetached(file, root: root) }
        let manager = ServiceManager(file: file, options: .init(
            root: root, showOutput: true, showMessages: true, reapAllChildren: true))
        try manager.prepare()
        shutdownFD = manager.shutdownFD
        for sig in [SIGINT, SIGTERM, SIGHUP] {
            signal(sig) { _ in
                var b: UInt8 = 0xFF
                _ = write(ServiceCommands.shutdownFD, &b, 1)
            }
        }
        let clean = manager.runPrepared()
        if !clean { throw CommandExit(code: 1) }
    }

    /// Starts `swiftbox supervise FILE` in its own session and waits until it
    /// has started every instance (or died).
    static func startDetached(_ file: ServiceFile, root: StateRoot) throws {
        let dir = ProjectDirectory(root: root, project: file.project)
        if dir.supervisorAlive {
            throw SwiftBoxError("a supervisor for project \"\(file.project)\" is already running; see `swiftbox ps` or stop it with `swiftbox down \(file.path)`")
        }
        try FS.mkdirAll(dir.path, mode: 0o700)
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, dir.supervisorLog, O_WRONLY | O_CREAT | O_APPEND, 0o640)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)
        var attr = posix_spawnattr_t()
        posix_spawnattr_init(&attr)
        defer { posix_spawnattr_destroy(&attr) }
        posix_spawnattr_setflags(&attr, 0x80) // POSIX_SPAWN_SETSID (hidden without _GNU_SOURCE)
        let argv = ["swiftbox", "--root", root.path, "supervise", file.path]
        let cargs = argv.map { strdup($0) } + [nil]
        defer { cargs.forEach { free($0) } }
        var pid: pid_t = 0
        let rc = posix_spawn(&pid, "/proc/self/exe", &actions, &attr, cargs, environ)
        if rc != 0 { throw SwiftBoxError.system("start the supervisor (/proc/self/exe supervise)", errno: rc) }
        var waited = 0
        while true {
            var st: Int32 = 0
            waited += 1
            if waited > 12_000 { // 120 s
                throw SwiftBoxError("the supervisor of \(file.project) (pid \(pid)) has not started every instance after 120 s; see \(dir.supervisorLog) and `swiftbox ps`")
            }
            if waitpid(pid, &st, WNOHANG) == pid {
                let log = (try? FS.readString(dir.supervisorLog)) ?? ""
                throw SwiftBoxError("the supervisor of \(file.project) exited with status \(Sys.exitCode(st)):\n\(log)")
            }
            if let s = dir.load(), s.supervisorPid == pid, s.phase == .running {
                printReport(ServiceManager.report(root: root, project: file.project))
                return
            }
            usleep(10_000)
        }
    }

    static func printReport(_ rows: [InstanceReport]) {
        var table = [["SERVICE", "INSTANCE", "STATE", "PID", "RESTARTS", "UPTIME", "HEALTH", "MEMORY"]]
        for r in rows {
            table.append([r.service, r.instance, r.state, r.pid > 0 ? "\(r.pid)" : "-", "\(r.restarts)",
                          r.uptime.map { Quantity.describe(seconds: $0) } ?? "-",
                          r.health == .none ? "-" : r.health.rawValue,
                          r.memory.map { Quantity.describe(bytes: $0) } ?? "-"])
        }
        printTable(table)
    }

    /// `swiftbox ps` without a container id.
    static func ps(format: String, file: String?) throws {
        let root = GlobalOptions.stateRoot
        let project = file.map { ServiceFile.projectName(of: FS.absolute($0)) }
        let rows = ServiceManager.report(root: root, project: project)
        switch format {
        case "json":
            print(String(decoding: try JSONDocument.encode(rows, pretty: true), as: UTF8.self))
        case "table":
            printReport(rows)
            for p in Set(rows.filter { !$0.supervised }.map(\.project)).sorted() {
                RuntimeLog.warn("project \(p) has no running supervisor; `swiftbox run -d FILE` adopts its containers")
            }
        default:
            throw SwiftBoxError("--format: \"\(format)\" is not table or json")
        }
    }

    static func project(_ name: String, _ explicit: String?) throws -> ProjectDirectory {
        if let explicit { return ProjectDirectory(root: GlobalOptions.stateRoot, project: explicit) }
        return try ServiceManager.project(running: name, root: GlobalOptions.stateRoot)
    }
}

struct LogsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "logs", abstract: "Print the output of a service instance (web-1) or of every instance of a service (web).")
    @Flag(name: [.customShort("f"), .long], help: "Keep printing new output until interrupted.") var follow = false
    @Option(name: .long, help: "Print only the last N lines of each log first.") var tail: Int?
    @Option(name: .long, help: "The project (service file name without .json) when the name is ambiguous.") var project: String?
    @Argument(help: "An instance (web-1) or a service (web).") var name: String

    func run() throws {
        let dir = try ServiceCommands.project(name, project)
        let files = ((try? FS.list(dir.logs)) ?? []).sorted().filter { f in
            f == "\(name).log" || (f.hasPrefix(name + "-") && f.hasSuffix(".log") && Int(f.dropFirst(name.count + 1).dropLast(4)) != nil)
        }
        guard !files.isEmpty else { throw SwiftBoxError("no logs for \"\(name)\" in \(dir.logs)") }
        let prefixed = files.count > 1
        var offsets: [String: Int] = [:]
        for f in files {
            let path = dir.logs + "/" + f
            let bytes = (try? FS.read(path)) ?? []
            var lines = bytes.split(separator: 0x0A, omittingEmptySubsequences: false).map(Array.init)
            if lines.last?.isEmpty == true { lines.removeLast() }
            if let tail { lines = Array(lines.suffix(max(0, tail))) }
            emit(lines, String(f.dropLast(4)), prefixed)
            offsets[f] = bytes.count
        }
        guard follow else { return }
        var partial: [String: [UInt8]] = [:]
        while FS.exists(dir.logs) {
            for f in files {
                guard let fd = Optional(open(dir.logs + "/" + f, O_RDONLY | O_CLOEXEC)), fd >= 0 else { continue }
                defer { close(fd) }
                lseek(fd, off_t(offsets[f] ?? 0), SEEK_SET)
                var buf = [UInt8](repeating: 0, count: 65536)
                var data = partial[f] ?? []
                while true {
                    let n = read(fd, &buf, buf.count)
                    if n <= 0 { break }
                    data += buf[0..<n]
                    offsets[f, default: 0] += n
                }
                var lines: [[UInt8]] = []
                while let nl = data.firstIndex(of: 0x0A) { lines.append(Array(data[..<nl])); data.removeFirst(nl + 1) }
                partial[f] = data
                emit(lines, String(f.dropLast(4)), prefixed)
            }
            usleep(200_000)
        }
    }

    func emit(_ lines: [[UInt8]], _ instance: String, _ prefixed: Bool) {
        var out: [UInt8] = []
        for l in lines { out += (prefixed ? Array("\(instance) | ".utf8) : []) + l + [0x0A] }
        if !out.isEmpty { try? FS.writeAll(fd: 1, out, what: "stdout") }
    }
}

struct StopCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "stop", abstract: "Stop a service instance (web-1) or every instance of a service (web); they stay stopped.")
    @Option(name: .long, help: "The project when the name is ambiguous.") var project: String?
    @Argument(help: "An instance or a service.") var name: String
    func run() throws {
        let r = try ServiceManager.send(ControlRequest(op: "stop", name: name), to: ServiceCommands.project(name, project))
        print(r.message)
    }
}

struct RestartCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "restart", abstract: "Stop and start again a service instance or every instance of a service.")
    @Option(name: .long, help: "The project when the name is ambiguous.") var project: String?
    @Argument(help: "An instance or a service.") var name: String
    func run() throws {
        let r = try ServiceManager.send(ControlRequest(op: "restart", name: name), to: ServiceCommands.project(name, project))
        print(r.message)
    }
}

struct ScaleCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "scale", abstract: "Set the number of instances of a service.")
    @Option(name: .long, help: "The project when the service name is ambiguous.") var project: String?
    @Argument(help: "SERVICE=N, e.g. web=3.") var assignment: String
    func run() throws {
        let parts = assignment.split(separator: "=", maxSplits: 1).map(String.init)
        guard parts.count == 2, let n = Int(parts[1]), n >= 0 else {
            throw SwiftBoxError("scale \"\(assignment)\": expected SERVICE=N with N a number of 0 or more")
        }
        let r = try ServiceManager.send(ControlRequest(op: "scale", name: parts[0], replicas: n),
                                        to: ServiceCommands.project(parts[0], project))
        print(r.message)
    }
}

struct DownCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "down", abstract: "Stop every instance of a service file and remove its containers.")
    @Argument(help: "The service file.") var file: String
    func run() throws {
        // Without a supervisor, containers are stopped directly: use the
        // file's stop timeouts when it still parses.
        let timeout = (try? ServiceFile.load(file))?.services.map(\.stopTimeout).max() ?? 10
        try ServiceManager.down(project: ServiceFile.projectName(of: FS.absolute(file)), root: GlobalOptions.stateRoot,
                                timeout: timeout)
    }
}

struct SuperviseCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "supervise", abstract: "Run the supervisor of a service file in the foreground, without output (used by run -d).",
        shouldDisplay: false)
    @Argument(help: "The service file.") var file: String
    func run() throws {
        let f = try ServiceFile.load(file)
        let manager = ServiceManager(file: f, options: .init(root: GlobalOptions.stateRoot, showMessages: true, reapAllChildren: true))
        try manager.prepare()
        ServiceCommands.shutdownFD = manager.shutdownFD
        for sig in [SIGINT, SIGTERM] {
            signal(sig) { _ in
                var b: UInt8 = 0xFF
                _ = write(ServiceCommands.shutdownFD, &b, 1)
            }
        }
        signal(SIGHUP, SIG_IGN)
        if !manager.runPrepared() { throw CommandExit(code: 1) }
    }
}
