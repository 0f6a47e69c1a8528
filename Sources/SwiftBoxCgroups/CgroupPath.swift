#if canImport(Glibc)
import Glibc
#endif
import SwiftBoxLinux

/// Where a container's cgroup lives in each hierarchy, resolved from
/// `linux.cgroupsPath` as runc does:
///
/// - absent: `/swiftbox/<id>` in every hierarchy;
/// - absolute (`/a/b`): that path below each hierarchy's mount;
/// - relative (`a/b`): below the calling process's own cgroup in each hierarchy,
///   which may differ per hierarchy;
/// - with `--systemd-cgroup`, `slice:prefix:name` becomes the cgroupfs path
///   systemd would use (`system.slice:swiftbox:web` → `/system.slice/swiftbox-web.scope`).
///
/// `encoded` is what the runtime stores and hands back to re-open the cgroup:
/// the one absolute path when every hierarchy agrees, otherwise
/// `@key=/path;key=/path` with /proc/PID/cgroup's hierarchy keys.
public struct CgroupPath: Equatable, Sendable {
    /// The path used in hierarchies not listed in `perHierarchy`.
    public var common: String
    /// Paths that differ from `common`, by /proc/PID/cgroup hierarchy key.
    public var perHierarchy: [String: String]
    /// A message for the user when the request was interpreted (systemd paths).
    public var notice: String?

    /// The path below `hierarchy`'s mount point.
    public func path(in hierarchy: CgroupHierarchy) -> String {
        perHierarchy[hierarchy.procKey] ?? common
    }

    /// The form the runtime stores in state.json; `resolve` accepts it back.
    public var encoded: String {
        if perHierarchy.isEmpty { return common }
        return "@" + perHierarchy.keys.sorted().map { "\($0)=\(perHierarchy[$0]!)" }.joined(separator: ";")
    }

    /// Resolves a container's cgroup path.
    /// - Parameters:
    ///   - id: the container id (names the default cgroup).
    ///   - cgroupsPath: `linux.cgroupsPath`, or a previously `encoded` path.
    ///   - systemd: whether `--systemd-cgroup` was given.
    ///   - layout: the host's hierarchies.
    ///   - own: the calling process's cgroups (relative paths start there).
    ///   - systemdRunning: whether systemd manages this host (changes the notice only).
    public static func resolve(id: String, cgroupsPath: String?, systemd: Bool, layout: CgroupLayout,
                               own: ProcessCgroups, systemdRunning: Bool) throws -> CgroupPath {
        if systemd { return try resolveSystemd(id: id, cgroupsPath: cgroupsPath, systemdRunning: systemdRunning) }
        let requested = cgroupsPath ?? "/swiftbox/\(id)"
        if requested.isEmpty { return CgroupPath(common: "/swiftbox/\(id)", perHierarchy: [:]) }
        if requested.hasPrefix("@") { return try decode(requested) }
        if requested.split(separator: "/").contains("..") {
            throw SwiftBoxError("linux.cgroupsPath \"\(requested)\": must not contain \"..\"")
        }
        if requested.hasPrefix("/") {
            let p = FS.clean(requested)
            if p == "/" { throw SwiftBoxError("linux.cgroupsPath \"\(requested)\": must not be the root cgroup") }
            return CgroupPath(common: p, perHierarchy: [:])
        }
        if requested.contains(";") || requested.contains("=") {
            throw SwiftBoxError("linux.cgroupsPath \"\(requested)\": a relative path must not contain ';' or '='")
        }
        var paths: [String: String] = [:]
        for h in layout.hierarchies {
            var base = own.path(in: h)
            // A mount that shows a sub-cgroup (bind mount, or host view of a namespace)
            // starts at `root`: paths below the mount are relative to it.
            if h.root != "/", base == h.root || base.hasPrefix(h.root + "/") {
                base = String(base.dropFirst(h.root.count))
            }
            paths[h.procKey] = FS.clean(base + "/" + requested)
        }
        let distinct = Set(paths.values)
        if distinct.count <= 1 { return CgroupPath(common: distinct.first ?? FS.clean("/" + requested), perHierarchy: [:]) }
        return CgroupPath(common: FS.clean("/" + requested), perHierarchy: paths)
    }

    static func decode(_ s: String) throws -> CgroupPath {
        var map: [String: String] = [:]
        for item in s.dropFirst().split(separator: ";") {
            guard let r = item.firstRange(of: "=/") else {
                throw SwiftBoxError("cgroup path \"\(s)\": \"\(item)\" is not key=/path")
            }
            map[String(item[..<r.lowerBound])] = FS.clean(String(item[item.index(after: r.lowerBound)...]))
        }
        let common = map[""] ?? map.values.sorted().first ?? "/"
        return CgroupPath(common: common, perHierarchy: map)
    }

    /// `slice:prefix:name` → `/<expanded slice>/<prefix>-<name>.scope`, as runc's
    /// systemd driver names the unit, placed directly on cgroupfs.
    static func resolveSystemd(id: String, cgroupsPath: String?, systemdRunning: Bool) throws -> CgroupPath {
        let requested = cgroupsPath ?? "system.slice:swiftbox:\(id)"
        let parts = requested.split(separator: ":", omittingEmptySubsequences: false).map(String.init)
        guard parts.count == 3 else {
            throw SwiftBoxError("linux.cgroupsPath \"\(requested)\": with --systemd-cgroup it must be slice:prefix:name (e.g. system.slice:swiftbox:\(id))")
        }
        let slice = parts[0].isEmpty ? "system.slice" : parts[0]
        let prefix = parts[1]
        let name = parts[2].isEmpty ? id : parts[2]
        let path: String
        if name.hasSuffix(".slice") {
            path = try expand(slice: name, whole: requested)
        } else {
            if name.contains("/") || prefix.contains("/") {
                throw SwiftBoxError("linux.cgroupsPath \"\(requested)\": prefix and name must not contain '/'")
            }
            let unit = prefix.isEmpty ? "\(name).scope" : "\(prefix)-\(name).scope"
            path = FS.clean(try expand(slice: slice, whole: requested) + "/" + unit)
        }
        let how = systemdRunning
            ? "swiftbox does not ask systemd over D-Bus for a scope; it creates"
            : "systemd is not running on this host; swiftbox creates"
        let notice = "--systemd-cgroup: \(how) \"\(requested)\" as the cgroupfs path \(path)"
        return CgroupPath(common: path, perHierarchy: [:], notice: notice)
    }

    /// `a-b-c.slice` → `/a.slice/a-b.slice/a-b-c.slice` (systemd's slice nesting);
    /// `-.slice` is the root.
    static func expand(slice: String, whole: String) throws -> String {
        guard slice.hasSuffix(".slice"), !slice.contains("/") else {
            throw SwiftBoxError("linux.cgroupsPath \"\(whole)\": \"\(slice)\" is not a systemd slice name (like system.slice or machine-web.slice)")
        }
        if slice == "-.slice" { return "/" }
        let base = String(slice.dropLast(".slice".count))
        if base.isEmpty || base.hasPrefix("-") || base.hasSuffix("-") || base.contains("--") {
            throw SwiftBoxError("linux.cgroupsPath \"\(whole)\": \"\(slice)\" is not a valid slice name")
        }
        var path = ""
        var prefix = ""
        for component in base.split(separator: "-") {
            prefix += prefix.isEmpty ? String(component) : "-" + component
            path += "/" + prefix + ".slice"
        }
        return path
    }
}
