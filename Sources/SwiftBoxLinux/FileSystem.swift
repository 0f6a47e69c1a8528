#if canImport(Glibc)
import Glibc
#endif

/// Small throwing wrappers over file system calls. Paths are plain strings:
/// this module stays free of Foundation so that `swiftbox init` starts fast.
public enum FS {
    /// Reads a whole file.
    public static func read(_ path: String) throws -> [UInt8] {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        if fd < 0 { throw SwiftBoxError.system("open \(path)") }
        defer { close(fd) }
        return try readAll(fd: fd, what: path)
    }

    /// Reads a whole file as UTF-8 text.
    public static func readString(_ path: String) throws -> String {
        String(decoding: try read(path), as: UTF8.self)
    }

    /// Reads until EOF from a descriptor.
    public static func readAll(fd: Int32, what: String) throws -> [UInt8] {
        // Read into uninitialised storage, growing the chunk: no zero-filled
        // scratch buffer (this runs on every container start, mostly on small
        // /proc and cgroup files).
        var out: [UInt8] = []
        var chunk = 4096
        while true {
            var failed: Int32 = 0
            let piece = [UInt8](unsafeUninitializedCapacity: chunk) { buf, count in
                let r = Glibc.read(fd, buf.baseAddress, chunk)
                if r < 0 { failed = errno; count = 0 } else { count = r }
            }
            if failed == EINTR { continue }
            if failed != 0 { throw SwiftBoxError.system("read \(what)", errno: failed) }
            if piece.isEmpty { break }
            if out.isEmpty { out = piece } else { out += piece }
            chunk = min(chunk * 4, 1 << 20)
        }
        return out
    }

    /// Writes `bytes` to `path` with a single write(2) (cgroup and proc files
    /// need exactly one write), creating it with `mode` when `create` is set.
    public static func write(_ path: String, _ bytes: [UInt8], create: Bool = false,
                             truncate: Bool = true, mode: mode_t = 0o644) throws {
        var flags = O_WRONLY | O_CLOEXEC
        if create { flags |= O_CREAT }
        if truncate { flags |= O_TRUNC }
        let fd = open(path, flags, mode)
        if fd < 0 { throw SwiftBoxError.system("open \(path) for writing") }
        defer { close(fd) }
        try writeAll(fd: fd, bytes, what: path)
    }

    /// Writes a string to a file (see `write(_:_:create:truncate:mode:)`).
    public static func write(_ path: String, _ text: String, create: Bool = false,
                             truncate: Bool = true, mode: mode_t = 0o644) throws {
        try write(path, Array(text.utf8), create: create, truncate: truncate, mode: mode)
    }

    /// Writes every byte to a descriptor.
    public static func writeAll(fd: Int32, _ bytes: [UInt8], what: String) throws {
        var off = 0
        while off < bytes.count {
            let n = bytes.withUnsafeBytes { Glibc.write(fd, $0.baseAddress! + off, $0.count - off) }
            if n < 0 {
                if errno == EINTR { continue }
                throw SwiftBoxError.system("write \(what)")
            }
            off += n
        }
    }

    /// Writes a file atomically: a temporary file in the same folder, fsync, rename.
    public static func writeAtomically(_ path: String, _ bytes: [UInt8], mode: mode_t = 0o644) throws {
        let tmp = path + ".tmp.\(getpid())"
        let fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode)
        if fd < 0 { throw SwiftBoxError.system("create \(tmp)") }
        do {
            try writeAll(fd: fd, bytes, what: tmp)
            close(fd)
        } catch {
            close(fd)
            unlink(tmp)
            throw error
        }
        if rename(tmp, path) != 0 {
            let e = errno
            unlink(tmp)
            throw SwiftBoxError.system("rename \(tmp) to \(path)", errno: e)
        }
    }

    /// Whether anything exists at `path` (without following a final symlink).
    public static func exists(_ path: String) -> Bool {
        var st = Glibc.stat()
        return lstat(path, &st) == 0
    }

    /// The `stat` of a path, following symlinks; nil if it does not exist.
    public static func info(_ path: String) -> Glibc.stat? {
        var st = Glibc.stat()
        return stat(path, &st) == 0 ? st : nil
    }

    /// Whether `path` is a directory (following symlinks).
    public static func isDirectory(_ path: String) -> Bool {
        guard let st = info(path) else { return false }
        return (st.st_mode & S_IFMT) == S_IFDIR
    }

    /// Creates a directory and any missing parents.
    public static func mkdirAll(_ path: String, mode: mode_t = 0o755) throws {
        if path.isEmpty || isDirectory(path) { return }
        let parent = dirname(path)
        if parent != path { try mkdirAll(parent, mode: mode) }
        if mkdir(path, mode) != 0 && errno != EEXIST {
            throw SwiftBoxError.system("create directory \(path)")
        }
    }

    /// Removes a file, a symlink or a directory tree. Does not cross mount points
    /// (a mount below would make rmdir fail with EBUSY, which is reported).
    public static func removeAll(_ path: String) throws {
        var st = Glibc.stat()
        if lstat(path, &st) != 0 {
            if errno == ENOENT { return }
            throw SwiftBoxError.system("stat \(path)")
        }
        if (st.st_mode & S_IFMT) == S_IFDIR {
            for name in try list(path) { try removeAll(path + "/" + name) }
            if rmdir(path) != 0 && errno != ENOENT { throw SwiftBoxError.system("remove directory \(path)") }
        } else if unlink(path) != 0 && errno != ENOENT {
            throw SwiftBoxError.system("remove \(path)")
        }
    }

    /// The names in a directory, without `.` and `..`.
    public static func list(_ path: String) throws -> [String] {
        guard let dir = opendir(path) else { throw SwiftBoxError.system("open directory \(path)") }
        defer { closedir(dir) }
        return entries(of: dir)
    }

    /// The names of the directories in `path` (from the entry types readdir
    /// gives, with no stat of each entry: cgroup directories hold dozens of
    /// files); an unreadable directory has none.
    public static func subdirectories(_ path: String) -> [String] {
        guard let dir = opendir(path) else { return [] }
        defer { closedir(dir) }
        var names: [String] = []
        while let ent = readdir(dir) {
            let type = ent.pointee.d_type
            guard type == UInt8(DT_DIR) || type == UInt8(DT_UNKNOWN) else { continue }
            let name = entryName(ent)
            if name == "." || name == ".." { continue }
            if type == UInt8(DT_DIR) || isDirectory(path + "/" + name) { names.append(name) }
        }
        return names
    }

    private static func entryName(_ ent: UnsafeMutablePointer<dirent>) -> String {
        withUnsafePointer(to: ent.pointee.d_name) {
            $0.withMemoryRebound(to: CChar.self, capacity: 256) { String(cString: $0) }
        }
    }

    /// The names read from an open directory stream, without `.` and `..`.
    public static func entries(of dir: OpaquePointer) -> [String] {
        var names: [String] = []
        while let ent = readdir(dir) {
            let name = entryName(ent)
            if name != "." && name != ".." { names.append(name) }
        }
        return names
    }

    /// The target of a symbolic link.
    public static func readLink(_ path: String) throws -> String {
        var buf = [CChar](repeating: 0, count: 4097)
        let n = readlink(path, &buf, 4096)
        if n < 0 { throw SwiftBoxError.system("read link \(path)") }
        buf[n] = 0
        return String(cString: buf)
    }

    /// The parent folder of a path (`/a/b` → `/a`, `b` → `.`).
    public static func dirname(_ path: String) -> String {
        // Byte-level: '/' is ASCII, so it never occurs inside a multi-byte
        // character, and String's grapheme-aware count/split cost more than
        // the rest of these helpers (they run hundreds of times per start).
        let u = Array(path.utf8)
        var end = u.count
        while end > 1 && u[end - 1] == slash { end -= 1 }
        guard let i = u[..<end].lastIndex(of: slash) else { return "." }
        return i == 0 ? "/" : String(decoding: u[..<i], as: UTF8.self)
    }

    /// The last component of a path.
    public static func basename(_ path: String) -> String {
        let u = Array(path.utf8)
        var end = u.count
        while end > 1 && u[end - 1] == slash { end -= 1 }
        guard let i = u[..<end].lastIndex(of: slash) else { return String(decoding: u[..<end], as: UTF8.self) }
        return String(decoding: u[(i + 1)..<end], as: UTF8.self)
    }

    private static let slash = UInt8(ascii: "/")

    /// Joins a path onto a base, treating an absolute `path` as relative to `base`.
    public static func join(_ base: String, _ path: String) -> String {
        let b = Array(base.utf8), p = Array(path.utf8)
        var bEnd = b.count
        while bEnd > 1 && b[bEnd - 1] == slash { bEnd -= 1 }
        var pStart = 0
        while pStart < p.count && p[pStart] == slash { pStart += 1 }
        if pStart == p.count { return String(decoding: b[..<bEnd], as: UTF8.self) }
        var out = Array(b[..<bEnd])
        if !(bEnd == 1 && b[0] == slash) { out.append(slash) }
        out.append(contentsOf: p[pStart...])
        return String(decoding: out, as: UTF8.self)
    }

    /// Makes a path absolute against the current directory and removes `.`/`..`
    /// lexically (no symlinks are followed).
    public static func absolute(_ path: String) -> String {
        var full = path
        if !path.hasPrefix("/") {
            var buf = [CChar](repeating: 0, count: 4097)
            if getcwd(&buf, 4096) != nil { full = String(cString: buf) + "/" + path }
        }
        return clean(full)
    }

    /// Removes `.`, `..` and repeated slashes lexically from an absolute path.
    public static func clean(_ path: String) -> String {
        var parts: [ArraySlice<UInt8>] = []
        let u = Array(path.utf8)
        for c in u.split(separator: slash, omittingEmptySubsequences: true) {
            if c.count == 1 && c.first == UInt8(ascii: ".") { continue }
            if c.count == 2 && c.allSatisfy({ $0 == UInt8(ascii: ".") }) { if !parts.isEmpty { parts.removeLast() }; continue }
            parts.append(c)
        }
        var out: [UInt8] = []
        out.reserveCapacity(u.count + 1)
        for part in parts { out.append(slash); out.append(contentsOf: part) }
        return out.isEmpty ? "/" : String(decoding: out, as: UTF8.self)
    }

    /// Resolves `path` inside `root` as if `root` were `/`: symlinks (absolute or
    /// relative) are followed but never leave `root`: an absolute link target is
    /// taken relative to `root`, and a `..` that would climb above `root` has no
    /// honest use and is refused. Missing trailing components are kept as they
    /// are. This is the defence against a mount destination that escapes the
    /// rootfs through a symlink.
    public static func resolveInRoot(_ root: String, _ path: String) throws -> String {
        var resolved: [String] = []
        var pending = path.split(separator: "/").map(String.init).reversed() as [String]
        var links = 0
        while let comp = pending.popLast() {
            if comp == "." || comp.isEmpty { continue }
            if comp == ".." {
                if resolved.isEmpty {
                    throw SwiftBoxError("\(path) climbs above the root filesystem \(root) (through \"..\"\(links > 0 ? " in a symbolic link" : ""))", errno: EXDEV)
                }
                resolved.removeLast()
                continue
            }
            let candidate = join(root, (resolved + [comp]).joined(separator: "/"))
            var st = Glibc.stat()
            if lstat(candidate, &st) == 0 && (st.st_mode & S_IFMT) == S_IFLNK {
                links += 1
                if links > 255 { throw SwiftBoxError("cannot resolve \(path) in \(root): too many symbolic links", errno: ELOOP) }
                let target = try readLink(candidate)
                if target.hasPrefix("/") { resolved = [] }
                pending.append(contentsOf: target.split(separator: "/").map(String.init).reversed())
                continue
            }
            resolved.append(comp)
        }
        return join(root, resolved.joined(separator: "/"))
    }
}

extension StringProtocol {
    /// The text without leading and trailing spaces, tabs and newlines.
    /// Works on UTF-8 bytes: Character-level scanning initialises grapheme
    /// tables, which cost more than the rest of a small /proc read.
    public func trimmingWhitespace() -> String {
        let bytes = Array(utf8)
        func ws(_ b: UInt8) -> Bool { b == 0x20 || b == 0x0A || b == 0x09 || b == 0x0D }
        guard let start = bytes.firstIndex(where: { !ws($0) }) else { return "" }
        let end = bytes.lastIndex(where: { !ws($0) })!
        return String(decoding: bytes[start...end], as: UTF8.self)
    }
}

/// One line of /proc/self/mountinfo: the fields swiftbox uses.
public struct MountInfo: Sendable {
    /// Where it is mounted.
    public var mountPoint: String
    /// The root of the mount within its file system.
    public var root: String
    /// The file system type (`cgroup`, `cgroup2`, `overlay`, …).
    public var fsType: String
    /// The per-superblock options (for cgroup v1: the controllers).
    public var superOptions: String

    /// Parses /proc/self/mountinfo. Byte-level on purpose: this runs on every
    /// container start, and the generic string algorithms cost milliseconds here.
    public static func read(_ path: String = "/proc/self/mountinfo") -> [MountInfo] {
        guard let bytes = try? FS.read(path) else { return [] }
        return parse(bytes)
    }

    /// Parses the text of a mountinfo file.
    public static func parse(_ bytes: [UInt8]) -> [MountInfo] {
        var out: [MountInfo] = []
        for line in bytes.split(separator: 0x0A) {
            let fields = line.split(separator: 0x20, omittingEmptySubsequences: true)
            guard let dash = fields.firstIndex(where: { $0.count == 1 && $0.first == 0x2D }),
                  dash >= 5, fields.count >= dash + 4 else { continue }
            func text(_ s: ArraySlice<UInt8>) -> String { String(decoding: s, as: UTF8.self) }
            out.append(MountInfo(mountPoint: unescape(text(fields[4])), root: unescape(text(fields[3])),
                                 fsType: text(fields[dash + 1]), superOptions: text(fields[dash + 3])))
        }
        return out
    }

    /// mountinfo escapes space, tab, newline and backslash as octal (`\040`).
    public static func unescape(_ s: String) -> String {
        guard s.contains("\\") else { return s }
        var out: [UInt8] = []
        let b = Array(s.utf8)
        var i = 0
        while i < b.count {
            if b[i] == 0x5C, i + 3 < b.count,
               let v = UInt8(String(decoding: b[(i + 1)...(i + 3)], as: UTF8.self), radix: 8) {
                out.append(v); i += 4
            } else { out.append(b[i]); i += 1 }
        }
        return String(decoding: out, as: UTF8.self)
    }
}
