#if canImport(Glibc)
import Glibc
#endif
import CSwiftBox
import SwiftBoxLinux
import SwiftBoxOCI

/// Linux capabilities by name, and applying the five OCI capability sets.
public enum CapabilitySet {
    /// Every capability name the kernel headers of this build know, by number.
    public static let names: [String] = [
        "CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_DAC_READ_SEARCH", "CAP_FOWNER", "CAP_FSETID", "CAP_KILL",
        "CAP_SETGID", "CAP_SETUID", "CAP_SETPCAP", "CAP_LINUX_IMMUTABLE", "CAP_NET_BIND_SERVICE",
        "CAP_NET_BROADCAST", "CAP_NET_ADMIN", "CAP_NET_RAW", "CAP_IPC_LOCK", "CAP_IPC_OWNER", "CAP_SYS_MODULE",
        "CAP_SYS_RAWIO", "CAP_SYS_CHROOT", "CAP_SYS_PTRACE", "CAP_SYS_PACCT", "CAP_SYS_ADMIN", "CAP_SYS_BOOT",
        "CAP_SYS_NICE", "CAP_SYS_RESOURCE", "CAP_SYS_TIME", "CAP_SYS_TTY_CONFIG", "CAP_MKNOD", "CAP_LEASE",
        "CAP_AUDIT_WRITE", "CAP_AUDIT_CONTROL", "CAP_SETFCAP", "CAP_MAC_OVERRIDE", "CAP_MAC_ADMIN",
        "CAP_SYSLOG", "CAP_WAKE_ALARM", "CAP_BLOCK_SUSPEND", "CAP_AUDIT_READ", "CAP_PERFMON", "CAP_BPF",
        "CAP_CHECKPOINT_RESTORE",
    ]

    /// The highest capability this kernel knows (read once per process).
    public static let lastCap: Int = {
        if let t = try? FS.readString("/proc/sys/kernel/cap_last_cap"),
           let n = Int(t.trimmingWhitespace()) { return min(n, names.count - 1) }
        return names.count - 1
    }()

    /// The number of a capability name (`CAP_SYS_ADMIN` or `SYS_ADMIN`), or nil.
    public static func number(_ name: String) -> Int? {
        let n = name.uppercased()
        return names.firstIndex(of: n.hasPrefix("CAP_") ? n : "CAP_" + n)
    }

    /// Numbers for a list of names; unknown names are returned separately so
    /// the caller can warn (runc skips them: they ask for less, never more).
    static func numbers(_ list: [String]?) -> (known: [Int], unknown: [String]) {
        var known: [Int] = [], unknown: [String] = []
        for name in list ?? [] {
            if let n = number(name), n <= lastCap { known.append(n) } else { unknown.append(name) }
        }
        return (known, unknown)
    }

    /// Drops every capability not in `bounding` from the bounding set.
    /// Needs CAP_SETPCAP, so it runs before the user switch.
    static func dropBounding(keep bounding: [String]?) throws {
        let keep = Set(numbers(bounding).known)
        for cap in 0...lastCap where !keep.contains(cap) {
            if sb_prctl(24 /* PR_CAPBSET_DROP */, UInt(cap), 0, 0, 0) != 0 && errno != EINVAL {
                throw SwiftBoxError.system("drop \(names[cap]) from the bounding set")
            }
        }
    }

    /// Sets effective, permitted and inheritable sets, then raises ambient ones.
    static func apply(_ caps: Capabilities?) throws {
        func mask(_ list: [String]?) -> (UInt32, UInt32) {
            var lo: UInt32 = 0, hi: UInt32 = 0
            for n in numbers(list).known { if n < 32 { lo |= 1 << UInt32(n) } else { hi |= 1 << UInt32(n - 32) } }
            return (lo, hi)
        }
        let e = mask(caps?.effective), p = mask(caps?.permitted), i = mask(caps?.inheritable)
        var set = sb_caps()
        set.effective = (e.0, e.1)
        set.permitted = (p.0, p.1)
        set.inheritable = (i.0, i.1)
        if sb_capset(&set) != 0 { throw SwiftBoxError.system("set capabilities (capset)") }
        // Clear any ambient set inherited, then raise the configured ones.
        _ = sb_prctl(47 /* PR_CAP_AMBIENT */, 4 /* CLEAR_ALL */, 0, 0, 0)
        for n in numbers(caps?.ambient).known {
            if sb_prctl(47, 2 /* RAISE */, UInt(n), 0, 0) != 0 {
                throw SwiftBoxError.system("raise ambient capability \(names[n]) (it must also be permitted and inheritable)")
            }
        }
    }

    /// Every capability name in the spec that this kernel does not know.
    public static func unknownNames(in caps: Capabilities?) -> [String] {
        guard let caps else { return [] }
        var out: [String] = []
        for list in [caps.bounding, caps.effective, caps.inheritable, caps.permitted, caps.ambient] {
            out += numbers(list).unknown
        }
        return Array(Set(out)).sorted()
    }
}
