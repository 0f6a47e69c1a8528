#if canImport(Glibc)
import Glibc
#endif
import SwiftBoxLinux
import SwiftBoxOCI

/// The cgroups of one container, in every mounted hierarchy.
///
/// This is the seam the runtime calls: create (and apply limits) before the
/// container's init is released, add the init pid, list/signal/freeze its
/// processes, and destroy on delete.
public final class ContainerCgroup {
    /// The cgroup path below each hierarchy's root (e.g. `/swiftbox/web-1`).
    public let path: String
    /// Hierarchy mount points, v1 and v2, as found in /proc/self/mountinfo.
    public let hierarchies: [String]

    /// Resolves the cgroup path for a container as runc does: the configured
    /// `cgroupsPath` (absolute, or relative to swiftbox's own cgroup), or
    /// `/swiftbox/<id>` by default.
    public init(id: String, cgroupsPath: String?, systemd: Bool) throws {
        if systemd { throw SwiftBoxError("--systemd-cgroup is not supported yet; drop the flag to use cgroupfs paths") }
        let p = cgroupsPath ?? "/swiftbox/\(id)"
        if p.split(separator: "/").contains("..") {
            throw SwiftBoxError("linux.cgroupsPath \"\(p)\": must not contain \"..\"")
        }
        path = p.hasPrefix("/") ? FS.clean(p) : FS.clean("/swiftbox/" + p)
        hierarchies = Self.mountedHierarchies()
    }

    static func mountedHierarchies() -> [String] {
        guard let text = try? FS.readString("/proc/self/mountinfo") else { return [] }
        var out: [String] = []
        for line in text.split(separator: "\n") {
            guard let dash = line.firstRange(of: " - ") else { continue }
            let fstype = line[dash.upperBound...].split(separator: " ").first ?? ""
            guard fstype == "cgroup" || fstype == "cgroup2" else { continue }
            let fields = line.split(separator: " ")
            out.append(String(fields[4]))
        }
        return out
    }

    /// The directories of this container's cgroup, one per hierarchy.
    public var directories: [String] { hierarchies.map { FS.join($0, path) } }

    /// Creates the cgroup in every hierarchy and applies `resources`.
    public func create(resources: Resources?) throws {
        if let r = resources, r != Resources() {
            throw SwiftBoxError("linux.resources: resource limits are not supported yet; remove the section")
        }
        do {
            for dir in directories {
                try FS.mkdirAll(dir)
                if FS.exists(dir + "/cpuset.cpus") { try inheritCpuset(dir) }
            }
        } catch {
            try? destroy()
            throw error
        }
    }

    /// A new v1 cpuset starts empty and refuses tasks: copy cpus and mems down
    /// from the nearest ancestor that has them.
    func inheritCpuset(_ dir: String) throws {
        for file in ["cpuset.cpus", "cpuset.mems"] {
            let mine = (try? FS.readString(dir + "/" + file)) ?? ""
            if !mine.trimmingWhitespace().isEmpty { continue }
            var parent = FS.dirname(dir)
            while parent.count > 1 {
                let value = ((try? FS.readString(parent + "/" + file)) ?? "").trimmingWhitespace()
                if !value.isEmpty {
                    // Fill the empty levels between, top down.
                    var chain: [String] = []
                    var d = dir
                    while d != parent { chain.append(d); d = FS.dirname(d) }
                    for level in chain.reversed() { try FS.write(level + "/" + file, value) }
                    break
                }
                parent = FS.dirname(parent)
            }
        }
    }

    /// Moves a process into the cgroup in every hierarchy.
    public func add(pid: Int32) throws {
        for dir in directories {
            try FS.write(dir + "/cgroup.procs", "\(pid)", truncate: false)
        }
    }

    /// The pids in the cgroup (from the first hierarchy that has the cgroup).
    public func processes() -> [Int32] {
        for dir in directories {
            if let text = try? FS.readString(dir + "/cgroup.procs") {
                return text.split(separator: "\n").compactMap { Int32($0) }
            }
        }
        return []
    }

    /// Sends a signal to every process in the cgroup.
    public func signalAll(_ sig: Int32) throws {
        for pid in processes() { _ = kill(pid, sig) }
    }

    /// Stops every process of the cgroup (v1 freezer or v2 cgroup.freeze).
    public func freeze() throws { try setFrozen(true) }

    /// Lets a frozen cgroup run again.
    public func thaw() throws { try setFrozen(false) }

    /// Whether the cgroup is frozen (paused).
    public func isFrozen() -> Bool {
        for dir in directories {
            if let s = try? FS.readString(dir + "/freezer.state") { return s.hasPrefix("FROZEN") }
            if let s = try? FS.readString(dir + "/cgroup.freeze") { return s.hasPrefix("1") }
        }
        return false
    }

    func setFrozen(_ frozen: Bool) throws {
        for dir in directories {
            if FS.exists(dir + "/freezer.state") {
                try FS.write(dir + "/freezer.state", frozen ? "FROZEN" : "THAWED")
                return
            }
            if FS.exists(dir + "/cgroup.freeze") {
                try FS.write(dir + "/cgroup.freeze", frozen ? "1" : "0")
                return
            }
        }
        throw SwiftBoxError("no freezer is available for cgroup \(path)")
    }

    /// Removes the cgroup directories, retrying while they are still busy.
    public func destroy() throws {
        var last: SwiftBoxError?
        for dir in directories where FS.exists(dir) {
            var tries = 0
            while rmdir(dir) != 0 {
                if errno == ENOENT { break }
                tries += 1
                if errno != EBUSY || tries > 50 { last = .system("remove cgroup \(dir)"); break }
                usleep(10_000)
            }
        }
        if let last { throw last }
    }
}
