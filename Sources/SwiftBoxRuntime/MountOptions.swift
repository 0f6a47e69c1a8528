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

    static let flagTable: [String: (set: Bool, flag: UInt)] = [
        "ro": (true, UInt(SB_MS_RDONLY)), "rw": (false, UInt(SB_MS_RDONLY)),
        "nosuid": (true, UInt(SB_MS_NOSUID)), "suid": (false, UInt(SB_MS_NOSUID)),
        "nodev": (true, UInt(SB_MS_NODEV)), "dev": (false, UInt(SB_MS_NODEV)),
        "noexec": (true, UInt(SB_MS_NOEXEC)), "exec": (false, UInt(SB_MS_NOEXEC)),
        "sync": (true, UInt(SB_MS_SYNCHRONOUS)), "async": (false, UInt(SB_MS_SYNCHRONOUS)),
        "dirsync": (true, UInt(SB_MS_DIRSYNC)),
        "remount": (true, UInt(SB_MS_REMOUNT)),
        "mand": (true, UInt(SB_MS_MANDLOCK)), "nomand": (false, UInt(SB_MS_MANDLOCK)),
        "atime": (false, UInt(SB_MS_NOATIME)), "noatime": (true, UInt(SB_MS_NOATIME)),
        "diratime": (false, UInt(SB_MS_NODIRATIME)), "nodiratime": (true, UInt(SB_MS_NODIRATIME)),
        "relatime": (true, UInt(SB_MS_RELATIME)), "norelatime": (false, UInt(SB_MS_RELATIME)),
        "strictatime": (true, UInt(SB_MS_STRICTATIME)), "nostrictatime": (false, UInt(SB_MS_STRICTATIME)),
        "lazytime": (true, UInt(SB_MS_LAZYTIME)), "nolazytime": (false, UInt(SB_MS_LAZYTIME)),
        "nosymfollow": (true, UInt(SB_MS_NOSYMFOLLOW)), "symfollow": (false, UInt(SB_MS_NOSYMFOLLOW)),
        "bind": (true, UInt(SB_MS_BIND)), "rbind": (true, UInt(SB_MS_BIND) | UInt(SB_MS_REC)),
        "defaults": (false, 0),
    ]

    static let propagationTable: [String: UInt] = [
        "private": UInt(SB_MS_PRIVATE), "rprivate": UInt(SB_MS_PRIVATE) | UInt(SB_MS_REC),
        "shared": UInt(SB_MS_SHARED), "rshared": UInt(SB_MS_SHARED) | UInt(SB_MS_REC),
        "slave": UInt(SB_MS_SLAVE), "rslave": UInt(SB_MS_SLAVE) | UInt(SB_MS_REC),
        "unbindable": UInt(SB_MS_UNBINDABLE), "runbindable": UInt(SB_MS_UNBINDABLE) | UInt(SB_MS_REC),
    ]

    /// Options swiftbox understands but does not act on (ID-mapped mounts and
    /// recursive read-only are refused with a clear message instead).
    static let refused: Set<String> = ["idmap", "ridmap", "rro", "rrw", "rnosuid", "rnodev", "rnoexec"]

    init(_ options: [String]?, type: String?) throws {
        for opt in options ?? [] {
            if let f = Self.flagTable[opt] {
                if f.set { flags |= f.flag } else { flags &= ~f.flag; clearedFlags |= f.flag }
            } else if let p = Self.propagationTable[opt] {
                propagation.append(p)
            } else if Self.refused.contains(opt) {
                throw SwiftBoxError("mount option \"\(opt)\" is not supported by swiftbox yet")
            } else {
                data.append(opt)
            }
        }
        if type == "bind" { flags |= UInt(SB_MS_BIND) }
    }

    /// Parses a propagation name as `rootfsPropagation` uses it.
    static func propagation(_ name: String) -> UInt? { propagationTable[name] }
}
