#if canImport(Glibc)
import Glibc
#endif
import CSwiftBox
import SwiftBoxLinux
import SwiftBoxOCI

/// What one cgroup layout (v1, v2, hybrid) must do for a container. One
/// implementation per layout; controllers are small types each driver calls.
protocol CgroupDriver: AnyObject {
    /// The container's cgroup directory in every hierarchy.
    var directories: [String] { get }
    /// Creates the directories (marking the ones it creates) and prepares them
    /// (v1 cpuset inheritance, v2 subtree controllers) for `resources`.
    func create(for resources: Resources) throws
    /// Writes `resources`; `update` is true for a running container.
    func apply(_ resources: Resources, devices: [DeviceRule]?, writer: CgroupWriter, update: Bool) throws
    /// Moves a process into the cgroup everywhere.
    func add(pid: Int32) throws
    /// The drivers that create and apply `r`, each with its share (the
    /// hybrid driver splits between its v1 and v2 sides).
    func pieces(_ r: Resources, devices: [DeviceRule]?) -> [CgroupPiece]
    /// Every pid in the cgroup and its descendants.
    func processes() -> [Int32]
    /// Freezes or thaws every process, waiting until the kernel reports it done.
    func setFrozen(_ frozen: Bool) throws
    /// Whether the cgroup is frozen.
    func isFrozen() -> Bool
    /// Sends `signal` to every process.
    func signalAll(_ signal: Int32) throws
    /// Usage counters in runc's `events --stats` form.
    func stats() -> CgroupStats
    /// How many processes the kernel's OOM killer killed in the cgroup.
    func oomKillCount() -> UInt64
}

/// When a part of a container's cgroup is made: before its init is cloned
/// (cgroup v2: init is cloned into the directory), or while init starts
/// (cgroup v1: init writes itself into each hierarchy before it runs anything
/// of the container's, from descriptors the runtime sends it).
public enum CgroupPart: Sendable {
    case beforeClone, afterClone
}

/// A driver of one cgroup version (v1 or v2): the pieces the hybrid driver
/// is made of.
protocol CgroupVersionDriver: CgroupDriver {
    /// When this driver's directories must exist (see `CgroupPart`).
    var clonePart: CgroupPart { get }
    /// Opens what a new process needs to enter the cgroup by itself.
    func prepare(_ placement: CgroupPlacement) throws
}

/// One driver's share of creating a container's cgroup.
struct CgroupPiece {
    var part: CgroupPart
    var driver: CgroupVersionDriver
    var resources: Resources
    var devices: [DeviceRule]?
}

extension CgroupVersionDriver {
    func pieces(_ r: Resources, devices: [DeviceRule]?) -> [CgroupPiece] {
        [CgroupPiece(part: clonePart, driver: self, resources: r, devices: devices)]
    }
}

/// Shared pieces of the drivers.
enum CgroupFiles {
    /// The extended attribute that marks a directory swiftbox created, so
    /// `destroy` can remove parents it made (`/swiftbox`) and no others.
    static let marker = "trusted.swiftbox.created"

    /// Creates `path` below `mount` one level at a time, marking each level it
    /// creates. Retries when a concurrent `destroy` removes an empty parent
    /// between our mkdir calls.
    static func makeDirectory(mount: String, path: String) throws -> String {
        let components = path.split(separator: "/").map(String.init)
        var attempt = 0
        while true {
            var dir = mount
            var raced = false
            for c in components {
                dir += "/" + c
                if mkdir(dir, 0o755) == 0 {
                    // Best effort: without the mark, destroy leaves this parent in place.
                    _ = sb_lsetxattr(dir, marker, [UInt8(ascii: "1")], 1)
                } else if errno == ENOENT && attempt < 20 {
                    raced = true
                    break
                } else if errno != EEXIST {
                    throw SwiftBoxError.system("create cgroup \(dir)")
                }
            }
            if !raced { return dir }
            attempt += 1
        }
    }

    /// Whether swiftbox created `dir` (it carries the marker).
    static func isMarked(_ dir: String) -> Bool {
        var b: UInt8 = 0
        return sb_lgetxattr(dir, marker, &b, 1) >= 0
    }

    /// Removes `dir` (retrying while the kernel still counts dying tasks), then
    /// each parent up to `mount` that swiftbox created and that is now empty.
    static func removeDirectory(_ dir: String, mount: String) throws {
        // rmdir first: child cgroups (the container's own, through its cgroup
        // namespace) are looked for only when it reports the directory busy.
        var tries = 0
        var childrenRemoved = false
        while rmdir(dir) != 0 {
            let e = errno
            if e == ENOENT {
                if tries == 0 && !childrenRemoved { return } // never there: leave the parents alone
                break
            }
            if e == EBUSY && !childrenRemoved {
                childrenRemoved = true
                for name in FS.subdirectories(dir) { try removeDirectory(dir + "/" + name, mount: dir) }
                continue
            }
            tries += 1
            if e != EBUSY || tries > 200 {
                throw SwiftBoxError.system("remove cgroup \(dir)\(e == EBUSY ? " (processes are still in it)" : "")", errno: e)
            }
            usleep(10_000)
        }
        var parent = FS.dirname(dir)
        // `/swiftbox` is swiftbox's default parent even when an older version
        // created it without the mark.
        while parent.utf8.count > mount.utf8.count && parent.hasPrefix(mount + "/")
                && (isMarked(parent) || parent == mount + "/swiftbox") {
            // EBUSY/ENOTEMPTY: another container still lives there; leave it.
            if rmdir(parent) != 0 { break }
            parent = FS.dirname(parent)
        }
    }

    /// Reads a file as trimmed text, nil if it is missing.
    static func read(_ dir: String, _ file: String) -> String? {
        (try? FS.readString(dir + "/" + file))?.trimmingWhitespace()
    }

    /// Reads a number; `max` and missing files give nil.
    static func number(_ dir: String, _ file: String) -> UInt64? {
        guard let s = read(dir, file) else { return nil }
        return UInt64(s)
    }

    /// Parses `key value` lines (memory.stat, cpu.stat, memory.events).
    static func keyValues(_ dir: String, _ file: String) -> [String: UInt64] {
        var out: [String: UInt64] = [:]
        guard let bytes = try? FS.read(dir + "/" + file) else { return out }
        // Bytes, not String.split: Character-level splitting costs more than the read.
        for line in bytes.split(separator: 0x0A) {
            let parts = line.split(separator: 0x20)
            if parts.count == 2, let v = UInt64(String(decoding: parts[1], as: UTF8.self)) {
                out[String(decoding: parts[0], as: UTF8.self)] = v
            }
        }
        return out
    }

    /// The pids in `dir`'s cgroup.procs and every child cgroup's.
    static func processes(in dir: String) -> [Int32] {
        var out = (read(dir, "cgroup.procs") ?? "").split(separator: "\n").compactMap { Int32($0) }
        for name in FS.subdirectories(dir) {
            out += processes(in: dir + "/" + name)
        }
        return out
    }

    /// Polls `done` for up to `seconds`; throws `error` on time-out.
    static func wait(seconds: Double, _ error: @autoclosure () -> SwiftBoxError, until done: () -> Bool) throws {
        var waited = 0.0
        while !done() {
            if waited >= seconds { throw error() }
            usleep(2_000)
            waited += 0.002
        }
    }
}

/// A warning sink for fields that are skipped; the runtime points it at its log.
public enum CgroupWarnings {
    /// Receives each warning. Defaults to `swiftbox: warning: …` on stderr.
    nonisolated(unsafe) public static var handler: (String) -> Void = { message in
        let line = "swiftbox: warning: \(message)\n"
        _ = line.withCString { Glibc.write(2, $0, strlen($0)) }
    }
}
