#if canImport(Glibc)
import Glibc
#endif
import CSwiftBox
import SwiftBoxLinux
import SwiftBoxOCI
import SwiftBoxCgroups

/// Builds the container's root filesystem inside its new mount namespace:
/// config mounts, /dev, then pivot_root, masked and read-only paths.
struct RootfsSetup {
    let spec: Spec
    let rootfs: String
    let bundle: String
    let inUserNamespace: Bool
    /// /proc/self/cgroup as read before init made its cgroup namespace: the
    /// host paths of the container's cgroups, which /sys/fs/cgroup shows.
    let hostCgroups: String

    /// Everything before pivot_root.
    func prepare() throws {
        let linux = spec.linux
        // Keep the container's mounts from leaking back to the host: make / private
        // (or what rootfsPropagation asks) before touching anything.
        let rootProp = try linux?.rootfsPropagation.map { name -> UInt in
            guard let p = MountOptions.propagation(name) else {
                throw SwiftBoxError("linux.rootfsPropagation: unknown value \"\(name)\"; use private, rprivate, slave, rslave, shared, rshared or unbindable")
            }
            return p
        }
        let base: UInt = rootProp.map { $0 & UInt(SB_MS_SHARED) != 0 ? UInt(SB_MS_SLAVE) | UInt(SB_MS_REC) : $0 | UInt(SB_MS_REC) }
            ?? (UInt(SB_MS_PRIVATE) | UInt(SB_MS_REC))
        try Sys.mount(nil, "/", type: nil, flags: base)
        // pivot_root needs the new root to be a mount point.
        try Sys.mount(rootfs, rootfs, type: nil, flags: UInt(SB_MS_BIND) | UInt(SB_MS_REC))
        if let p = rootProp, p & UInt(SB_MS_SHARED) != 0 {
            try Sys.mount(nil, rootfs, type: nil, flags: p)
        } else {
            try Sys.mount(nil, rootfs, type: nil, flags: UInt(SB_MS_PRIVATE))
        }

        var devMounted = false
        for (i, m) in (spec.mounts ?? []).enumerated() {
            do { try mount(m) } catch let e as SwiftBoxError {
                throw SwiftBoxError("mounts[\(i)] (\(m.destination)): \(e.message)", errno: e.errno)
            }
            if FS.clean(m.destination) == "/dev" { devMounted = true }
        }
        if devMounted { try createDefaultDevices() }
        for (i, d) in (linux?.devices ?? []).enumerated() {
            do { try createDevice(d) } catch let e as SwiftBoxError {
                throw SwiftBoxError("linux.devices[\(i)] (\(d.path)): \(e.message)", errno: e.errno)
            }
        }
        if let cwd = spec.process?.cwd {
            let dir = try FS.resolveInRoot(rootfs, cwd)
            if !FS.exists(dir) { try FS.mkdirAll(dir) }
        }
    }

    /// Makes the mount point for `m` inside the rootfs and mounts it there.
    func mount(_ m: Mount) throws {
        guard m.destination.hasPrefix("/") else {
            throw SwiftBoxError("destination must be an absolute path")
        }
        let type = m.type ?? ((m.options ?? []).contains(where: { $0 == "bind" || $0 == "rbind" }) ? "bind" : "none")
        let opts = try MountOptions(m.options, type: type)
        let dest = try FS.resolveInRoot(rootfs, m.destination)
        var source = m.source ?? type
        if opts.bind {
            if !source.hasPrefix("/") { source = FS.join(bundle, source) }
            guard let st = FS.info(source) else {
                throw SwiftBoxError("bind source \(source) does not exist", errno: ENOENT)
            }
            try makeMountPoint(dest, directory: (st.st_mode & S_IFMT) == S_IFDIR)
            try Sys.mount(source, dest, type: nil, flags: opts.flags & (UInt(SB_MS_BIND) | UInt(SB_MS_REC)))
            // Bind mounts ignore flags on the first call; apply them with a remount.
            let extra = opts.flags & ~(UInt(SB_MS_BIND) | UInt(SB_MS_REC) | UInt(SB_MS_REMOUNT))
            if extra != 0 {
                try Sys.mount(nil, dest, type: nil, flags: UInt(SB_MS_BIND) | UInt(SB_MS_REMOUNT) | extra
                              | lockedFlags(of: dest))
            }
        } else if type == "cgroup" || type == "cgroup2" {
            try makeMountPoint(dest, directory: true)
            try mountCgroup(at: dest, flags: opts.flags)
        } else {
            try makeMountPoint(dest, directory: true)
            var flags = opts.flags
            var data = opts.data
            if type == "sysfs" && inUserNamespace && !newNetworkNamespace {
                // sysfs cannot be mounted in a user namespace that does not own
                // the network namespace; bind the host's read-only, as runc does.
                try Sys.mount("/sys", dest, type: nil, flags: UInt(SB_MS_BIND) | UInt(SB_MS_REC))
                try Sys.mount(nil, dest, type: nil, flags: UInt(SB_MS_BIND) | UInt(SB_MS_REMOUNT) | UInt(SB_MS_RDONLY) | lockedFlags(of: dest))
                return
            }
            if type == "devpts" && !data.contains(where: { $0.hasPrefix("newinstance") }) { data.append("newinstance") }
            if type == "mqueue" && inUserNamespace { flags &= ~UInt(SB_MS_NODEV) }
            try Sys.mount(source, dest, type: type, flags: flags, data: data.isEmpty ? nil : data.joined(separator: ","))
        }
        for p in opts.propagation { try Sys.mount(nil, dest, type: nil, flags: p) }
    }

    var newNetworkNamespace: Bool {
        spec.linux?.namespaces?.contains(where: { $0.type == "network" && $0.path == nil }) ?? false
    }

    /// Flags a remount in a user namespace must keep (the kernel locks them).
    func lockedFlags(of path: String) -> UInt {
        guard inUserNamespace else { return 0 }
        var st = statvfs()
        guard statvfs(path, &st) == 0 else { return 0 }
        var out: UInt = 0
        let f = UInt(st.f_flag)
        if f & UInt(2) != 0 { out |= UInt(SB_MS_NOSUID) }
        if f & UInt(4) != 0 { out |= UInt(SB_MS_NODEV) }
        if f & UInt(8) != 0 { out |= UInt(SB_MS_NOEXEC) }
        return out
    }

    func makeMountPoint(_ path: String, directory: Bool) throws {
        if FS.exists(path) { return }
        if directory {
            try FS.mkdirAll(path)
        } else {
            try FS.mkdirAll(FS.dirname(path))
            let fd = open(path, O_CREAT | O_WRONLY | O_CLOEXEC, 0o644)
            if fd < 0 { throw SwiftBoxError.system("create mount point \(path)") }
            close(fd)
        }
    }

    /// A cgroup mount: cgroup2 where the host is pure v2, otherwise a tmpfs with
    /// one bind of the container's own cgroup per v1 hierarchy.
    func mountCgroup(at dest: String, flags: UInt) throws {
        let hierarchies = (try? CgroupLayout.current())?.hierarchies ?? []
        let roFlag = flags & UInt(SB_MS_RDONLY)
        if hierarchies.count == 1, hierarchies[0].isUnified {
            try Sys.mount("cgroup", dest, type: "cgroup2", flags: UInt(SB_MS_NOSUID | SB_MS_NODEV | SB_MS_NOEXEC) | roFlag)
            return
        }
        try Sys.mount("tmpfs", dest, type: "tmpfs", flags: UInt(SB_MS_NOSUID | SB_MS_NODEV | SB_MS_NOEXEC), data: "mode=755")
        // hostCgroups names this process's cgroups (init was placed there).
        let own = ProcessCgroups.parse(hostCgroups)
        for h in hierarchies {
            let target = dest + "/" + FS.basename(h.mountPoint)
            try FS.mkdirAll(target)
            let src = FS.join(h.mountPoint, own.path(in: h))
            try Sys.mount(FS.isDirectory(src) ? src : h.mountPoint, target, type: nil, flags: UInt(SB_MS_BIND) | UInt(SB_MS_REC))
            try Sys.mount(nil, target, type: nil, flags: UInt(SB_MS_BIND | SB_MS_REMOUNT | SB_MS_NOSUID | SB_MS_NODEV | SB_MS_NOEXEC) | roFlag)
        }
        if roFlag != 0 {
            try Sys.mount(nil, dest, type: nil, flags: UInt(SB_MS_REMOUNT | SB_MS_NOSUID | SB_MS_NODEV | SB_MS_NOEXEC | SB_MS_RDONLY))
        }
    }

    static let defaultDevices: [(String, UInt32, UInt32)] = [
        ("null", 1, 3), ("zero", 1, 5), ("full", 1, 7), ("random", 1, 8), ("urandom", 1, 9), ("tty", 5, 0),
    ]

    /// The devices every container gets, plus the standard /dev symlinks.
    func createDefaultDevices() throws {
        let dev = try FS.resolveInRoot(rootfs, "/dev")
        for (name, major, minor) in Self.defaultDevices {
            try makeDevice(dev + "/" + name, type: S_IFCHR, major: major, minor: minor, mode: 0o666, uid: 0, gid: 0)
        }
        for (link, target) in [("fd", "/proc/self/fd"), ("stdin", "/proc/self/fd/0"),
                               ("stdout", "/proc/self/fd/1"), ("stderr", "/proc/self/fd/2")] {
            let p = dev + "/" + link
            if !FS.exists(p) && symlink(target, p) != 0 { throw SwiftBoxError.system("create symlink \(p)") }
        }
        if FS.exists("/proc/kcore") && !FS.exists(dev + "/core") { _ = symlink("/proc/kcore", dev + "/core") }
        let ptmx = dev + "/ptmx"
        if FS.isDirectory(dev + "/pts") {
            _ = unlink(ptmx)
            if symlink("pts/ptmx", ptmx) != 0 { throw SwiftBoxError.system("create symlink \(ptmx)") }
        }
        if !FS.exists(dev + "/shm") { try FS.mkdirAll(dev + "/shm", mode: 0o1777) }
    }

    func createDevice(_ d: Device) throws {
        let type: mode_t
        switch d.type {
        case "c", "u": type = S_IFCHR
        case "b": type = S_IFBLK
        case "p": type = S_IFIFO
        default: throw SwiftBoxError("type \"\(d.type)\" is not a device type; use c, u, b or p")
        }
        if type != S_IFIFO && (d.major == nil || d.minor == nil) {
            throw SwiftBoxError("major and minor are required for device type \(d.type)")
        }
        let path = try FS.resolveInRoot(rootfs, d.path)
        try makeDevice(path, type: type, major: UInt32(d.major ?? 0), minor: UInt32(d.minor ?? 0),
                       mode: d.fileMode ?? 0o666, uid: d.uid ?? 0, gid: d.gid ?? 0)
    }

    /// mknod, or a bind of the host's node where mknod is not allowed (user namespaces).
    func makeDevice(_ path: String, type: mode_t, major: UInt32, minor: UInt32, mode: UInt32, uid: UInt32, gid: UInt32) throws {
        try FS.mkdirAll(FS.dirname(path))
        _ = unlink(path)
        let dev = (UInt64(major & 0xfff) << 8) | UInt64(minor & 0xff) | (UInt64(minor & ~0xff) << 12) | (UInt64(major & ~0xfff) << 32)
        if !inUserNamespace && mknod(path, type | mode_t(mode & 0o7777), dev_t(dev)) == 0 {
            _ = chmod(path, mode_t(mode & 0o7777))
            if chown(path, uid, gid) != 0 { throw SwiftBoxError.system("chown \(path)") }
            return
        }
        if !inUserNamespace && errno != EPERM { throw SwiftBoxError.system("mknod \(path)") }
        let host = "/dev/" + FS.basename(path)
        let fd = open(path, O_CREAT | O_WRONLY | O_CLOEXEC, 0o644)
        if fd < 0 { throw SwiftBoxError.system("create \(path)") }
        close(fd)
        try Sys.mount(host, path, type: nil, flags: UInt(SB_MS_BIND))
    }

    /// pivot_root into the rootfs (or MS_MOVE + chroot with `noPivot`).
    func pivot(noPivot: Bool) throws {
        if chdir(rootfs) != 0 { throw SwiftBoxError.system("chdir to \(rootfs)") }
        if noPivot {
            try Sys.mount(rootfs, "/", type: nil, flags: UInt(SB_MS_MOVE))
            if chroot(".") != 0 { throw SwiftBoxError.system("chroot to \(rootfs)") }
        } else {
            // pivot_root(".", ".") stacks the old root on top of the new one; a lazy
            // unmount then removes it without needing a directory for it.
            try Sys.pivotRoot(".", ".")
            try Sys.mount(nil, ".", type: nil, flags: UInt(SB_MS_SLAVE) | UInt(SB_MS_REC))
            try Sys.unmount(".", detach: true)
        }
        if chdir("/") != 0 { throw SwiftBoxError.system("chdir to /") }
    }

    /// After pivot_root: masked paths, read-only paths, read-only root.
    func finish() throws {
        for path in spec.linux?.maskedPaths ?? [] {
            guard let st = FS.info(path) else { continue }
            if (st.st_mode & S_IFMT) == S_IFDIR {
                try Sys.mount("tmpfs", path, type: "tmpfs", flags: UInt(SB_MS_RDONLY), data: "size=0k")
            } else {
                try Sys.mount("/dev/null", path, type: nil, flags: UInt(SB_MS_BIND))
            }
        }
        for path in spec.linux?.readonlyPaths ?? [] {
            guard FS.exists(path) else { continue }
            try Sys.mount(path, path, type: nil, flags: UInt(SB_MS_BIND) | UInt(SB_MS_REC))
            try Sys.mount(nil, path, type: nil, flags: UInt(SB_MS_BIND | SB_MS_REMOUNT | SB_MS_RDONLY | SB_MS_REC | SB_MS_NOSUID | SB_MS_NODEV | SB_MS_NOEXEC) )
        }
        if spec.root?.readonly == true {
            try Sys.mount(nil, "/", type: nil, flags: UInt(SB_MS_BIND | SB_MS_REMOUNT | SB_MS_RDONLY) | lockedFlags(of: "/"))
        }
    }
}
