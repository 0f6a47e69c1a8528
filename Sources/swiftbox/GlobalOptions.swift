import SwiftBox
import Glibc

/// runc's global flags, accepted before the command (`swiftbox --root R --log L
/// --log-format json create …`), as containerd and podman pass them.
struct GlobalOptions {
    nonisolated(unsafe) static var root = StateRoot.defaultPath
    nonisolated(unsafe) static var systemdCgroup = false

    static var stateRoot: StateRoot { StateRoot(root) }

    /// Takes the global flags off the front of the command line; returns the rest.
    static func consume() -> [String] {
        var args = Array(CommandLine.arguments.dropFirst())
        var log: String?
        var format = RuntimeLog.Format.text
        var debug = false
        func value(_ i: inout Int, _ name: String) -> String? {
            let a = args[i]
            if a.hasPrefix(name + "=") { return String(a.dropFirst(name.count + 1)) }
            if a == name, i + 1 < args.count { i += 1; return args[i] }
            return nil
        }
        var i = 0
        var rest: [String] = []
        while i < args.count {
            let a = args[i]
            if !a.hasPrefix("-") { rest = Array(args[i...]); break }
            if let v = value(&i, "--root") { root = v }
            else if let v = value(&i, "--log") { log = v }
            else if let v = value(&i, "--log-format") {
                guard let f = RuntimeLog.Format(rawValue: v) else {
                    fail("--log-format: \"\(v)\" is not text or json")
                }
                format = f
            }
            else if let _ = value(&i, "--criu") {}
            else if let v = value(&i, "--rootless") {
                if v == "true" { fail("--rootless true: swiftbox runs as root only") }
            }
            else if a == "--debug" { debug = true }
            else if a == "--systemd-cgroup" { systemdCgroup = true }
            else { rest = Array(args[i...]); break }
            i += 1
        }
        args = rest
        RuntimeLog.configure(path: log, format: format, debug: debug)
        return args
    }

    static func fail(_ message: String) -> Never {
        RuntimeLog.error(message)
        exit(2)
    }
}
