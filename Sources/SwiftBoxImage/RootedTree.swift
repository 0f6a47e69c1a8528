import CSwiftBox
import SwiftBoxLinux
#if canImport(Glibc)
import Glibc
#endif

/// A directory that every write of an unpack stays inside.
///
/// Paths are walked one component at a time from a descriptor of the root:
/// each step opens a single name with `openat2(RESOLVE_BENEATH |
/// RESOLVE_NO_SYMLINKS)`, so the kernel refuses to leave the directory it is
/// in. Symbolic links met on the way are read and followed *inside* the tree
/// (an absolute target starts again at the tree's root, as it would inside
/// the container); a target that climbs above the root with `..` is refused,
/// as is a chain of more than 40 links (a loop). Final components are never
/// followed: callers create, replace or remove them relative to the returned
/// directory descriptor.
final class RootedTree {
    /// The tree's path, for messages.
    let path: String
    /// An `Int32(SB_O_PATH)` descriptor of the root directory.
    let rootFD: Int32
    private var cacheKey: [String]?
    private var cacheFD: Int32 = -1

    static let resolveStep = UInt64(SB_RESOLVE_BENEATH | SB_RESOLVE_NO_SYMLINKS | SB_RESOLVE_NO_MAGICLINKS | SB_RESOLVE_NO_XDEV)

    /// Opens the tree rooted at `path` (which must be a directory).
    init(path: String) throws {
        self.path = path
        let fd = open(path, Int32(SB_O_PATH) | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW)
        if fd < 0 { throw SwiftBoxError.system("open directory \(path)") }
        rootFD = fd
    }

    deinit {
        if cacheFD >= 0 { close(cacheFD) }
        close(rootFD)
    }

    /// Forgets the cached directory; called after anything that may change
    /// how a path resolves (a removal, a new symlink).
    func invalidate() {
        if cacheFD >= 0 { close(cacheFD) }
        cacheFD = -1
        cacheKey = nil
    }

    /// An `Int32(SB_O_PATH)` descriptor of the directory `components` inside the tree,
    /// owned by the tree and valid until the next call. Missing directories are
    /// created (0755, root) when `create` is set; `what` names the entry in errors.
    func directory(_ components: ArraySlice<String>, create: Bool, what: String) throws -> Int32 {
        if components.isEmpty { return rootFD }
        if let key = cacheKey, key.elementsEqual(components) { return cacheFD }
        let fd = try walk(components, create: create, what: what)
        invalidate()
        cacheFD = fd
        cacheKey = Array(components)
        return fd
    }

    private func walk(_ components: ArraySlice<String>, create: Bool, what: String) throws -> Int32 {
        var stack: [Int32] = []
        defer { stack.forEach { close($0) } }
        var queue = Array(components.reversed())
        var links = 0
        var walked: [String] = []
        while let c = queue.popLast() {
            if c.isEmpty || c == "." { continue }
            let here = stack.last ?? rootFD
            if c == ".." {
                if stack.isEmpty {
                    throw SwiftBoxError("\(what): path escapes \(path) through a symbolic link (\"..\" above the root after /\(walked.joined(separator: "/")))", errno: EXDEV)
                }
                close(stack.removeLast())
                walked.removeLast()
                continue
            }
            var st = stat()
            if fstatat(here, c, &st, AT_SYMLINK_NOFOLLOW) != 0 {
                guard errno == ENOENT, create else {
                    throw SwiftBoxError.system("\(what): look up /\((walked + [c]).joined(separator: "/")) in \(path)")
                }
                if mkdirat(here, c, 0o755) != 0 && errno != EEXIST {
                    throw SwiftBoxError.system("\(what): create directory /\((walked + [c]).joined(separator: "/")) in \(path)")
                }
                st.st_mode = S_IFDIR
            }
            switch st.st_mode & S_IFMT {
            case S_IFLNK:
                links += 1
                if links > 40 {
                    throw SwiftBoxError("\(what): too many symbolic links (a loop?) at /\((walked + [c]).joined(separator: "/")) in \(path)", errno: ELOOP)
                }
                let target = try readLink(here, c, what: what)
                if target.hasPrefix("/") {
                    stack.forEach { close($0) }
                    stack = []
                    walked = []
                }
                queue.append(contentsOf: target.split(separator: "/").map(String.init).reversed())
            case S_IFDIR:
                let fd = sb_openat2(here, c, Int32(SB_O_PATH) | O_DIRECTORY | O_NOFOLLOW, 0, RootedTree.resolveStep)
                if fd < 0 { throw SwiftBoxError.system("\(what): open /\((walked + [c]).joined(separator: "/")) in \(path)") }
                stack.append(fd)
                walked.append(c)
            default:
                throw SwiftBoxError("\(what): /\((walked + [c]).joined(separator: "/")) in \(path) is not a directory", errno: ENOTDIR)
            }
        }
        guard let top = stack.popLast() else { return dup(rootFD) }
        return top
    }

    /// The target of the symlink `name` in directory `dirfd`.
    func readLink(_ dirfd: Int32, _ name: String, what: String) throws -> String {
        var buf = [CChar](repeating: 0, count: 4097)
        let n = readlinkat(dirfd, name, &buf, 4096)
        if n < 0 { throw SwiftBoxError.system("\(what): read link \(name) in \(path)") }
        buf[n] = 0
        return String(cString: buf)
    }

    /// Removes `name` in `dirfd` and, if it is a directory, everything below it,
    /// without following any symlink. `keep` is asked for each path (relative
    /// to the tree, as components) and spares it and, for a directory, itself
    /// while its other children go.
    static func remove(_ dirfd: Int32, _ name: String, at comps: [String], keep: ([String]) -> Bool = { _ in false },
                       what: String) throws {
        if keep(comps) {
            var st = stat()
            guard fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0, (st.st_mode & S_IFMT) == S_IFDIR else { return }
            let fd = sb_openat2(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW, 0, resolveStep)
            if fd < 0 { throw SwiftBoxError.system("\(what): open directory \(comps.joined(separator: "/"))") }
            defer { close(fd) }
            for child in try list(fd, what: what) {
                try remove(fd, child, at: comps + [child], keep: keep, what: what)
            }
            return
        }
        if unlinkat(dirfd, name, 0) == 0 || errno == ENOENT { return }
        guard errno == EISDIR || errno == EPERM else {
            throw SwiftBoxError.system("\(what): remove \(comps.joined(separator: "/"))")
        }
        let fd = sb_openat2(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW, 0, resolveStep)
        if fd < 0 { throw SwiftBoxError.system("\(what): open directory \(comps.joined(separator: "/"))") }
        for child in try list(fd, what: what) {
            do { try remove(fd, child, at: comps + [child], what: what) } catch { close(fd); throw error }
        }
        close(fd)
        if unlinkat(dirfd, name, AT_REMOVEDIR) != 0 && errno != ENOENT {
            throw SwiftBoxError.system("\(what): remove directory \(comps.joined(separator: "/"))")
        }
    }

    /// The names in the directory `fd` (not closed), without `.` and `..`.
    static func list(_ fd: Int32, what: String) throws -> [String] {
        let copy = sb_openat2(fd, ".", O_RDONLY | O_DIRECTORY, 0, 0)
        guard copy >= 0, let dir = fdopendir(copy) else { throw SwiftBoxError.system("\(what): list directory") }
        defer { closedir(dir) }
        return FS.entries(of: dir)
    }
}

/// Tar entry names turned into path components.
enum EntryPath {
    /// The components of an entry name (`./a//b/` → `[a, b]`). Absolute names
    /// and names with a `..` component are refused: an image never names a
    /// file outside the directory it is unpacked into.
    static func components(_ name: String, what: String) throws -> [String] {
        // umoci writes the root itself as "/": only that absolute name is accepted.
        if name.hasPrefix("/") && !name.split(separator: "/").allSatisfy({ $0 == "." }) {
            throw SwiftBoxError("\(what): absolute path \"\(name)\" refused (entries must be relative to the image root)", errno: EXDEV)
        }
        var out: [String] = []
        for c in name.split(separator: "/", omittingEmptySubsequences: true) {
            if c == "." { continue }
            if c == ".." {
                throw SwiftBoxError("\(what): path \"\(name)\" refused: it contains \"..\" and could escape the target", errno: EXDEV)
            }
            out.append(String(c))
        }
        return out
    }
}
