#if canImport(Glibc)
import Glibc
#endif
import SwiftBoxLinux

/// What a new process needs to enter a container's cgroups by itself, as it
/// is created, instead of being moved there by its parent.
///
/// Why: moving another process (a pid written to `cgroup.procs`) takes the
/// kernel's global threadgroup lock for writing, which first waits for an RCU
/// grace period: 8 to 35 ms on this machine, at random, in every runtime that
/// does it. A single-threaded process writing "0" (itself) to a v1 `tasks`
/// file does not take that lock, and a process cloned with
/// `clone3(CLONE_INTO_CGROUP)` is born in its v2 cgroup. The descriptors are
/// opened here, by the runtime, so the kernel checks the runtime's
/// credentials at the write, whatever namespaces the child is in by then.
public final class CgroupPlacement {
    /// v1 `tasks` files (open for writing) the child writes "0" to.
    public private(set) var taskFiles: [Int32] = []
    /// The v2 directory to clone into (opened read-only), or -1.
    public private(set) var cloneInto: Int32 = -1
    /// That directory's `cgroup.procs`, for kernels without clone3 (the child
    /// writes "0" to it), or -1.
    public private(set) var procsFallback: Int32 = -1
    /// The path behind each descriptor, in the order the trampoline numbers
    /// them: `taskFiles`, then `procsFallback`.
    public private(set) var paths: [String] = []

    public init() {}

    deinit { close() }

    func addTasks(dir: String) throws {
        let path = dir + "/tasks"
        let fd = Glibc.open(path, O_WRONLY | O_CLOEXEC)
        if fd < 0 { throw SwiftBoxError.system("open \(path)") }
        taskFiles.append(fd)
        paths.append(path)
    }

    func setUnified(dir: String) throws {
        let fd = Glibc.open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if fd < 0 { throw SwiftBoxError.system("open cgroup \(dir)") }
        cloneInto = fd
        let procs = dir + "/cgroup.procs"
        procsFallback = Glibc.open(procs, O_WRONLY | O_CLOEXEC)
        if procsFallback < 0 { throw SwiftBoxError.system("open \(procs)") }
        paths.append(procs)
    }

    /// The path of the descriptor the trampoline reported failing ("join cgroup N").
    public func path(reported index: Int) -> String? { paths.indices.contains(index) ? paths[index] : nil }

    /// Closes every descriptor (after the clone: the child has its copies).
    public func close() {
        for fd in taskFiles + [cloneInto, procsFallback] where fd >= 0 { Glibc.close(fd) }
        taskFiles = []
        cloneInto = -1
        procsFallback = -1
    }
}
