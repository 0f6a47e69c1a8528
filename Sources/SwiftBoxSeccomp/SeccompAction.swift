import SwiftBoxLinux

/// What the kernel does when a system call matches a seccomp rule: the OCI
/// `SCMP_ACT_*` names and the `SECCOMP_RET_*` values libseccomp uses for them.
public enum SeccompAction: Equatable, Hashable, Sendable {
    /// Kill the calling thread (`SCMP_ACT_KILL`, `SCMP_ACT_KILL_THREAD`).
    case killThread
    /// Kill the whole process with SIGSYS (`SCMP_ACT_KILL_PROCESS`).
    case killProcess
    /// Send SIGSYS to the thread (`SCMP_ACT_TRAP`).
    case trap
    /// Fail the call with this errno (`SCMP_ACT_ERRNO`).
    case errno(UInt16)
    /// Notify a ptrace tracer, passing this value (`SCMP_ACT_TRACE`).
    case trace(UInt16)
    /// Let the call through (`SCMP_ACT_ALLOW`).
    case allow
    /// Let the call through and log it (`SCMP_ACT_LOG`).
    case log
    /// Hand the call to a user-space supervisor (`SCMP_ACT_NOTIFY`).
    case notify

    /// Every action name the OCI runtime-spec defines.
    public static let names = [
        "SCMP_ACT_KILL", "SCMP_ACT_KILL_PROCESS", "SCMP_ACT_KILL_THREAD", "SCMP_ACT_TRAP", "SCMP_ACT_ERRNO",
        "SCMP_ACT_TRACE", "SCMP_ACT_ALLOW", "SCMP_ACT_LOG", "SCMP_ACT_NOTIFY",
    ]

    /// The errno `SCMP_ACT_ERRNO` and `SCMP_ACT_TRACE` use when no `errnoRet` is given.
    public static let defaultErrno: UInt32 = 1 // EPERM

    /// Parses an OCI action name with its optional `errnoRet`. The fields
    /// name the JSON locations in errors (`syscalls[3].action`, `syscalls[3].errnoRet`).
    public init(name: String, errnoRet: UInt32?, actionField: String, errnoField: String) throws {
        func noErrno() throws {
            if errnoRet != nil {
                throw SwiftBoxError("\(errnoField): \(name) does not return an errno; "
                    + "errnoRet applies only to SCMP_ACT_ERRNO and SCMP_ACT_TRACE")
            }
        }
        func code() throws -> UInt16 {
            let value = errnoRet ?? Self.defaultErrno
            // The kernel keeps 16 bits of SECCOMP_RET_DATA and clamps errnos at MAX_ERRNO.
            guard value <= 4095 else {
                throw SwiftBoxError("\(errnoField): \(value) is not an errno (expected 0...4095)")
            }
            return UInt16(value)
        }
        switch name {
        case "SCMP_ACT_KILL", "SCMP_ACT_KILL_THREAD": try noErrno(); self = .killThread
        case "SCMP_ACT_KILL_PROCESS": try noErrno(); self = .killProcess
        case "SCMP_ACT_TRAP": try noErrno(); self = .trap
        case "SCMP_ACT_ERRNO": self = .errno(try code())
        case "SCMP_ACT_TRACE": self = .trace(try code())
        case "SCMP_ACT_ALLOW": try noErrno(); self = .allow
        case "SCMP_ACT_LOG": try noErrno(); self = .log
        case "SCMP_ACT_NOTIFY":
            try noErrno()
            throw SwiftBoxError("\(actionField): SCMP_ACT_NOTIFY needs a seccomp user-notification listener, "
                + "which swiftbox does not support; use SCMP_ACT_ERRNO or SCMP_ACT_LOG instead")
        default:
            throw SwiftBoxError("\(actionField): unknown action \"\(name)\"; use one of \(Self.names.joined(separator: ", "))")
        }
    }

    /// The 32-bit `SECCOMP_RET_*` value (libseccomp's `SCMP_ACT_*` macros,
    /// which Swift cannot import because they are function-like).
    public var rawValue: UInt32 {
        switch self {
        case .killThread: return 0x0000_0000
        case .killProcess: return 0x8000_0000
        case .trap: return 0x0003_0000
        case .errno(let e): return 0x0005_0000 | UInt32(e)
        case .trace(let v): return 0x7ff0_0000 | UInt32(v)
        case .allow: return 0x7fff_0000
        case .log: return 0x7ffc_0000
        case .notify: return 0x7fc0_0000
        }
    }

    /// Whether a call with this action does not run (the call fails or the
    /// caller dies): the actions after which an unknown newer syscall gets ENOSYS.
    var refusesCall: Bool {
        switch self {
        case .killThread, .killProcess, .trap, .errno: return true
        case .trace, .allow, .log, .notify: return false
        }
    }
}
