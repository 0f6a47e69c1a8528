import Glibc
import SwiftBox

/// A hand-written parser for the OCI commands engines call on every container
/// start (`create`, `start`, `state`, `kill`, `delete`, `run` of a bundle).
///
/// Why: swift-argument-parser resolves its property wrappers through runtime
/// reflection, which measured at about half of the instructions of a
/// `swiftbox state` call. These commands are the hot path of podman and
/// containerd, so they skip it. Anything this parser does not fully understand
/// (help, an unknown flag, a service file for `run`) returns nil and goes to
/// swift-argument-parser, which owns usage messages and the other commands.
enum FastPath {
    /// Runs the command if it is a plain OCI lifecycle call; nil otherwise.
    static func handle(_ args: [String]) -> Int32? {
        guard let command = args.first else { return nil }
        var rest = Array(args.dropFirst())
        guard let parsed = parse(&rest, flags: { flag(command, $0) }, values: { value(command, $0) }) else { return nil }
        let root = GlobalOptions.stateRoot
        do {
            switch command {
            case "create":
                guard rest.count == 1 else { return nil }
                try Container.create(id: rest[0], bundle: parsed["bundle"] ?? ".", options: try createOptions(parsed))
            case "run":
                guard rest.count == 1, !looksLikeServiceFile(rest[0]) else { return nil }
                let code = try Container.run(id: rest[0], bundle: parsed["bundle"] ?? ".",
                                             options: try createOptions(parsed), detach: parsed["detach"] != nil)
                return code
            case "start":
                guard rest.count == 1 else { return nil }
                try Container(id: rest[0], root: root).start()
            case "state":
                guard rest.count == 1 else { return nil }
                let s = try Container(id: rest[0], root: root).state()
                var out = try JSONDocument.encode(s, pretty: true)
                out.append(0x0A)
                try FS.writeAll(fd: 1, out, what: "stdout")
            case "kill":
                guard rest.count == 1 || rest.count == 2 else { return nil }
                guard let sig = Signals.parse(rest.count == 2 ? rest[1] : "TERM") else { return nil }
                try Container(id: rest[0], root: root).kill(signal: sig, all: parsed["all"] != nil)
            case "delete":
                guard rest.count == 1 else { return nil }
                let force = parsed["force"] != nil
                do { try Container(id: rest[0], root: root).delete(force: force) } catch let e as SwiftBoxError
                    where e.errno == ENOENT && force && !FS.exists(root.directory(of: rest[0])) {
                    // runc: delete --force of a container that is already gone succeeds.
                }
            default:
                return nil
            }
            return 0
        } catch let e as SwiftBoxError {
            RuntimeLog.error(e.message)
            return 1
        } catch {
            RuntimeLog.error("\(error)")
            return 1
        }
    }

    // The flag tables are switches, not dictionary literals: building nested
    // dictionaries (hashing, generic metadata) cost more than the parse.

    /// Boolean flags per command: spelling → canonical name.
    static func flag(_ command: String, _ name: String) -> String? {
        switch (command, name) {
        case ("create", "--no-pivot"), ("run", "--no-pivot"): return "no-pivot"
        case ("create", "--no-new-keyring"), ("run", "--no-new-keyring"): return "no-new-keyring"
        case ("run", "-d"), ("run", "--detach"): return "detach"
        case ("kill", "-a"), ("kill", "--all"): return "all"
        case ("delete", "-f"), ("delete", "--force"): return "force"
        default: return nil
        }
    }

    /// Flags that take a value, per command: spelling → canonical name.
    static func value(_ command: String, _ name: String) -> String? {
        guard command == "create" || command == "run" else { return nil }
        switch name {
        case "-b", "--bundle": return "bundle"
        case "--pid-file": return "pid-file"
        case "--console-socket": return "console-socket"
        case "--preserve-fds": return "preserve-fds"
        default: return nil
        }
    }

    /// Splits flags from positionals; nil on anything unknown.
    static func parse(_ args: inout [String], flags: (String) -> String?, values: (String) -> String?) -> [String: String]? {
        var out: [String: String] = [:]
        var positional: [String] = []
        var i = 0
        while i < args.count {
            let a = args[i]
            if a == "--" { positional += args[(i + 1)...]; break }
            if a.hasPrefix("-") && a != "-" {
                var name = a
                var inline: String?
                if let eq = a.firstIndex(of: "="), a.hasPrefix("--") {
                    name = String(a[..<eq])
                    inline = String(a[a.index(after: eq)...])
                }
                if let canonical = flags(name), inline == nil {
                    out[canonical] = "true"
                } else if let canonical = values(name) {
                    if let inline { out[canonical] = inline }
                    else if i + 1 < args.count { i += 1; out[canonical] = args[i] }
                    else { return nil }
                } else {
                    return nil
                }
            } else {
                positional.append(a)
            }
            i += 1
        }
        args = positional
        return out
    }

    static func createOptions(_ parsed: [String: String]) throws -> CreateOptions {
        var options = CreateOptions(root: GlobalOptions.stateRoot, pidFile: parsed["pid-file"],
                                    consoleSocket: parsed["console-socket"], noPivot: parsed["no-pivot"] != nil,
                                    systemdCgroup: GlobalOptions.systemdCgroup)
        if let n = parsed["preserve-fds"] {
            guard let count = Int(n) else {
                throw SwiftBoxError("--preserve-fds: \"\(n)\" is not a number of descriptors (0 or more)")
            }
            options.preserveFDs = count
        }
        return options
    }

    /// `run FILE.json` is the service runner's, not the OCI `run ID`.
    static func looksLikeServiceFile(_ arg: String) -> Bool {
        arg.hasSuffix(".json") || arg.contains("/") || FS.exists(arg)
    }
}
