import CArchive
import CSwiftBox
import SwiftBoxLinux
#if canImport(Glibc)
import Glibc
#endif

/// How whiteouts are written when a layer is unpacked.
public enum UnpackLayout: String, Codable, Sendable {
    /// Each layer in its own directory, whiteouts as overlayfs expects them:
    /// `.wh.NAME` becomes a 0:0 character device NAME, `.wh..wh..opq` the
    /// `trusted.overlay.opaque=y` attribute of its directory.
    case overlay
    /// Layers applied on top of each other in one directory: whiteouts delete
    /// what lower layers put there.
    case flattened
}

/// Limits that stop a decompression bomb or a hostile archive.
public struct UnpackLimits: Sendable, Equatable {
    /// Most entries one layer may hold.
    public var maxEntries: Int
    /// Most uncompressed bytes one layer may expand to.
    public var maxLayerBytes: Int64
    /// Most bytes of extended attributes on one entry.
    public var maxXattrBytes: Int

    /// The defaults: 2 million entries and 64 GiB per layer, 1 MiB of xattrs per entry.
    public init(maxEntries: Int = 2_000_000, maxLayerBytes: Int64 = 64 << 30, maxXattrBytes: Int = 1 << 20) {
        self.maxEntries = maxEntries; self.maxLayerBytes = maxLayerBytes; self.maxXattrBytes = maxXattrBytes
    }
}

/// Applies tar entries to a `RootedTree`: every file type, ownership, modes,
/// times and xattrs, whiteouts per the OCI image-spec, and every path checked.
final class LayerWriter {
    let tree: RootedTree
    let layout: UnpackLayout
    let label: String
    let limits: UnpackLimits
    /// False when unpacking an image *archive* (not a layer): only plain files,
    /// directories and symlinks, owned by root.
    let isLayer: Bool
    private var written = Set<[String]>()
    private var dirTimes: [([String], timespec, timespec)] = []
    private(set) var entries = 0

    init(tree: RootedTree, layout: UnpackLayout, label: String, limits: UnpackLimits, isLayer: Bool = true) {
        self.tree = tree; self.layout = layout; self.label = label; self.limits = limits; self.isLayer = isLayer
    }

    /// Applies the entry just read from `archive`.
    func apply(_ entry: OpaquePointer, from archive: OpaquePointer) throws {
        entries += 1
        if entries > limits.maxEntries {
            throw SwiftBoxError("\(label): more than \(limits.maxEntries) entries (limit reached; a decompression bomb?)")
        }
        guard let rawName = archive_entry_pathname(entry) else {
            throw SwiftBoxError("\(label): entry \(entries) has no name")
        }
        guard let name = String(validatingCString: rawName) else {
            throw SwiftBoxError("\(label): entry \(entries) has a name that is not valid UTF-8")
        }
        let what = "\(label): entry \"\(name)\""
        let comps = try EntryPath.components(name, what: what)
        let type = archive_entry_filetype(entry)
        let hardlink = archive_entry_hardlink(entry)

        guard let base = comps.last else {
            // The root directory itself ("./"): take its metadata.
            if type == AE_IFDIR && isLayer { try setDirectoryMetadata(tree.rootFD, ".", comps, entry, what: what) }
            return
        }
        let parentComps = comps.dropLast()

        if isLayer && base.hasPrefix(".wh.") {
            try applyWhiteout(base: base, parent: parentComps, what: what)
            return
        }

        let parent = try tree.directory(parentComps, create: true, what: what)
        var st = stat()
        let exists = fstatat(parent, base, &st, AT_SYMLINK_NOFOLLOW) == 0
        if exists {
            let isDir = (st.st_mode & S_IFMT) == S_IFDIR
            if !(isDir && type == AE_IFDIR && hardlink == nil) {
                // Anything else replaces what is there (a file over a directory
                // removes the directory and all below it, as overlayfs would show it).
                try RootedTree.remove(parent, base, at: comps, what: what)
                tree.invalidate()
            }
        }
        written.insert(comps)

        if let hardlink {
            guard let targetName = String(validatingCString: hardlink) else {
                throw SwiftBoxError("\(what): hardlink target is not valid UTF-8")
            }
            let target = try EntryPath.components(targetName, what: "\(what): hardlink to \"\(targetName)\"")
            guard let targetBase = target.last else {
                throw SwiftBoxError("\(what): hardlink to the root directory refused")
            }
            let targetParent: Int32
            do {
                let fd = try tree.directory(target.dropLast(), create: false, what: "\(what): hardlink target")
                targetParent = dup(fd)
            }
            defer { close(targetParent) }
            let parent2 = try tree.directory(parentComps, create: true, what: what)
            var tst = stat()
            guard fstatat(targetParent, targetBase, &tst, AT_SYMLINK_NOFOLLOW) == 0 else {
                throw SwiftBoxError("\(what): hardlink target \"\(targetName)\" does not exist in \(tree.path) (a link must name an earlier entry of the image)", errno: ENOENT)
            }
            if (tst.st_mode & S_IFMT) == S_IFDIR {
                throw SwiftBoxError("\(what): hardlink to directory \"\(targetName)\" refused", errno: EPERM)
            }
            if linkat(targetParent, targetBase, parent2, base, 0) != 0 {
                throw SwiftBoxError.system("\(what): link to \(targetName)")
            }
            return
        }

        let parentFD = try tree.directory(parentComps, create: true, what: what)
        switch type {
        case AE_IFREG:
            try writeFile(parentFD, base, entry, archive, what: what)
        case AE_IFDIR:
            if !exists || (st.st_mode & S_IFMT) != S_IFDIR {
                if mkdirat(parentFD, base, 0o700) != 0 { throw SwiftBoxError.system("\(what): create directory") }
            }
            try setDirectoryMetadata(parentFD, base, comps, entry, what: what)
        case AE_IFLNK:
            guard let t = archive_entry_symlink(entry), let target = String(validatingCString: t) else {
                throw SwiftBoxError("\(what): symlink without a valid UTF-8 target")
            }
            if symlinkat(target, parentFD, base) != 0 { throw SwiftBoxError.system("\(what): create symlink to \(target)") }
            tree.invalidate()
            try setLinkMetadata(tree.directory(parentComps, create: true, what: what), base, entry, what: what)
        case AE_IFCHR, AE_IFBLK, AE_IFIFO:
            guard isLayer else { throw SwiftBoxError("\(what): device or FIFO entries are not allowed in an image archive") }
            let major = UInt32(truncatingIfNeeded: archive_entry_rdevmajor(entry))
            let minor = UInt32(truncatingIfNeeded: archive_entry_rdevminor(entry))
            if sb_mknodat(parentFD, base, UInt32(type) | 0o600, major, minor) != 0 {
                throw SwiftBoxError.system("\(what): create device/FIFO node")
            }
            try setNodeMetadata(parentFD, base, entry, what: what)
        default:
            throw SwiftBoxError("\(what): unsupported entry type 0o\(String(type, radix: 8))")
        }
    }

    /// Sets directory times, which writing their children changed. Call once
    /// after the last entry.
    func finish() throws {
        for (comps, atime, mtime) in dirTimes {
            let fd: Int32
            if comps.isEmpty {
                fd = sb_openat2(tree.rootFD, ".", O_RDONLY | O_DIRECTORY, 0, 0)
            } else {
                guard let parent = try? tree.directory(comps.dropLast(), create: false, what: label) else { continue }
                fd = sb_openat2(parent, comps.last!, O_RDONLY | O_DIRECTORY | O_NOFOLLOW, 0, RootedTree.resolveStep)
            }
            // A directory replaced or whited out later in the layer is gone: nothing to do.
            if fd < 0 { continue }
            var ts = [atime, mtime]
            _ = futimens(fd, &ts)
            close(fd)
        }
        dirTimes = []
    }

    // MARK: - Whiteouts

    private func applyWhiteout(base: String, parent: ArraySlice<String>, what: String) throws {
        if base == ".wh..wh..opq" {
            switch layout {
            case .overlay:
                let dirFD = try tree.directory(parent, create: true, what: what)
                let fd = sb_openat2(dirFD, ".", O_RDONLY | O_DIRECTORY, 0, 0)
                if fd < 0 { throw SwiftBoxError.system("\(what): open opaque directory") }
                defer { close(fd) }
                if sb_fsetxattr(fd, "trusted.overlay.opaque", "y", 1) != 0 {
                    throw SwiftBoxError.system("\(what): mark directory opaque (trusted.overlay.opaque)")
                }
            case .flattened:
                // Everything lower layers put in this directory goes; what this
                // layer wrote (before or after the marker) stays.
                guard let dirFD = try? tree.directory(parent, create: false, what: what) else { return }
                let comps = Array(parent)
                let owned = dup(dirFD)
                defer { close(owned) }
                for child in try RootedTree.list(owned, what: what) {
                    try RootedTree.remove(owned, child, at: comps + [child], keep: { self.written.contains($0) }, what: what)
                }
                tree.invalidate()
            }
            return
        }
        if base.hasPrefix(".wh..wh.") { return } // aufs metadata (.wh..wh.plnk …): not content
        let victim = String(base.dropFirst(4))
        if victim.isEmpty || victim == "." || victim == ".." {
            throw SwiftBoxError("\(what): malformed whiteout name")
        }
        let comps = Array(parent) + [victim]
        // A whiteout hides lower layers only, never an entry of its own layer.
        if written.contains(comps) { return }
        switch layout {
        case .overlay:
            let dirFD = try tree.directory(parent, create: true, what: what)
            var st = stat()
            if fstatat(dirFD, victim, &st, AT_SYMLINK_NOFOLLOW) == 0 {
                try RootedTree.remove(dirFD, victim, at: comps, what: what)
                tree.invalidate()
            }
            let fd = try tree.directory(parent, create: true, what: what)
            if sb_mknodat(fd, victim, UInt32(0o020000), 0, 0) != 0 {
                throw SwiftBoxError.system("\(what): create whiteout device for \(victim)")
            }
        case .flattened:
            guard let dirFD = try? tree.directory(parent, create: false, what: what) else { return }
            let owned = dup(dirFD)
            defer { close(owned) }
            try RootedTree.remove(owned, victim, at: comps, keep: { self.written.contains($0) }, what: what)
            tree.invalidate()
        }
    }

    // MARK: - Files and metadata

    private func writeFile(_ parent: Int32, _ base: String, _ entry: OpaquePointer, _ archive: OpaquePointer,
                           what: String) throws {
        let fd = openat(parent, base, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o600)
        if fd < 0 { throw SwiftBoxError.system("\(what): create file") }
        defer { close(fd) }
        var buf: UnsafeRawPointer?
        var size = 0
        var offset: la_int64_t = 0
        var end: Int64 = 0
        while true {
            let r = archive_read_data_block(archive, &buf, &size, &offset)
            if r == ARCHIVE_EOF { break }
            if r < ARCHIVE_OK {
                throw SwiftBoxError("\(what): cannot read file data: \(LayerWriter.archiveError(archive))", errno: EIO)
            }
            guard let p = buf, size > 0 else { continue }
            var done = 0
            while done < size {
                let n = pwrite(fd, p + done, size - done, off_t(offset) + off_t(done))
                if n < 0 {
                    if errno == EINTR { continue }
                    throw SwiftBoxError.system("\(what): write file")
                }
                done += n
            }
            end = max(end, Int64(offset) + Int64(size))
        }
        let full = Int64(archive_entry_size(entry))
        if full > end && ftruncate(fd, off_t(full)) != 0 { throw SwiftBoxError.system("\(what): extend sparse file") }
        if isLayer && fchown(fd, uid(entry), gid(entry)) != 0 { throw SwiftBoxError.system("\(what): chown") }
        if fchmod(fd, mode_t(archive_entry_perm(entry)) & (isLayer ? 0o7777 : 0o755)) != 0 {
            throw SwiftBoxError.system("\(what): chmod")
        }
        try applyXattrs(entry, what: what) { sb_fsetxattr(fd, $0, $1, $2) }
        var ts = times(entry)
        if futimens(fd, &ts) != 0 { throw SwiftBoxError.system("\(what): set times") }
    }

    private func setDirectoryMetadata(_ parent: Int32, _ base: String, _ comps: [String], _ entry: OpaquePointer,
                                      what: String) throws {
        let fd = sb_openat2(parent, base, O_RDONLY | O_DIRECTORY | O_NOFOLLOW, 0,
                            base == "." ? 0 : RootedTree.resolveStep)
        if fd < 0 { throw SwiftBoxError.system("\(what): open directory") }
        defer { close(fd) }
        if isLayer && fchown(fd, uid(entry), gid(entry)) != 0 { throw SwiftBoxError.system("\(what): chown") }
        if fchmod(fd, mode_t(archive_entry_perm(entry)) & (isLayer ? 0o7777 : 0o755)) != 0 {
            throw SwiftBoxError.system("\(what): chmod")
        }
        try applyXattrs(entry, what: what) { sb_fsetxattr(fd, $0, $1, $2) }
        let ts = times(entry)
        dirTimes.append((comps, ts[0], ts[1]))
    }

    private func setLinkMetadata(_ parent: Int32, _ base: String, _ entry: OpaquePointer, what: String) throws {
        if isLayer && fchownat(parent, base, uid(entry), gid(entry), AT_SYMLINK_NOFOLLOW) != 0 {
            throw SwiftBoxError.system("\(what): chown symlink")
        }
        let path = "/proc/self/fd/\(parent)/\(base)"
        try applyXattrs(entry, what: what) { sb_lsetxattr(path, $0, $1, $2) }
        var ts = times(entry)
        if utimensat(parent, base, &ts, AT_SYMLINK_NOFOLLOW) != 0 { throw SwiftBoxError.system("\(what): set symlink times") }
    }

    private func setNodeMetadata(_ parent: Int32, _ base: String, _ entry: OpaquePointer, what: String) throws {
        if fchownat(parent, base, uid(entry), gid(entry), AT_SYMLINK_NOFOLLOW) != 0 {
            throw SwiftBoxError.system("\(what): chown")
        }
        if fchmodat(parent, base, mode_t(archive_entry_perm(entry)) & 0o7777, 0) != 0 {
            throw SwiftBoxError.system("\(what): chmod")
        }
        let path = "/proc/self/fd/\(parent)/\(base)"
        try applyXattrs(entry, what: what) { sb_lsetxattr(path, $0, $1, $2) }
        var ts = times(entry)
        if utimensat(parent, base, &ts, AT_SYMLINK_NOFOLLOW) != 0 { throw SwiftBoxError.system("\(what): set times") }
    }

    /// Sets the entry's xattrs (after chown, which would clear security.capability).
    /// `trusted.overlay.*` is never taken from an image: it would steer overlayfs.
    private func applyXattrs(_ entry: OpaquePointer, what: String,
                             _ set: (UnsafePointer<CChar>, UnsafeRawPointer?, Int) -> Int32) throws {
        guard isLayer, archive_entry_xattr_reset(entry) > 0 else { return }
        var name: UnsafePointer<CChar>?
        var value: UnsafeRawPointer?
        var size = 0
        var total = 0
        while archive_entry_xattr_next(entry, &name, &value, &size) == ARCHIVE_OK {
            guard let name else { continue }
            let key = String(cString: name)
            total += size + key.utf8.count
            if total > limits.maxXattrBytes {
                throw SwiftBoxError("\(what): more than \(limits.maxXattrBytes) bytes of extended attributes")
            }
            if key.hasPrefix("trusted.overlay.") { continue }
            if set(name, value, size) != 0 {
                let e = errno
                // Filesystems without user xattrs on some types: skip as tar does.
                if e == EOPNOTSUPP || (e == EPERM && key.hasPrefix("user.")) { continue }
                throw SwiftBoxError.system("\(what): set extended attribute \(key)", errno: e)
            }
        }
    }

    private func uid(_ e: OpaquePointer) -> uid_t { uid_t(truncatingIfNeeded: archive_entry_uid(e)) }
    private func gid(_ e: OpaquePointer) -> gid_t { gid_t(truncatingIfNeeded: archive_entry_gid(e)) }

    private func times(_ e: OpaquePointer) -> [timespec] {
        let m = timespec(tv_sec: archive_entry_mtime(e), tv_nsec: archive_entry_mtime_nsec(e))
        let a = archive_entry_atime_is_set(e) != 0
            ? timespec(tv_sec: archive_entry_atime(e), tv_nsec: archive_entry_atime_nsec(e)) : m
        return [a, m]
    }

    /// libarchive's message for the last error on `a`.
    static func archiveError(_ a: OpaquePointer) -> String {
        if let s = archive_error_string(a) { return String(cString: s) }
        return "unknown libarchive error"
    }
}

// libarchive's AE_IF* file types (macros with casts, not imported into Swift).
let AE_IFREG: mode_t = 0o100000
let AE_IFLNK: mode_t = 0o120000
let AE_IFSOCK: mode_t = 0o140000
let AE_IFCHR: mode_t = 0o020000
let AE_IFBLK: mode_t = 0o060000
let AE_IFDIR: mode_t = 0o040000
let AE_IFIFO: mode_t = 0o010000
