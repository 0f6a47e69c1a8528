#if canImport(Glibc)
import Glibc
#endif
import SwiftBoxLinux
import SwiftBoxOCI
import SwiftBoxRuntime
import SwiftBoxSeccomp
import SwiftBoxImage

/// Turns a service definition into the runtime-spec config of one instance.
enum InstanceSpec {
    /// Annotation keys that tie a container to its project and service, so a
    /// restarted supervisor can find (adopt) its containers.
    static let projectKey = "io.swiftbox.project"
    static let serviceKey = "io.swiftbox.service"
    static let indexKey = "io.swiftbox.instance"

    /// The config of instance `index` of `service`, with `rootfs` as its root.
    static func make(_ service: ServiceDefinition, index: Int, project: String, rootfs: String,
                     volumes: String, image: ContainerDefaults? = nil) throws -> Spec {
        let id = "\(service.name)-\(index)"
        var spec = Spec.defaultSpec(args: service.arguments, rootfs: rootfs)
        // The image's config (entrypoint/cmd, env, workdir, user, stop signal) comes
        // first; what the service file says wins.
        image?.apply(to: &spec)
        if !service.arguments.isEmpty { spec.process?.args = service.arguments }
        guard spec.process?.args?.isEmpty == false else {
            throw SwiftBoxError("service \"\(service.name)\": no command: the image \"\(service.image)\" names none; give \"command\"")
        }
        spec.root?.readonly = service.readonlyRootfs
        spec.hostname = service.hostname ?? id
        var process = spec.process!
        var env = process.env ?? []
        for pair in ["HOSTNAME=\(spec.hostname!)"] + service.environment {
            let key = pair.split(separator: "=", maxSplits: 1).first.map(String.init) ?? pair
            env.removeAll { $0.split(separator: "=", maxSplits: 1).first.map(String.init) == key }
            env.append(pair)
        }
        process.env = env
        if let w = service.workdir { process.cwd = w }
        if let user = service.user { process.user = try resolveUser(user, rootfs: rootfs, service: service.name) }
        var caps = Set(Spec.defaultCapabilities)
        if service.capabilitiesDropped.contains("ALL") { caps = [] }
        caps.subtract(service.capabilitiesDropped)
        if service.capabilitiesAdded.contains("ALL") { caps.formUnion(CapabilitySet.names) }
        caps.formUnion(service.capabilitiesAdded.filter { $0 != "ALL" })
        let list = caps.sorted()
        process.capabilities = Capabilities(bounding: list, effective: list, permitted: list)
        spec.process = process

        var mounts = spec.mounts ?? []
        for m in service.mounts {
            switch m.kind {
            case .bind:
                mounts.append(Mount(destination: m.target, type: "bind", source: m.source,
                                    options: ["rbind", m.readOnly ? "ro" : "rw"]))
            case .volume:
                let dir = volumes + "/" + m.source
                try FS.mkdirAll(dir, mode: 0o755)
                mounts.append(Mount(destination: m.target, type: "bind", source: dir,
                                    options: ["rbind", m.readOnly ? "ro" : "rw"]))
            case .tmpfs:
                var opts = ["nosuid", "nodev", "mode=1777"]
                if let size = m.size { opts.append("size=\(size)") }
                if m.readOnly { opts.append("ro") }
                mounts.append(Mount(destination: m.target, type: "tmpfs", source: "tmpfs", options: opts))
            }
        }
        spec.mounts = mounts

        var linux = spec.linux ?? Linux()
        if service.network == .host {
            linux.namespaces = linux.namespaces?.filter { $0.type != "network" }
            // sysfs of another network namespace cannot be mounted; bind the host's.
            spec.mounts = spec.mounts?.map { m in
                m.destination == "/sys" ? Mount(destination: "/sys", type: "bind", source: "/sys",
                                                 options: ["rbind", "nosuid", "noexec", "nodev", "ro"]) : m
            }
        }
        if !service.resources.isEmpty {
            var r = Resources()
            if let m = service.resources.memory { var mem = Memory(); mem.limit = m; r.memory = mem }
            if let c = service.resources.cpus {
                var cpu = CPU(); cpu.period = 100_000; cpu.quota = Int64((c * 100_000).rounded()); r.cpu = cpu
            }
            if let p = service.resources.pids { r.pids = Pids(limit: p) }
            linux.resources = r
        }
        switch service.seccomp {
        case .unconfined: linux.seccomp = nil
        case .default: linux.seccomp = SeccompProfile.builtinDefault.render(capabilities: list)
        case .profile(let path): linux.seccomp = try SeccompProfile.load(from: path).render(capabilities: list)
        }
        spec.linux = linux

        var annotations = service.labels
        annotations[projectKey] = project
        annotations[serviceKey] = service.name
        annotations[indexKey] = String(index)
        spec.annotations = annotations
        return spec
    }

    /// `uid[:gid]` (numbers) or `name[:group]` looked up in the image's
    /// /etc/passwd and /etc/group (never the host's).
    static func resolveUser(_ text: String, rootfs: String, service: String) throws -> User {
        let parts = text.split(separator: ":", maxSplits: 1).map(String.init)
        func table(_ file: String) -> [[String]] {
            ((try? FS.readString(rootfs + file)) ?? "").split(separator: "\n").map {
                $0.split(separator: ":", omittingEmptySubsequences: false).map(String.init)
            }
        }
        var user = User()
        if let uid = UInt32(parts[0]) {
            user.uid = uid
            user.gid = table("/etc/passwd").first { $0.count > 3 && $0[2] == parts[0] }.flatMap { UInt32($0[3]) } ?? uid
        } else if let row = table("/etc/passwd").first(where: { $0.count > 3 && $0[0] == parts[0] }),
                  let uid = UInt32(row[2]), let gid = UInt32(row[3]) {
            user.uid = uid; user.gid = gid
        } else {
            throw SwiftBoxError("service \"\(service)\": user \"\(parts[0])\" is not in the image's /etc/passwd (\(rootfs)/etc/passwd)")
        }
        if parts.count == 2 {
            if let gid = UInt32(parts[1]) { user.gid = gid }
            else if let row = table("/etc/group").first(where: { $0.count > 2 && $0[0] == parts[1] }), let gid = UInt32(row[2]) {
                user.gid = gid
            } else {
                throw SwiftBoxError("service \"\(service)\": group \"\(parts[1])\" is not in the image's /etc/group")
            }
        }
        return user
    }
}
