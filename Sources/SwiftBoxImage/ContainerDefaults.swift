import CSwiftBox
import SwiftBoxLinux
import SwiftBoxOCI
#if canImport(Glibc)
import Glibc
#endif

/// What an image's config asks of its containers, resolved against the
/// image itself (user and group names come from its own `/etc/passwd` and
/// `/etc/group`, never the host's).
public struct ContainerDefaults: Codable, Equatable, Sendable {
    /// Entrypoint followed by Cmd (empty if the image names neither).
    public var args: [String]
    /// The image's environment; PATH is added if the image sets none.
    public var env: [String]
    /// The working directory (`/` if unset).
    public var workingDir: String
    /// The user the process runs as, with the groups `/etc/group` gives it.
    public var user: User
    /// The image's `User` string as written (`app`, `1000:1000`, …), if any.
    public var userSpec: String?
    /// The signal that stops the container (SIGTERM unless the image says otherwise).
    public var stopSignal: Int32
    /// Exposed ports (`80/tcp`), sorted.
    public var exposedPorts: [String]
    /// Paths the image declares as volumes, sorted.
    public var volumes: [String]
    /// The image's labels.
    public var labels: [String: String]

    /// The PATH used when an image sets none.
    public static let defaultPath = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

    /// Sets a runtime spec's process (args, env, cwd, user) from the image and
    /// records stop signal, ports, volumes and labels as annotations (the
    /// image-spec's conversion keys `org.opencontainers.image.stopSignal`,
    /// `…exposedPorts`; labels verbatim). Empty image args keep the spec's.
    public func apply(to spec: inout Spec) {
        var process = spec.process ?? Process()
        if !args.isEmpty { process.args = args }
        let names = Set(env.map { String($0.split(separator: "=", maxSplits: 1).first ?? "") })
        process.env = (process.env ?? []).filter { !names.contains(String($0.split(separator: "=", maxSplits: 1).first ?? "")) } + env
        process.cwd = workingDir
        process.user.uid = user.uid
        process.user.gid = user.gid
        process.user.additionalGids = user.additionalGids
        spec.process = process
        var notes = spec.annotations ?? [:]
        for (k, v) in labels { notes[k] = v }
        notes["org.opencontainers.image.stopSignal"] = "SIG" + Signals.name(stopSignal)
        if !exposedPorts.isEmpty { notes["org.opencontainers.image.exposedPorts"] = exposedPorts.joined(separator: ",") }
        if !volumes.isEmpty { notes["org.swiftbox.image.volumes"] = volumes.joined(separator: ",") }
        spec.annotations = notes
    }

    /// Resolves a Docker-style user (`name`, `uid`, `name:group`, `uid:gid`, …)
    /// against passwd and group file contents.
    public static func resolveUser(_ text: String, passwd: String?, group: String?, image: String) throws -> User {
        let users = (passwd ?? "").split(separator: "\n").map { $0.split(separator: ":", omittingEmptySubsequences: false).map(String.init) }
            .filter { $0.count >= 4 }
        let groups = (group ?? "").split(separator: "\n").map { $0.split(separator: ":", omittingEmptySubsequences: false).map(String.init) }
            .filter { $0.count >= 3 }
        let parts = text.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false).map(String.init)
        let userPart = parts[0].isEmpty ? "0" : parts[0]
        var entry: [String]?
        let uid: UInt32
        if let n = UInt32(userPart) {
            uid = n
            entry = users.first { UInt32($0[2]) == n }
        } else {
            guard let e = users.first(where: { $0[0] == userPart }), let n = UInt32(e[2]) else {
                throw SwiftBoxError("image \(image): user \"\(userPart)\" (config $.config.User) is not in the image's /etc/passwd", errno: ENOENT)
            }
            uid = n
            entry = e
        }
        var gid: UInt32 = entry.flatMap { UInt32($0[3]) } ?? 0
        if parts.count == 2 && !parts[1].isEmpty {
            if let n = UInt32(parts[1]) { gid = n } else {
                guard let g = groups.first(where: { $0[0] == parts[1] }), let n = UInt32(g[2]) else {
                    throw SwiftBoxError("image \(image): group \"\(parts[1])\" (config $.config.User) is not in the image's /etc/group", errno: ENOENT)
                }
                gid = n
            }
        }
        var extra: [UInt32] = []
        if let name = entry?[0] {
            for g in groups where g.count >= 4 && g[3].split(separator: ",").contains(Substring(name)) {
                if let n = UInt32(g[2]), n != gid, !extra.contains(n) { extra.append(n) }
            }
        }
        var user = User(uid: uid, gid: gid, additionalGids: extra.isEmpty ? nil : extra)
        user.username = entry?[0]
        return user
    }
}

extension ImageStore {
    /// The container defaults of `image` (user names resolved from its own files).
    public func defaults(for image: Image) throws -> ContainerDefaults {
        let c = image.config.config ?? ImageConfiguration.Config()
        let label = image.names.first ?? image.id.short
        var env = c.Env ?? []
        if !env.contains(where: { $0.hasPrefix("PATH=") }) { env.insert(ContainerDefaults.defaultPath, at: 0) }
        var stop: Int32 = SIGTERM
        if let s = c.StopSignal, !s.isEmpty {
            guard let n = Signals.parse(s) else {
                throw SwiftBoxError("image \(label): config $.config.StopSignal \"\(s)\" is not a signal name or number")
            }
            stop = n
        }
        let userText = c.User ?? ""
        let user = try ContainerDefaults.resolveUser(userText, passwd: try readText("/etc/passwd", in: image),
                                                     group: try readText("/etc/group", in: image), image: label)
        let cwd = (c.WorkingDir ?? "").isEmpty ? "/" : c.WorkingDir!
        return ContainerDefaults(
            args: (c.Entrypoint ?? []) + (c.Cmd ?? []), env: env, workingDir: cwd, user: user,
            userSpec: c.User.flatMap { $0.isEmpty ? nil : $0 }, stopSignal: stop,
            exposedPorts: (c.ExposedPorts ?? [:]).keys.sorted(), volumes: (c.Volumes ?? [:]).keys.sorted(),
            labels: c.Labels ?? [:])
    }

    private func readText(_ path: String, in image: Image) throws -> String? {
        try readFile(path, in: image).map { String(decoding: $0, as: UTF8.self) }
    }

    /// The content of a regular file as the image's containers see it (layers
    /// merged, whiteouts and opaque directories honoured, symlinks followed
    /// inside the image); nil if there is none. Reads the unpacked layers.
    public func readFile(_ path: String, in image: Image) throws -> [UInt8]? {
        var comps = FS.clean("/" + path).split(separator: "/").map(String.init)
        var links = 0
        let layers = image.layers.reversed().map { layerPath($0.diffID) }
        restart: while true {
            for dir in layers {
                var opaque = false
                for k in 0..<comps.count {
                    let p = dir + "/" + comps[0...k].joined(separator: "/")
                    var st = stat()
                    if lstat(p, &st) != 0 { break }
                    switch st.st_mode & S_IFMT {
                    case S_IFCHR where st.st_rdev == 0:
                        return nil // whiteout
                    case S_IFLNK:
                        links += 1
                        if links > 40 { return nil }
                        let target = try FS.readLink(p)
                        let base = target.hasPrefix("/") ? [] : Array(comps[0..<k])
                        comps = FS.clean("/" + (base + [target] + comps[(k + 1)...]).joined(separator: "/"))
                            .split(separator: "/").map(String.init)
                        continue restart
                    case S_IFREG where k == comps.count - 1:
                        return try FS.read(p)
                    case S_IFDIR:
                        var v = [CChar](repeating: 0, count: 2)
                        if sb_lgetxattr(p, "trusted.overlay.opaque", &v, 2) == 1 && v[0] == 0x79 { opaque = true }
                        if k == comps.count - 1 { return nil }
                    default:
                        return nil
                    }
                }
                if opaque { return nil }
            }
            return nil
        }
    }

    /// Writes an OCI bundle for `image` at `bundle`: the image unpacked into
    /// `bundle/rootfs` (writable) and `config.json` made from `base` with the
    /// image's defaults applied. Refuses to overwrite an existing config.json.
    public func writeBundle(for image: Image, at bundle: String, base: Spec) throws {
        let dir = FS.absolute(bundle)
        let configPath = dir + "/config.json"
        if FS.exists(configPath) { throw SwiftBoxError("\(configPath) already exists; remove it first", errno: EEXIST) }
        var spec = base
        try defaults(for: image).apply(to: &spec)
        spec.root = Root(path: "rootfs", readonly: false)
        try FS.mkdirAll(dir)
        try unpack(image, into: dir + "/rootfs")
        var bytes = try JSONDocument.encode(spec, pretty: true)
        bytes.append(0x0A)
        do { try FS.write(configPath, bytes, create: true) } catch {
            try? removeTree(dir + "/rootfs")
            throw error
        }
    }
}
