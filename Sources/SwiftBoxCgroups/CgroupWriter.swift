#if canImport(Glibc)
import Glibc
#endif
import SwiftBoxLinux

/// Writes cgroup control files for one `apply` and remembers how to undo them,
/// so that a failure half-way restores what was there (apply all or nothing).
final class CgroupWriter {
    private var undo: [(path: String, value: String)] = []
    /// Warnings collected while applying (fields skipped because the host lacks them).
    private(set) var warnings: [String] = []
    /// When false (a fresh cgroup that is removed on failure) nothing is recorded.
    let recordsUndo: Bool

    init(recordsUndo: Bool) { self.recordsUndo = recordsUndo }

    /// Writes `value` to `file` in `dir` for the spec field `field`
    /// (`linux.resources.memory.limit`). `restore` is the value that undoes it;
    /// by default the file's current content. `undoable: false` marks writes
    /// that cannot be reversed by writing a value back (device rules).
    func write(_ dir: String, _ file: String, _ value: String, field: String, restore: String? = nil,
               undoable: Bool = true) throws {
        let path = dir + "/" + file
        var previous: String?
        if recordsUndo && undoable {
            previous = restore ?? (try? FS.readString(path))?.trimmingWhitespace()
        }
        let fd = open(path, O_WRONLY | O_CLOEXEC)
        if fd < 0 {
            let e = errno
            if e == ENOENT {
                throw SwiftBoxError("cannot set \(field): \(path) does not exist (the kernel or this cgroup lacks \(file))", errno: e)
            }
            throw SwiftBoxError("cannot set \(field): open \(path): \(errnoName(e)) (\(String(cString: strerror(e))))", errno: e)
        }
        defer { close(fd) }
        let bytes = Array(value.utf8)
        let n = bytes.withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count) }
        if n < 0 {
            let e = errno
            throw SwiftBoxError("cannot set \(field) to \(CgroupWriter.quote(value)) in \(path): \(errnoName(e)) (\(String(cString: strerror(e))))\(CgroupWriter.hint(file: file, errno: e))", errno: e)
        }
        if let previous { undo.append((path, previous)) }
    }

    /// Records a warning about a field that is skipped.
    func warn(_ message: String) { warnings.append(message) }

    /// Restores every written file, newest first. Best effort: a restore that
    /// fails cannot be reported better than the error that caused the rollback.
    func rollback() {
        for (path, value) in undo.reversed() {
            _ = try? FS.write(path, value)
        }
        undo = []
    }

    static func quote(_ value: String) -> String {
        value.contains("\n") || value.contains(" ") ? "\"\(value.replacingNewlines())\"" : value
    }

    /// Why the kernel commonly refuses a value.
    static func hint(file: String, errno e: Int32) -> String {
        switch (file, e) {
        case ("memory.limit_in_bytes", EBUSY), ("memory.memsw.limit_in_bytes", EBUSY):
            return " (the container uses more memory than that and it could not be reclaimed)"
        case ("memory.memsw.limit_in_bytes", EINVAL), ("memory.limit_in_bytes", EINVAL):
            return " (memory.swap must be at least memory.limit)"
        case ("cpuset.cpus", EINVAL), ("cpuset.mems", EINVAL):
            return " (not a subset of the parent cgroup's set)"
        case ("cpu.cfs_quota_us", EINVAL), ("cpu.max", EINVAL):
            return " (a quota must be at least 1000 µs; a parent cgroup may limit it further)"
        case ("cpu.rt_runtime_us", EINVAL):
            return " (the runtime exceeds the parent's or the period)"
        case ("cgroup.subtree_control", EBUSY):
            return " (the parent cgroup holds processes; cgroup v2 allows controllers only on cgroups without them)"
        default:
            return ""
        }
    }
}

extension String {
    func replacingNewlines() -> String {
        String(map { $0 == "\n" ? " " : $0 })
    }
}
