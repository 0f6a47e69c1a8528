import SwiftBoxOCI

extension Spec {
    /// The capabilities a container keeps by default (Docker's and runc's set).
    public static let defaultCapabilities = [
        "CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_FSETID", "CAP_FOWNER", "CAP_MKNOD", "CAP_NET_RAW", "CAP_SETGID",
        "CAP_SETUID", "CAP_SETFCAP", "CAP_SETPCAP", "CAP_NET_BIND_SERVICE", "CAP_SYS_CHROOT", "CAP_KILL",
        "CAP_AUDIT_WRITE",
    ]

    /// The config `swiftbox spec` writes: runc's default, with a non-terminal
    /// `sh`, every namespace but user and time, and the usual masked paths.
    public static func defaultSpec(args: [String] = ["sh"], rootfs: String = "rootfs") -> Spec {
        var linux = Linux()
        linux.namespaces = ["pid", "network", "ipc", "uts", "mount", "cgroup"].map { Namespace(type: $0) }
        linux.maskedPaths = [
            "/proc/acpi", "/proc/asound", "/proc/kcore", "/proc/keys", "/proc/latency_stats", "/proc/timer_list",
            "/proc/timer_stats", "/proc/sched_debug", "/sys/firmware", "/proc/scsi", "/sys/devices/virtual/powercap",
        ]
        linux.readonlyPaths = ["/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger"]
        var process = Process(
            terminal: false, user: User(uid: 0, gid: 0), args: args,
            env: ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "TERM=xterm"], cwd: "/",
            capabilities: Capabilities(bounding: defaultCapabilities, effective: defaultCapabilities,
                                       permitted: defaultCapabilities),
            rlimits: [Rlimit(type: "RLIMIT_NOFILE", hard: 1024, soft: 1024)], noNewPrivileges: true)
        process.oomScoreAdj = nil
        return Spec(
            root: Root(path: rootfs, readonly: true),
            mounts: [
                Mount(destination: "/proc", type: "proc", source: "proc"),
                Mount(destination: "/dev", type: "tmpfs", source: "tmpfs",
                      options: ["nosuid", "strictatime", "mode=755", "size=65536k"]),
                Mount(destination: "/dev/pts", type: "devpts", source: "devpts",
                      options: ["nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5"]),
                Mount(destination: "/dev/shm", type: "tmpfs", source: "shm",
                      options: ["nosuid", "noexec", "nodev", "mode=1777", "size=65536k"]),
                Mount(destination: "/dev/mqueue", type: "mqueue", source: "mqueue", options: ["nosuid", "noexec", "nodev"]),
                Mount(destination: "/sys", type: "sysfs", source: "sysfs", options: ["nosuid", "noexec", "nodev", "ro"]),
                Mount(destination: "/sys/fs/cgroup", type: "cgroup", source: "cgroup",
                      options: ["nosuid", "noexec", "nodev", "relatime", "ro"]),
            ],
            process: process, hostname: "swiftbox", linux: linux)
    }
}
