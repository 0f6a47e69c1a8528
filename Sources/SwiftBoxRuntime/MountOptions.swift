import CSwiftBox
import SwiftBoxLinux
import SwiftBoxOCI

/// The options of an OCI mount, split into mount(2) flags, propagation flags
/// and file system data.
struct MountOptions: Equatable {
    var flags: UInt = 0
    var clearedFlags: UInt = 0
    var propagation: [UInt] = []
    var data: [String] = []
    var bind: Bool { flags & UInt(SB_MS_BIND) != 0 }
    var recursive: Bool { flags & UInt(SB_MS_REC) != 0 }

    // Tables as switches: a global dictionary costs its construction (hashing,
    // generic metadata) in every init process, for a handful of lookups.

    /// What a flag option does: set or clear which mount(2) flag.
    static func flag(_ name: String) -> (set: Bool, flag: UInt)? {
        switch name {
        case "ro": return (true, UInt(SB_MS_RDONLY))
        case "rw": return (false, UInt(SB_MS_RDONLY))
        case "nosuid": return (true, UInt(SB_MS_NOSUID))
        case "suid": return (false, UInt(SB_MS_NOSUID))
        case "nodev": return (true, UInt(SB_MS_NODEV))
        case "dev": return (false, UInt(SB_MS_NODEV))
        case "noexec": return (true, UInt(SB_MS_NOEXEC))
        case "exec": return (false, UInt(SB_MS_NOEXEC))
        case "sync": return (true, UInt(SB_MS_SYNCHRONOUS))
        case "async": return (false, UInt(SB_MS_SYNCHRONOUS))
        case "dirsync": return (true, UInt(SB_MS_DIRSYNC))
        case "remount": return (true, UInt(SB_MS_REMOUNT))
        case "mand": return (true, UInt(SB_MS_MANDLOCK))
        case "nomand": return (false, UInt(SB_MS_MANDLOCK))
        case "atime": return (false, UInt(SB_MS_NOATIME))
        case "noatime": return (true, UInt(SB_MS_NOATIME))
        case "diratime": return (false, UInt(SB_MS_NODIRATIME))
        case "nodiratime": return (true, UInt(SB_MS_NODIRATIME))
        case "relatime": return (true, UInt(SB_MS_RELATIME))
        case "norelatime": return (false, UInt(SB_MS_RELATIME))
        case "strictatime": return (true, UInt(SB_MS_STRICTATIME))
        case "nostrictatime": return (false, UInt(SB_MS_STRICTATIME))
        case "lazytime": return (true, UInt(SB_MS_LAZYTIME))
        case "nolazytime": return (false, UInt(SB_MS_LAZYTIME))
        case "nosymfollow": return (true, UInt(SB_MS_NOSYMFOLLOW))
        case "symfollow": return (false, UInt(SB_MS_NOSYMFOLLOW))
        case "bind": return (true, UInt(SB_MS_BIND))
        case "rbind": return (true, UInt(SB_MS_BIND) | UInt(SB_MS_REC))
        case "defaults": return (false, 0)
        default: return nil
        }
    }

    /// Every flag option's name (for `features`).
    static let flagNames = ["ro", "rw", "nosuid", "suid", "nodev", "dev", "noexec", "exec", "sync", "async",
                            "dirsync", "remount", "mand", "nomand", "atime", "noatime", "diratime", "nodiratime",
                            "relatime", "norelatime", "strictatime", "nostrictatime", "lazytime", "nolazytime",
                            "nosymfollow", "symfollow", "bind", "rbind", "defaults"]

    /// A propagation option's flags (also how `rootfsPropagation` is parsed).
    static func propagation(_ name: String) -> UInt? {
        switch name {
        case "private": return UInt(SB_MS_PRIVATE)
        case "rprivate": return UInt(SB_MS_PRIVATE) | UInt(SB_MS_REC)
        case "shared": return UInt(SB_MS_SHARED)
        case "rshared": return UInt(SB_MS_SHARED) | UInt(SB_MS_REC)
        case "slave": return UInt(SB_MS_SLAVE)
        case "rslave": return UInt(SB_MS_SLAVE) | UInt(SB_MS_REC)
        case "unbindable": return UInt(SB_MS_UNBINDABLE)
        case "runbindable": return UInt(SB_MS_UNBINDABLE) | UInt(SB_MS_REC)
        default: return nil
        }
    }

    /// Every propagation option's name (for `features`).
    static let propagationNames = ["private", "rprivate", "shared", "rshared", "slave", "rslave",
                                   "unbindable", "runbindable"]

    /// Options swiftbox understands but does not act on (ID-mapped mounts and
    /// recursive read-only are refused with a clear message instead).
    static func isRefused(_ name: String) -> Bool {
        switch name {
        case "idmap", "ridmap", "rro", "rrw", "rnosuid", "rnodev", "rnoexec": return true
        default: return false
        }
    }

    init(_ options: [String]?, type: String?) throws {
        for opt in options ?? [] {
            if let f = Self.flag(opt) {
                if f.set { flags |= f.flag } else { flags &= ~f.flag; clearedFlags |= f.flag }
            } else if let p = Self.propagation(opt) {
                propagation.append(p)
            } else if Self.isRefused(opt) {
                throw SwiftBoxError("mount option \"\(opt)\" is not supported by swiftbox yet")
            } else {
                data.append(opt)
            }
        }
        if type == "bind" { flags |= UInt(SB_MS_BIND) }
    }

}
