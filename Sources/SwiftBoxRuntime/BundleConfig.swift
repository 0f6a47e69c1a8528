#if canImport(Glibc)
import Glibc
#endif
import SwiftBoxLinux
import SwiftBoxOCI
import SwiftBoxSeccomp

/// An OCI bundle: a folder with `config.json` and a root filesystem, loaded and
/// checked before anything is created.
public struct BundleConfig {
    public let bundle: String
    public let spec: Spec
    public let rootfs: String
    /// config.json as read, so it can be stored and handed to init without
    /// encoding it again.
    public let raw: [UInt8]

    static let namespaceTypes = ["pid", "network", "mount", "ipc", "uts", "user", "cgroup", "time"]

    /// Loads `<bundle>/config.json` and checks it; errors name the file and field.
    public init(bundle: String) throws {
        let dir = FS.absolute(bundle)
        guard FS.isDirectory(dir) else {
            throw SwiftBoxError("bundle \(dir) is not a directory; pass --bundle with the folder that holds config.json", errno: ENOENT)
        }
        let file = dir + "/config.json"
        guard FS.exists(file) else {
            throw SwiftBoxError("\(file): no such file; run `swiftbox spec` in the bundle to write one", errno: ENOENT)
        }
        let raw = try FS.read(file)
        let spec = try JSONDocument.decode(Spec.self, from: raw, file: file)
        try Self.check(spec, file: file)
        let rootPath = spec.root!.path
        let rootfs = rootPath.hasPrefix("/") ? FS.clean(rootPath) : FS.clean(dir + "/" + rootPath)
        guard FS.isDirectory(rootfs) else {
            throw SwiftBoxError("\(file): $.root.path: root filesystem \(rootfs) does not exist or is not a directory", errno: ENOENT)
        }
        self.bundle = dir
        self.spec = spec
        self.rootfs = rootfs
        self.raw = raw
    }

    /// The checks every config must pass before create touches the system.
    public static func check(_ spec: Spec, file: String) throws {
        func fail(_ path: String, _ what: String) -> SwiftBoxError {
            var steps: [JSONLocator.Step] = []
            for part in path.dropFirst(2).split(separator: ".") {
                var name = Substring(part)
                var index: Int?
                if let b = name.firstIndex(of: "[") {
                    index = Int(name[name.index(after: b)...].dropLast())
                    name = name[..<b]
                }
                steps.append(.key(String(name)))
                if let index { steps.append(.index(index)) }
            }
            let line = (try? FS.read(file)).flatMap { JSONLocator.line(of: steps, in: $0) }
            return SwiftBoxError("\(file): \(path)\(line.map { " (line \($0))" } ?? ""): \(what)")
        }
        let major = spec.ociVersion.split(separator: ".").first
        if major != "1" {
            throw fail("$.ociVersion", "unsupported version \"\(spec.ociVersion)\"; swiftbox implements runtime-spec 1.x")
        }
        guard spec.root != nil else { throw fail("$.root", "missing; name the root filesystem with root.path") }
        guard let process = spec.process else { throw fail("$.process", "missing; swiftbox needs a process to run") }
        if process.args?.isEmpty ?? true { throw fail("$.process.args", "must name a program to run") }
        if !process.cwd.hasPrefix("/") { throw fail("$.process.cwd", "must be an absolute path, got \"\(process.cwd)\"") }
        for (i, r) in (process.rlimits ?? []).enumerated() where ProcessSetup.rlimitTypes[r.type] == nil {
            throw fail("$.process.rlimits[\(i)].type", "unknown rlimit \"\(r.type)\"")
        }
        for (i, r) in (process.rlimits ?? []).enumerated() where r.soft > r.hard {
            throw fail("$.process.rlimits[\(i)]", "soft limit \(r.soft) is above hard limit \(r.hard)")
        }
        for (i, m) in (spec.mounts ?? []).enumerated() {
            if !m.destination.hasPrefix("/") {
                throw fail("$.mounts[\(i)].destination", "must be an absolute path, got \"\(m.destination)\"")
            }
            do { _ = try MountOptions(m.options, type: m.type) } catch let e as SwiftBoxError {
                throw fail("$.mounts[\(i)].options", e.message)
            }
        }
        let linux = spec.linux ?? Linux()
        var seen = Set<String>()
        for (i, ns) in (linux.namespaces ?? []).enumerated() {
            if !namespaceTypes.contains(ns.type) {
                throw fail("$.linux.namespaces[\(i)].type", "unknown namespace \"\(ns.type)\"; use one of \(namespaceTypes.joined(separator: ", "))")
            }
            if !seen.insert(ns.type).inserted {
                throw fail("$.linux.namespaces[\(i)].type", "namespace \"\(ns.type)\" is listed twice")
            }
            if let p = ns.path, !FS.exists(p) {
                throw fail("$.linux.namespaces[\(i)].path", "\(p) does not exist")
            }
        }
        if !seen.contains("mount") {
            throw fail("$.linux.namespaces", "a mount namespace is required (swiftbox never changes the host's mounts)")
        }
        if seen.contains("user") && (linux.uidMappings?.isEmpty ?? true) && (linux.namespaces?.first { $0.type == "user" }?.path == nil) {
            throw fail("$.linux.uidMappings", "a new user namespace needs uidMappings and gidMappings")
        }
        if let prop = linux.rootfsPropagation, MountOptions.propagation(prop) == nil {
            throw fail("$.linux.rootfsPropagation", "unknown value \"\(prop)\"")
        }
        for (i, d) in (linux.devices ?? []).enumerated() {
            if !["c", "u", "b", "p"].contains(d.type) {
                throw fail("$.linux.devices[\(i)].type", "\"\(d.type)\" is not a device type; use c, u, b or p")
            }
            if !d.path.hasPrefix("/") { throw fail("$.linux.devices[\(i)].path", "must be an absolute path") }
        }
        if let s = linux.seccomp {
            do { try SeccompFilter.validate(s) } catch let e as SwiftBoxError {
                throw SwiftBoxError("\(file): $.linux.seccomp: \(e.message)", errno: e.errno)
            }
        }
        if linux.intelRdt != nil { throw fail("$.linux.intelRdt", "Intel RDT is not supported by swiftbox") }
        // A profile the host cannot enforce anyway is ignored (as runc does);
        // one it could enforce is refused rather than silently dropped.
        if let p = process.apparmorProfile, !p.isEmpty {
            if FS.exists("/sys/kernel/security/apparmor") {
                throw fail("$.process.apparmorProfile", "AppArmor profiles are not supported by swiftbox; remove the field")
            }
            RuntimeLog.debug("AppArmor is not enabled on this host; ignoring profile \(p)")
        }
        if let l = process.selinuxLabel, !l.isEmpty {
            if FS.exists("/sys/fs/selinux/enforce") {
                throw fail("$.process.selinuxLabel", "SELinux labels are not supported by swiftbox; remove the field")
            }
            RuntimeLog.debug("SELinux is not enabled on this host; ignoring label \(l)")
        }
        for name in CapabilitySet.unknownNames(in: process.capabilities) {
            RuntimeLog.warn("\(file): capability \(name) is unknown to this kernel and is not granted")
        }
    }
}
