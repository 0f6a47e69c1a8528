#if canImport(Glibc)
import Glibc
#endif
import SwiftBoxLinux
import SwiftBoxOCI
import SwiftBoxRuntime

/// One problem found in a service file: where (file, line, JSON path) and what.
public struct ServiceFileProblem: Equatable, Sendable, CustomStringConvertible {
    public var file: String
    public var line: Int?
    /// `$[1].restart.policy` style.
    public var path: String
    public var message: String
    public var description: String {
        "\(file):\(line.map(String.init) ?? "?"): \(path): \(message)"
    }
}

/// A parsed and checked `service.json`: one service object or a list of them.
public struct ServiceFile: Sendable {
    /// The absolute path of the file.
    public let path: String
    /// The project name: the file name without `.json` (supervisor state lives
    /// under `<root>/services/<project>`).
    public let project: String
    /// The services, in file order.
    public var services: [ServiceDefinition]

    /// Loads and checks a service file. Every problem is reported at once in
    /// one error, one line per problem with file, line and JSON path.
    public static func load(_ path: String, images: any ImageProvider = StoreImageProvider()) throws -> ServiceFile {
        let (file, problems) = check(path, images: images)
        if let file, problems.isEmpty { return file }
        let head = problems.count == 1 ? "1 problem" : "\(problems.count) problems"
        throw SwiftBoxError("\(FS.absolute(path)) is not a valid service file (\(head)); nothing was started:\n"
                            + problems.map { "  " + $0.description }.joined(separator: "\n"))
    }

    /// Parses a service file and returns it with every problem found (the file is
    /// nil when it cannot be read or is not JSON).
    public static func check(_ path: String, images: any ImageProvider = StoreImageProvider()) -> (ServiceFile?, [ServiceFileProblem]) {
        let abs = FS.absolute(path)
        let bytes: [UInt8]
        do { bytes = try FS.read(abs) } catch {
            return (nil, [ServiceFileProblem(file: abs, line: nil, path: "$", message: "cannot read the file: \("\(error)")")])
        }
        let value: JSONValue
        do { value = try JSONDocument.decode(JSONValue.self, from: bytes, file: abs) } catch {
            return (nil, [ServiceFileProblem(file: abs, line: nil, path: "$", message: "\(error)")])
        }
        var parser = ServiceFileParser(file: abs, bytes: bytes, images: images)
        let services = parser.parse(value)
        let project = projectName(of: abs)
        let sorted = parser.problems.enumerated().sorted {
            ($0.element.line ?? Int.max, $0.offset) < ($1.element.line ?? Int.max, $1.offset)
        }.map(\.element)
        return (ServiceFile(path: abs, project: project, services: services), sorted)
    }

    /// The project name of a service file: its name without `.json`.
    public static func projectName(of path: String) -> String {
        let name = FS.basename(path)
        var project = name.hasSuffix(".json") ? String(name.dropLast(5)) : name
        project = String(project.map { $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" || $0 == "." ? $0 : "_" })
        return project.isEmpty || project.hasPrefix(".") ? "services" : project
    }

    /// Services in an order where each comes after the services it depends on.
    public var startOrder: [ServiceDefinition] {
        var done = Set<String>()
        var out: [ServiceDefinition] = []
        var remaining = services
        while !remaining.isEmpty {
            let ready = remaining.filter { s in s.dependsOn.allSatisfy { done.contains($0.service) } }
            if ready.isEmpty { return out + remaining } // cycles are rejected by the parser
            for s in ready { done.insert(s.name) }
            out += ready
            remaining.removeAll { s in ready.contains { $0.name == s.name } }
        }
        return out
    }

    /// The service called `name`.
    public func service(_ name: String) -> ServiceDefinition? { services.first { $0.name == name } }
}

/// Walks the JSON of a service file, collecting every problem instead of
/// stopping at the first.
struct ServiceFileParser {
    typealias Step = JSONLocator.Step
    let file: String
    let bytes: [UInt8]
    let images: any ImageProvider
    var problems: [ServiceFileProblem] = []
    var baseDirectory: String { FS.dirname(file) }

    static let serviceFields = [
        "name", "image", "entrypoint", "command", "env", "envFile", "workdir", "user", "hostname", "replicas",
        "restart", "resources", "mounts", "network", "readonlyRootfs", "capabilities", "seccomp", "healthcheck",
        "stopSignal", "stopTimeout", "dependsOn", "labels",
    ]
    /// docker compose spellings and what this file calls them.
    static let composeNames = [
        "environment": "env", "env_file": "envFile", "working_dir": "workdir", "read_only": "readonlyRootfs",
        "cap_add": "capabilities.add", "cap_drop": "capabilities.drop", "stop_signal": "stopSignal",
        "stop_grace_period": "stopTimeout", "depends_on": "dependsOn", "volumes": "mounts",
        "network_mode": "network", "deploy": "replicas / resources", "security_opt": "seccomp",
        "container_name": "name", "mem_limit": "resources.memory", "pids_limit": "resources.pids",
    ]

    init(file: String, bytes: [UInt8], images: any ImageProvider) {
        self.file = file; self.bytes = bytes; self.images = images
    }

    mutating func problem(_ path: [Step], _ message: String) {
        var text = "$"
        for s in path {
            switch s {
            case .key(let k): text += "." + k
            case .index(let i): text += "[\(i)]"
            }
        }
        problems.append(ServiceFileProblem(file: file, line: JSONLocator.line(of: path, in: bytes), path: text, message: message))
    }

    static func kind(_ v: JSONValue) -> String {
        switch v {
        case .null: return "null"
        case .bool: return "a boolean"
        case .number: return "a number"
        case .string: return "a string"
        case .array: return "an array"
        case .object: return "an object"
        }
    }

    // MARK: typed accessors (each reports its own problem and returns nil)

    mutating func string(_ v: JSONValue, _ p: [Step]) -> String? {
        if case .string(let s) = v { return s }
        problem(p, "expected a string, found \(Self.kind(v))")
        return nil
    }

    mutating func bool(_ v: JSONValue, _ p: [Step]) -> Bool? {
        if case .bool(let b) = v { return b }
        problem(p, "expected true or false, found \(Self.kind(v))")
        return nil
    }

    mutating func integer(_ v: JSONValue, _ p: [Step]) -> Int? {
        if case .number(let n) = v, n == n.rounded(), abs(n) < 1e15 { return Int(n) }
        problem(p, "expected a whole number, found \(Self.kind(v))\(Self.kind(v) == "a number" ? " with a fraction" : "")")
        return nil
    }

    mutating func strings(_ v: JSONValue, _ p: [Step]) -> [String]? {
        guard case .array(let items) = v else {
            problem(p, "expected an array of strings, found \(Self.kind(v))")
            return nil
        }
        var out: [String] = []
        for (i, item) in items.enumerated() { if let s = string(item, p + [.index(i)]) { out.append(s) } }
        return out.count == items.count ? out : nil
    }

    /// A command as an array, or a string run by `/bin/sh -c`.
    mutating func command(_ v: JSONValue, _ p: [Step]) -> [String]? {
        if case .string(let s) = v { return ["/bin/sh", "-c", s] }
        if case .array = v { return strings(v, p) }
        problem(p, "expected a command: an array of strings or a string for /bin/sh -c, found \(Self.kind(v))")
        return nil
    }

    mutating func duration(_ v: JSONValue, _ p: [Step]) -> Double? {
        switch v {
        case .number(let n) where n >= 0: return n
        case .string(let s):
            if let d = Quantity.seconds(s) { return d }
            problem(p, "\"\(s)\" is not a duration; write e.g. \"10s\", \"1m30s\", \"500ms\" or a number of seconds")
        default: problem(p, "expected a duration such as \"10s\", found \(Self.kind(v))")
        }
        return nil
    }

    mutating func size(_ v: JSONValue, _ p: [Step]) -> Int64? {
        switch v {
        case .number(let n) where n >= 0 && n == n.rounded(): return Int64(n)
        case .string(let s):
            if let b = Quantity.bytes(s) { return b }
            problem(p, "\"\(s)\" is not a size; write e.g. \"64M\", \"1.5G\", \"512k\" or a number of bytes")
        default: problem(p, "expected a size such as \"64M\", found \(Self.kind(v))")
        }
        return nil
    }

    /// The fields of an object, reporting unknown ones.
    mutating func object(_ v: JSONValue, _ p: [Step], allowed: [String], what: String) -> [String: JSONValue]? {
        guard case .object(let o) = v else {
            problem(p, "expected \(what) (an object), found \(Self.kind(v))")
            return nil
        }
        for key in o.keys.sorted() where !allowed.contains(key) {
            var hint = ""
            if let c = Self.composeNames[key] { hint = "; swiftbox calls it \"\(c)\"" }
            else if let near = allowed.min(by: { Self.distance($0, key) < Self.distance($1, key) }),
                    Self.distance(near, key) <= max(2, key.count / 3) { hint = "; did you mean \"\(near)\"?" }
            problem(p + [.key(key)], "unknown field \"\(key)\"\(hint) (known: \(allowed.joined(separator: ", ")))")
        }
        return o
    }

    static func distance(_ a: String, _ b: String) -> Int {
        let a = Array(a.lowercased()), b = Array(b.lowercased())
        if a.isEmpty || b.isEmpty { return max(a.count, b.count) }
        var prev = Array(0...b.count)
        for i in 1...a.count {
            var cur = [i] + Array(repeating: 0, count: b.count)
            for j in 1...b.count {
                cur[j] = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1))
            }
            prev = cur
        }
        return prev[b.count]
    }

    static func validName(_ s: String) -> Bool {
        guard let first = s.unicodeScalars.first, s.count <= 63 else { return false }
        let ok: (Unicode.Scalar) -> Bool = { ($0 >= "a" && $0 <= "z") || ($0 >= "A" && $0 <= "Z") || ($0 >= "0" && $0 <= "9") }
        return ok(first) && s.unicodeScalars.allSatisfy { ok($0) || $0 == "_" || $0 == "-" || $0 == "." }
    }

    // MARK: the file

    mutating func parse(_ root: JSONValue) -> [ServiceDefinition] {
        var services: [(ServiceDefinition, [Step])] = []
        switch root {
        case .object:
            if let s = service(root, []) { services.append((s, [])) }
        case .array(let items):
            if items.isEmpty { problem([], "the list of services is empty") }
            for (i, item) in items.enumerated() {
                if let s = service(item, [.index(i)]) { services.append((s, [.index(i)])) }
            }
        default:
            problem([], "expected a service (an object) or a list of services, found \(Self.kind(root))")
        }
        var seen: [String: Int] = [:]
        for (i, (s, p)) in services.enumerated() {
            if let first = seen[s.name] {
                let line = JSONLocator.line(of: services[first].1 + [.key("name")], in: bytes)
                problem(p + [.key("name")], "duplicate service name \"\(s.name)\" (first used\(line.map { " on line \($0)" } ?? ""))")
            } else {
                seen[s.name] = i
            }
        }
        let byName = Dictionary(services.map { ($0.0.name, $0) }, uniquingKeysWith: { a, _ in a })
        for (s, p) in services {
            for (j, d) in s.dependsOn.enumerated() {
                guard let target = byName[d.service]?.0 else {
                    problem(p + [.key("dependsOn")] + dependencyStep(s, j),
                            "depends on \"\(d.service)\", which is not a service in this file")
                    continue
                }
                if d.service == s.name { problem(p + [.key("dependsOn")] + dependencyStep(s, j), "a service cannot depend on itself") }
                if d.condition == .healthy && target.healthcheck == nil {
                    problem(p + [.key("dependsOn")] + dependencyStep(s, j),
                            "waits for \"\(d.service)\" to be healthy, but \"\(d.service)\" has no healthcheck")
                }
            }
        }
        for cycle in cycles(services.map(\.0)) {
            let p = byName[cycle[0]]?.1 ?? []
            problem(p + [.key("dependsOn")], "dependency cycle: \(cycle.joined(separator: " -> ")) -> \(cycle[0])")
        }
        return services.map(\.0)
    }

    /// The JSON step of dependency `j` as it was written (array index or object key).
    func dependencyStep(_ s: ServiceDefinition, _ j: Int) -> [Step] {
        dependsOnWasObject.contains(s.name) ? [.key(s.dependsOn[j].service)] : [.index(j)]
    }
    var dependsOnWasObject = Set<String>()

    /// Each dependency cycle once, starting at its first service in file order.
    func cycles(_ services: [ServiceDefinition]) -> [[String]] {
        let deps = Dictionary(services.map { ($0.name, $0.dependsOn.map(\.service)) }, uniquingKeysWith: { a, _ in a })
        var state: [String: Int] = [:] // 1 visiting, 2 done
        var found: [[String]] = []
        var stack: [String] = []
        func visit(_ n: String) {
            state[n] = 1
            stack.append(n)
            for d in deps[n] ?? [] where deps[d] != nil && d != n {
                if state[d] == 1, let k = stack.firstIndex(of: d) { found.append(Array(stack[k...])) }
                else if state[d] == nil { visit(d) }
            }
            stack.removeLast()
            state[n] = 2
        }
        for s in services where state[s.name] == nil { visit(s.name) }
        return found
    }

    mutating func service(_ v: JSONValue, _ p: [Step]) -> ServiceDefinition? {
        guard let o = object(v, p, allowed: Self.serviceFields, what: "a service") else { return nil }
        var ok = true
        var name = ""
        if let n = o["name"] {
            if let s = string(n, p + [.key("name")]) {
                if Self.validName(s) { name = s } else {
                    problem(p + [.key("name")], "\"\(s)\" is not a usable service name: use 1 to 63 letters, digits, '_', '-' or '.', starting with a letter or digit")
                    ok = false
                }
            } else { ok = false }
        } else {
            problem(p, "missing required field \"name\""); ok = false
        }
        var image = ""
        if let i = o["image"] {
            if let s = string(i, p + [.key("image")]) {
                if let why = images.problem(with: s, relativeTo: baseDirectory) { problem(p + [.key("image")], why); ok = false }
                image = s
            } else { ok = false }
        } else {
            problem(p, "missing required field \"image\" (a root filesystem folder, an OCI layout or archive, or a stored image name)")
            ok = false
        }
        var s = ServiceDefinition(name: name, image: image, arguments: [], baseDirectory: baseDirectory)
        var entrypoint: [String] = []
        var command: [String] = []
        if let e = o["entrypoint"] { if let c = self.command(e, p + [.key("entrypoint")]) { entrypoint = c } else { ok = false } }
        if let c = o["command"] { if let c = self.command(c, p + [.key("command")]) { command = c } else { ok = false } }
        s.arguments = entrypoint + command
        if s.arguments.isEmpty && o["entrypoint"] == nil && o["command"] == nil && !image.isEmpty
            && images.problem(with: image, relativeTo: baseDirectory) == nil
            && !images.providesCommand(image, relativeTo: baseDirectory) {
            problem(p, "no command: give \"command\" (or \"entrypoint\"); the image \"\(image)\" does not name one")
            ok = false
        }
        if let f = o["envFile"] { ok = envFiles(f, p + [.key("envFile")], into: &s) && ok }
        if let e = o["env"] { ok = env(e, p + [.key("env")], into: &s) && ok }
        if let w = o["workdir"] {
            if let w = string(w, p + [.key("workdir")]) {
                if w.hasPrefix("/") { s.workdir = w } else { problem(p + [.key("workdir")], "must be an absolute path, got \"\(w)\""); ok = false }
            } else { ok = false }
        }
        if let u = o["user"] {
            if let u = string(u, p + [.key("user")]), !u.isEmpty { s.user = u } else {
                if case .string = u { problem(p + [.key("user")], "must not be empty") }
                ok = false
            }
        }
        if let h = o["hostname"] { if let h = string(h, p + [.key("hostname")]) { s.hostname = h } else { ok = false } }
        if let r = o["replicas"] {
            if let n = integer(r, p + [.key("replicas")]) {
                if n < 0 { problem(p + [.key("replicas")], "must be 0 or more, got \(n)"); ok = false } else { s.replicas = n }
            } else { ok = false }
        }
        if let r = o["restart"] { if let r = restart(r, p + [.key("restart")]) { s.restart = r } else { ok = false } }
        if let r = o["resources"] { if let r = resources(r, p + [.key("resources")]) { s.resources = r } else { ok = false } }
        if let m = o["mounts"] { if let m = mounts(m, p + [.key("mounts")]) { s.mounts = m } else { ok = false } }
        if let n = o["network"] {
            if let t = string(n, p + [.key("network")]) {
                if let mode = NetworkMode(rawValue: t) { s.network = mode } else {
                    problem(p + [.key("network")], "\"\(t)\" is not a network mode; use none, host or private"); ok = false
                }
            } else { ok = false }
        }
        if let r = o["readonlyRootfs"] { if let b = bool(r, p + [.key("readonlyRootfs")]) { s.readonlyRootfs = b } else { ok = false } }
        if let c = o["capabilities"] {
            let cp = p + [.key("capabilities")]
            if let co = object(c, cp, allowed: ["add", "drop"], what: "capabilities {add, drop}") {
                for key in ["add", "drop"] {
                    guard let list = co[key] else { continue }
                    guard let names = strings(list, cp + [.key(key)]) else { ok = false; continue }
                    var normalized: [String] = []
                    for (i, n) in names.enumerated() {
                        let full = n.uppercased().hasPrefix("CAP_") ? n.uppercased() : "CAP_" + n.uppercased()
                        if n.uppercased() == "ALL" { normalized.append("ALL") }
                        else if CapabilitySet.names.contains(full) { normalized.append(full) }
                        else { problem(cp + [.key(key), .index(i)], "unknown capability \"\(n)\""); ok = false }
                    }
                    if key == "add" { s.capabilitiesAdded = normalized } else { s.capabilitiesDropped = normalized }
                }
            } else { ok = false }
        }
        if let c = o["seccomp"] {
            if let t = string(c, p + [.key("seccomp")]) {
                switch t {
                case "default": s.seccomp = .default
                case "unconfined": s.seccomp = .unconfined
                default:
                    let path = FS.clean(t.hasPrefix("/") ? t : baseDirectory + "/" + t)
                    if FS.exists(path) { s.seccomp = .profile(path) } else {
                        problem(p + [.key("seccomp")], "\"\(t)\" is not default, unconfined or an existing profile file (\(path) does not exist)")
                        ok = false
                    }
                }
            } else { ok = false }
        }
        if let h = o["healthcheck"] { if let h = healthcheck(h, p + [.key("healthcheck")]) { s.healthcheck = h } else { ok = false } }
        if let sig = o["stopSignal"] {
            if let t = string(sig, p + [.key("stopSignal")]) {
                if let n = Signals.parse(t) { s.stopSignal = n } else {
                    problem(p + [.key("stopSignal")], "unknown signal \"\(t)\"; use a name such as SIGTERM or SIGINT"); ok = false
                }
            } else { ok = false }
        }
        if let t = o["stopTimeout"] { if let d = duration(t, p + [.key("stopTimeout")]) { s.stopTimeout = d } else { ok = false } }
        if let d = o["dependsOn"] { if let d = dependsOn(d, p + [.key("dependsOn")], service: name) { s.dependsOn = d } else { ok = false } }
        if let l = o["labels"] {
            if case .object(let lo) = l {
                for (k, v) in lo.sorted(by: { $0.key < $1.key }) {
                    if let sv = string(v, p + [.key("labels"), .key(k)]) { s.labels[k] = sv } else { ok = false }
                }
            } else { problem(p + [.key("labels")], "expected an object of strings, found \(Self.kind(l))"); ok = false }
        }
        // A service with a bad field is still returned (when named) so that
        // duplicate names and dependency cycles are reported in the same pass.
        _ = ok
        return name.isEmpty ? nil : s
    }

    mutating func setEnv(_ pair: String, into s: inout ServiceDefinition) {
        let key = pair.split(separator: "=", maxSplits: 1).first.map(String.init) ?? pair
        s.environment.removeAll { $0.split(separator: "=", maxSplits: 1).first.map(String.init) == key }
        s.environment.append(pair)
    }

    mutating func env(_ v: JSONValue, _ p: [Step], into s: inout ServiceDefinition) -> Bool {
        var ok = true
        switch v {
        case .object(let o):
            for (k, value) in o.sorted(by: { $0.key < $1.key }) {
                switch value {
                case .string(let t): setEnv("\(k)=\(t)", into: &s)
                case .number(let n): setEnv("\(k)=\(n == n.rounded() && abs(n) < 1e15 ? String(Int(n)) : String(n))", into: &s)
                case .bool(let b): setEnv("\(k)=\(b)", into: &s)
                default: problem(p + [.key(k)], "expected a string, number or boolean, found \(Self.kind(value))"); ok = false
                }
            }
        case .array(let items):
            for (i, item) in items.enumerated() {
                guard let t = string(item, p + [.index(i)]) else { ok = false; continue }
                if t.contains("=") { setEnv(t, into: &s) } else { problem(p + [.index(i)], "expected NAME=VALUE, got \"\(t)\""); ok = false }
            }
        default:
            problem(p, "expected an object {NAME: value} or an array of \"NAME=VALUE\", found \(Self.kind(v))"); ok = false
        }
        return ok
    }

    mutating func envFiles(_ v: JSONValue, _ p: [Step], into s: inout ServiceDefinition) -> Bool {
        var list: [(String, [Step])] = []
        if case .string(let f) = v { list = [(f, p)] }
        else if case .array(let items) = v {
            for (i, item) in items.enumerated() { if let f = string(item, p + [.index(i)]) { list.append((f, p + [.index(i)])) } else { return false } }
        } else { problem(p, "expected a file name or an array of them, found \(Self.kind(v))"); return false }
        var ok = true
        for (f, fp) in list {
            let path = FS.clean(f.hasPrefix("/") ? f : baseDirectory + "/" + f)
            guard let text = try? FS.readString(path) else {
                problem(fp, "cannot read env file \(path)"); ok = false; continue
            }
            for (n, raw) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
                let line = raw.trimmingWhitespace()
                if line.isEmpty || line.hasPrefix("#") { continue }
                let body = line.hasPrefix("export ") ? String(line.dropFirst(7)) : line
                guard let eq = body.firstIndex(of: "="), eq != body.startIndex else {
                    problem(fp, "\(path):\(n + 1): expected NAME=VALUE, got \"\(line)\""); ok = false; continue
                }
                var value = String(body[body.index(after: eq)...])
                if value.count >= 2, let q = value.first, q == "\"" || q == "'", value.last == q { value = String(value.dropFirst().dropLast()) }
                setEnv(String(body[..<eq]) + "=" + value, into: &s)
            }
        }
        return ok
    }

    mutating func restart(_ v: JSONValue, _ p: [Step]) -> RestartPolicy? {
        var r = RestartPolicy()
        let conditions = RestartPolicy.Condition.allCases.map(\.rawValue).joined(separator: ", ")
        if case .string(let t) = v {
            guard let c = RestartPolicy.Condition(rawValue: t) else { problem(p, "\"\(t)\" is not a restart policy; use \(conditions)"); return nil }
            r.condition = c
            return r
        }
        guard let o = object(v, p, allowed: ["policy", "maxRetries", "backoff"], what: "a restart policy") else { return nil }
        var ok = true
        if let pv = o["policy"] {
            if let t = string(pv, p + [.key("policy")]) {
                if let c = RestartPolicy.Condition(rawValue: t) { r.condition = c } else {
                    problem(p + [.key("policy")], "\"\(t)\" is not a restart policy; use \(conditions)"); ok = false
                }
            } else { ok = false }
        }
        if let m = o["maxRetries"] {
            if let n = integer(m, p + [.key("maxRetries")]) {
                if n < 0 { problem(p + [.key("maxRetries")], "must be 0 or more, got \(n)"); ok = false } else { r.maxRetries = n }
            } else { ok = false }
        }
        if let b = o["backoff"] {
            let bp = p + [.key("backoff")]
            if let bo = object(b, bp, allowed: ["initial", "max"], what: "a backoff {initial, max}") {
                if let i = bo["initial"] { if let d = duration(i, bp + [.key("initial")]) { r.initialBackoff = d } else { ok = false } }
                if let m = bo["max"] { if let d = duration(m, bp + [.key("max")]) { r.maxBackoff = d } else { ok = false } }
                if bo["max"] == nil && r.initialBackoff > r.maxBackoff { r.maxBackoff = r.initialBackoff }
                if r.maxBackoff < r.initialBackoff {
                    problem(bp + [.key("max")], "must not be below backoff.initial"); ok = false
                }
            } else { ok = false }
        }
        return ok ? r : nil
    }

    mutating func resources(_ v: JSONValue, _ p: [Step]) -> ResourceLimits? {
        guard let o = object(v, p, allowed: ["memory", "cpus", "pids"], what: "resources {memory, cpus, pids}") else { return nil }
        var r = ResourceLimits()
        var ok = true
        if let m = o["memory"] {
            if let b = size(m, p + [.key("memory")]) {
                if b < 4096 * 1024 / 4 { problem(p + [.key("memory")], "\(b) bytes is too small a memory limit (at least 1M)"); ok = false }
                else { r.memory = b }
            } else { ok = false }
        }
        if let c = o["cpus"] {
            switch c {
            case .number(let n) where n > 0: r.cpus = n
            case .string(let t) where Quantity.cpus(t) != nil: r.cpus = Quantity.cpus(t)
            default: problem(p + [.key("cpus")], "expected a positive number of CPUs such as 1.5 or \"0.5\""); ok = false
            }
        }
        if let n = o["pids"] {
            if let k = integer(n, p + [.key("pids")]) {
                if k < 1 { problem(p + [.key("pids")], "must be at least 1, got \(k)"); ok = false } else { r.pids = Int64(k) }
            } else { ok = false }
        }
        return ok ? r : nil
    }

    mutating func mounts(_ v: JSONValue, _ p: [Step]) -> [ServiceMount]? {
        guard case .array(let items) = v else { problem(p, "expected an array of mounts, found \(Self.kind(v))"); return nil }
        var out: [ServiceMount] = []
        var ok = true
        for (i, item) in items.enumerated() {
            if let m = mount(item, p + [.index(i)]) { out.append(m) } else { ok = false }
        }
        return ok ? out : nil
    }

    mutating func mount(_ v: JSONValue, _ p: [Step]) -> ServiceMount? {
        var kind: ServiceMount.Kind?
        var source = ""
        var target = ""
        var readOnly = false
        var tmpfsSize: Int64?
        if case .string(let t) = v {
            // The docker short form: SOURCE:TARGET[:ro|rw].
            let parts = t.split(separator: ":", omittingEmptySubsequences: false).map(String.init)
            guard parts.count == 2 || parts.count == 3, !parts[0].isEmpty, !parts[1].isEmpty else {
                problem(p, "expected \"SOURCE:TARGET[:ro]\", got \"\(t)\""); return nil
            }
            if parts.count == 3 {
                guard parts[2] == "ro" || parts[2] == "rw" else { problem(p, "mode \"\(parts[2])\" is not ro or rw"); return nil }
                readOnly = parts[2] == "ro"
            }
            source = parts[0]; target = parts[1]
            kind = source.hasPrefix("/") || source.hasPrefix(".") ? .bind : .volume
        } else {
            guard let o = object(v, p, allowed: ["type", "source", "target", "readOnly", "size"], what: "a mount") else { return nil }
            if let t = o["type"] {
                guard let ts = string(t, p + [.key("type")]) else { return nil }
                guard let k = ServiceMount.Kind(rawValue: ts) else { problem(p + [.key("type")], "\"\(ts)\" is not bind, volume or tmpfs"); return nil }
                kind = k
            }
            if let s = o["source"] { guard let s = string(s, p + [.key("source")]) else { return nil }; source = s }
            if let t = o["target"] { guard let t = string(t, p + [.key("target")]) else { return nil }; target = t } else {
                problem(p, "missing required field \"target\""); return nil
            }
            if let r = o["readOnly"] { guard let b = bool(r, p + [.key("readOnly")]) else { return nil }; readOnly = b }
            if let z = o["size"] { guard let b = size(z, p + [.key("size")]) else { return nil }; tmpfsSize = b }
            if kind == nil { kind = source.isEmpty ? .tmpfs : (source.hasPrefix("/") || source.hasPrefix(".") ? .bind : .volume) }
        }
        guard target.hasPrefix("/") else { problem(p, "target must be an absolute path, got \"\(target)\""); return nil }
        switch kind! {
        case .bind:
            source = FS.clean(source.hasPrefix("/") ? source : baseDirectory + "/" + source)
            guard FS.exists(source) else { problem(p, "bind source \(source) does not exist"); return nil }
        case .volume:
            guard Self.validName(source) else { problem(p, "volume name \"\(source)\" must be letters, digits, '_', '-' or '.'"); return nil }
        case .tmpfs:
            if !source.isEmpty { problem(p, "a tmpfs mount takes no source"); return nil }
        }
        if tmpfsSize != nil && kind != .tmpfs { problem(p + [.key("size")], "size applies to tmpfs mounts only"); return nil }
        return ServiceMount(kind: kind!, source: source, target: target, readOnly: readOnly, size: tmpfsSize)
    }

    mutating func healthcheck(_ v: JSONValue, _ p: [Step]) -> HealthCheck? {
        guard let o = object(v, p, allowed: ["command", "interval", "timeout", "retries", "startPeriod"], what: "a healthcheck") else { return nil }
        guard let c = o["command"] else { problem(p, "missing required field \"command\""); return nil }
        guard var cmd = command(c, p + [.key("command")]) else { return nil }
        // docker's ["CMD", …] and ["CMD-SHELL", "…"] forms.
        if cmd.first == "CMD" { cmd.removeFirst() }
        else if cmd.first == "CMD-SHELL" { cmd = ["/bin/sh", "-c", cmd.dropFirst().joined(separator: " ")] }
        guard !cmd.isEmpty else { problem(p + [.key("command")], "must not be empty"); return nil }
        var h = HealthCheck(command: cmd)
        var ok = true
        if let i = o["interval"] { if let d = duration(i, p + [.key("interval")]) { h.interval = d } else { ok = false } }
        if let t = o["timeout"] { if let d = duration(t, p + [.key("timeout")]) { h.timeout = d } else { ok = false } }
        if let s = o["startPeriod"] { if let d = duration(s, p + [.key("startPeriod")]) { h.startPeriod = d } else { ok = false } }
        if let r = o["retries"] {
            if let n = integer(r, p + [.key("retries")]) {
                if n < 1 { problem(p + [.key("retries")], "must be at least 1, got \(n)"); ok = false } else { h.retries = n }
            } else { ok = false }
        }
        if h.interval <= 0 { problem(p + [.key("interval")], "must be more than 0"); ok = false }
        if h.timeout <= 0 { problem(p + [.key("timeout")], "must be more than 0"); ok = false }
        return ok ? h : nil
    }

    mutating func dependsOn(_ v: JSONValue, _ p: [Step], service: String) -> [Dependency]? {
        let conditions = Dependency.Condition.allCases.map(\.rawValue).joined(separator: ", ")
        switch v {
        case .array(let items):
            guard let names = strings(v, p) else { return nil }
            _ = items
            return names.map { Dependency(service: $0) }
        case .object(let o):
            dependsOnWasObject.insert(service)
            var out: [Dependency] = []
            var ok = true
            for (k, dv) in o.sorted(by: { $0.key < $1.key }) {
                let dp = p + [.key(k)]
                if case .string(let t) = dv {
                    if let c = Dependency.Condition(rawValue: t) { out.append(Dependency(service: k, condition: c)) } else {
                        problem(dp, "\"\(t)\" is not a condition; use \(conditions)"); ok = false
                    }
                    continue
                }
                guard let d = object(dv, dp, allowed: ["condition"], what: "a dependency {condition}") else { ok = false; continue }
                var dep = Dependency(service: k)
                if let c = d["condition"] {
                    if let t = string(c, dp + [.key("condition")]) {
                        if let cond = Dependency.Condition(rawValue: t) { dep.condition = cond } else {
                            problem(dp + [.key("condition")], "\"\(t)\" is not a condition; use \(conditions)"); ok = false
                        }
                    } else { ok = false }
                }
                out.append(dep)
            }
            return ok ? out : nil
        default:
            problem(p, "expected a list of service names or an object {service: {condition}}, found \(Self.kind(v))")
            return nil
        }
    }
}
