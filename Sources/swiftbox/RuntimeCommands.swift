import ArgumentParser
import Glibc
import SwiftBox

struct CreateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "create", abstract: "Create a container from a bundle; its process waits for `start`.")
    @Option(name: [.customShort("b"), .long], help: "The bundle folder (holds config.json).") var bundle: String = "."
    @Option(name: .long, help: "Write the container's pid to this file.") var pidFile: String?
    @Option(name: .long, help: "Unix socket that receives the terminal's master fd.") var consoleSocket: String?
    @Flag(name: .long, help: "Use MS_MOVE and chroot instead of pivot_root.") var noPivot = false
    @Flag(name: .long, help: "Do not create a session keyring (accepted for runc compatibility).") var noNewKeyring = false
    @Option(name: .long, help: "Pass the descriptors 3…3+N-1 to the container's process.") var preserveFds: Int = 0
    @Argument(help: "The container id.") var id: String

    func run() throws {
        var options = CreateOptions(
            root: GlobalOptions.stateRoot, pidFile: pidFile, consoleSocket: consoleSocket, noPivot: noPivot,
            systemdCgroup: GlobalOptions.systemdCgroup)
        options.preserveFDs = preserveFds
        try Container.create(id: id, bundle: bundle, options: options)
    }
}

struct StartCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "start", abstract: "Run the process of a created container.")
    @Argument(help: "The container id.") var id: String
    func run() throws { try Container(id: id, root: GlobalOptions.stateRoot).start() }
}

struct RunCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run", abstract: "Create and start a container, wait for it and delete it.")
    @Option(name: [.customShort("b"), .long], help: "The bundle folder (holds config.json).") var bundle: String = "."
    @Flag(name: [.customShort("d"), .long], help: "Start it and return; do not wait.") var detach = false
    @Option(name: .long, help: "Write the container's pid to this file.") var pidFile: String?
    @Option(name: .long, help: "Unix socket that receives the terminal's master fd.") var consoleSocket: String?
    @Flag(name: .long, help: "Use MS_MOVE and chroot instead of pivot_root.") var noPivot = false
    @Flag(name: .long, help: "Accepted for runc compatibility.") var noNewKeyring = false
    @Option(name: .long, help: "Pass the descriptors 3…3+N-1 to the container's process.") var preserveFds: Int = 0
    @Argument(help: "The container id, or a service file (service.json) to run its services.") var id: String

    func run() throws {
        if ServiceCommands.isServiceFile(id) { return try ServiceCommands.run(file: id, detach: detach) }
        var options = CreateOptions(
            root: GlobalOptions.stateRoot, pidFile: pidFile, consoleSocket: consoleSocket, noPivot: noPivot,
            systemdCgroup: GlobalOptions.systemdCgroup)
        options.preserveFDs = preserveFds
        let code = try Container.run(id: id, bundle: bundle, options: options, detach: detach)
        if code != 0 { throw CommandExit(code: code) }
    }
}

struct StateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "state", abstract: "Print a container's state as JSON.")
    @Argument(help: "The container id.") var id: String
    func run() throws {
        let s = try Container(id: id, root: GlobalOptions.stateRoot).state()
        print(String(decoding: try JSONDocument.encode(s, pretty: true), as: UTF8.self))
    }
}

struct KillCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "kill", abstract: "Send a signal to a container (default TERM).")
    @Flag(name: [.customShort("a"), .long], help: "Signal every process of the container.") var all = false
    @Argument(help: "The container id.") var id: String
    @Argument(help: "Signal name or number (TERM, SIGKILL, 9).") var signal: String = "TERM"
    func run() throws {
        guard let sig = Signals.parse(signal) else {
            throw SwiftBoxError("unknown signal \"\(signal)\"; use a name such as TERM or KILL, or a number from 1 to 64")
        }
        try Container(id: id, root: GlobalOptions.stateRoot).kill(signal: sig, all: all)
    }
}

struct DeleteCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "delete", abstract: "Remove a stopped container.")
    @Flag(name: [.customShort("f"), .long], help: "Kill the container first if it is still running.") var force = false
    @Argument(help: "The container id.") var id: String
    func run() throws {
        let c = Container(id: id, root: GlobalOptions.stateRoot)
        do { try c.delete(force: force) } catch let e as SwiftBoxError where e.errno == ENOENT && force {
            // runc: delete --force of a container that is already gone succeeds.
            return
        }
    }
}

struct ListCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "list", abstract: "List containers.")
    @Option(name: [.customShort("f"), .long], help: "table or json.") var format: String = "table"
    @Flag(name: [.customShort("q"), .long], help: "Print only ids.") var quiet = false
    func run() throws {
        let all = Container.list(root: GlobalOptions.stateRoot)
        if quiet { all.forEach { print($0.id) }; return }
        switch format {
        case "json":
            print(String(decoding: try JSONDocument.encode(all), as: UTF8.self))
        case "table":
            var rows = [["ID", "PID", "STATUS", "BUNDLE", "CREATED", "OWNER"]]
            for s in all { rows.append([s.id, "\(s.pid ?? 0)", s.status.rawValue, s.bundle, s.created ?? "", s.owner ?? ""]) }
            printTable(rows)
        default:
            throw SwiftBoxError("--format: \"\(format)\" is not table or json")
        }
    }
}

struct PsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ps", abstract: "List the processes of a container, or (without an id) every service instance.")
    @Option(name: [.customShort("f"), .long], help: "table or json.") var format: String = "table"
    @Option(name: .long, help: "List only the instances of this service file.") var file: String?
    @Argument(help: "The container id.") var id: String?
    func run() throws {
        guard let id, file == nil else { return try ServiceCommands.ps(format: format, file: file) }
        let pids = try Container(id: id, root: GlobalOptions.stateRoot).processes()
        switch format {
        case "json": print("[" + pids.map(String.init).joined(separator: ",") + "]")
        case "table":
            var rows = [["PID", "CMD"]]
            for pid in pids {
                let cmd = ((try? FS.read("/proc/\(pid)/cmdline")) ?? []).split(separator: 0)
                    .map { String(decoding: $0, as: UTF8.self) }.joined(separator: " ")
                rows.append(["\(pid)", cmd])
            }
            printTable(rows)
        default: throw SwiftBoxError("--format: \"\(format)\" is not table or json")
        }
    }
}

struct ExecCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "exec", abstract: "Run a new process inside a container.")
    @Option(name: [.customShort("p"), .long], help: "A process.json (runtime-spec process) to run.") var process: String?
    @Flag(name: [.customShort("d"), .long], help: "Do not wait for the process.") var detach = false
    @Option(name: .long, help: "Write the process's pid to this file.") var pidFile: String?
    @Flag(name: [.customShort("t"), .long], help: "Give the process a terminal (needs --console-socket).") var tty = false
    @Option(name: .long, help: "Unix socket that receives the terminal's master fd.") var consoleSocket: String?
    @Option(name: [.customShort("e"), .long], help: "Set an environment variable (NAME=VALUE).") var env: [String] = []
    @Option(name: .long, help: "Working directory in the container.") var cwd: String?
    @Option(name: [.customShort("u"), .long], help: "UID[:GID] to run as.") var user: String?
    @Option(name: [.customLong("additional-gids"), .customShort("g")], help: "Extra group id.") var additionalGids: [UInt32] = []
    @Option(name: [.customShort("c"), .long], help: "Add a capability.") var cap: [String] = []
    @Flag(name: .long, help: "Set no_new_privs.") var noNewPrivs = false
    @Option(name: .long, help: "Pass the descriptors 3…3+N-1 to the process.") var preserveFds: Int = 0
    @Argument(help: "The container id.") var id: String
    @Argument(parsing: .captureForPassthrough, help: "The command and its arguments.") var command: [String] = []

    func run() throws {
        let c = Container(id: id, root: GlobalOptions.stateRoot)
        var p: Process
        if let file = process {
            p = try JSONDocument.load(Process.self, from: file)
        } else {
            p = try c.baseProcess()
            guard !command.isEmpty else { throw SwiftBoxError("exec: give a command after the container id, or --process FILE") }
            p.args = command
            p.terminal = tty
            p.consoleSize = nil
        }
        if !env.isEmpty {
            for e in env where !e.contains("=") { throw SwiftBoxError("--env \"\(e)\": expected NAME=VALUE") }
            let names = Set(env.map { $0.split(separator: "=", maxSplits: 1).first.map(String.init) ?? $0 })
            p.env = (p.env ?? []).filter { !names.contains(String($0.split(separator: "=", maxSplits: 1).first ?? "")) } + env
        }
        if let cwd { p.cwd = cwd }
        if let user {
            let parts = user.split(separator: ":")
            guard let uid = UInt32(parts.first ?? ""), parts.count <= 2 else {
                throw SwiftBoxError("--user \"\(user)\": expected UID or UID:GID (numbers)")
            }
            p.user.uid = uid
            if parts.count == 2 {
                guard let gid = UInt32(parts[1]) else { throw SwiftBoxError("--user \"\(user)\": GID must be a number") }
                p.user.gid = gid
            }
        }
        if !additionalGids.isEmpty { p.user.additionalGids = additionalGids }
        if !cap.isEmpty {
            var caps = p.capabilities ?? Capabilities()
            for name in cap {
                guard CapabilitySet.number(name) != nil else { throw SwiftBoxError("--cap \"\(name)\": unknown capability") }
                let full = name.uppercased().hasPrefix("CAP_") ? name.uppercased() : "CAP_" + name.uppercased()
                caps.bounding = (caps.bounding ?? []) + [full]
                caps.effective = (caps.effective ?? []) + [full]
                caps.permitted = (caps.permitted ?? []) + [full]
            }
            p.capabilities = caps
        }
        if noNewPrivs { p.noNewPrivileges = true }
        if p.terminal == true && consoleSocket == nil && detach {
            throw SwiftBoxError("exec --tty --detach needs --console-socket: nothing would hold the terminal")
        }
        var options = ExecOptions(detach: detach, pidFile: pidFile, consoleSocket: consoleSocket)
        options.preserveFDs = preserveFds
        let code = try c.exec(p, options: options)
        if !detach && code != 0 { throw CommandExit(code: code) }
    }
}

/// Prints rows as left-aligned columns separated by two spaces or more.
func printTable(_ rows: [[String]]) {
    guard let first = rows.first else { return }
    var widths = first.map(\.count)
    for row in rows { for (i, cell) in row.enumerated() where i < widths.count { widths[i] = max(widths[i], cell.count) } }
    for row in rows {
        var line = ""
        for (i, cell) in row.enumerated() {
            line += cell
            if i < row.count - 1 { line += String(repeating: " ", count: widths[i] - cell.count + 3) }
        }
        print(line)
    }
}
