import Dispatch
import SwiftBoxLinux
import SwiftBoxOCI
#if canImport(Glibc)
import Glibc
#endif

/// A content-addressed image store.
///
/// Layout under `root`:
/// ```
/// blobs/sha256/<hex>        every verified blob (layers, configs, manifests)
/// layers/sha256/<diffID>/   each layer unpacked once (overlay layout), shared
/// images/<id>.json          one record per image (names → manifest, config, layers)
/// rootfs/<key>.json         one reference per container root filesystem in use
/// tmp/                      staging: everything is built here, then renamed in
/// lock                      flock: exclusive for load/rm/prune, shared otherwise
/// ```
/// A blob, a layer directory or a record appears under its final name only
/// once it is complete and verified, so an interrupted load leaves at most
/// garbage in `tmp/`, never a half image that looks complete.
public final class ImageStore: @unchecked Sendable {
    /// The default store root.
    public static let defaultRoot = "/var/lib/swiftbox"
    /// The store's root directory (absolute).
    public let root: String
    /// Limits applied to every layer that is unpacked.
    public let limits: UnpackLimits

    /// Opens (creating if needed) the store at `root`.
    public init(root: String = ImageStore.defaultRoot, limits: UnpackLimits = UnpackLimits()) throws {
        self.root = FS.absolute(root)
        self.limits = limits
        for d in ["blobs/sha256", "layers/sha256", "images", "rootfs", "tmp"] {
            try FS.mkdirAll(self.root + "/" + d, mode: 0o711)
        }
    }

    // MARK: - Paths

    /// Where a blob is stored.
    public func blobPath(_ d: Digest) -> String { root + "/blobs/sha256/" + d.hex }
    /// Where a layer is unpacked (overlay layout).
    public func layerPath(_ diffID: Digest) -> String { root + "/layers/sha256/" + diffID.hex }
    func recordPath(_ id: Digest) -> String { root + "/images/" + id.hex + ".json" }

    func lock(exclusive: Bool) throws -> StoreLock { try StoreLock(path: root + "/lock", exclusive: exclusive) }

    /// A fresh staging directory under `tmp/`, named after this process so a
    /// prune can tell a live load's staging from a dead one's.
    func makeStaging(_ kind: String) throws -> String {
        let path = root + "/tmp/\(kind)-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        if mkdir(path, 0o700) != 0 { throw SwiftBoxError.system("create staging directory \(path)") }
        return path
    }

    // MARK: - Records

    /// Every image in the store, by name then id.
    public func images() throws -> [Image] {
        var out: [Image] = []
        for file in try FS.list(root + "/images") where file.hasSuffix(".json") && !file.contains(".tmp") {
            out.append(try JSONDocument.load(Image.self, from: root + "/images/" + file))
        }
        return out.sorted { ($0.names.first ?? "~" + $0.id.hex) < ($1.names.first ?? "~" + $1.id.hex) }
    }

    /// Finds an image by name (`busybox:latest`; `busybox` means `busybox:latest`),
    /// by id or manifest digest (`sha256:…`), or by a unique id prefix (≥ 4 hex digits).
    public func image(named reference: String) throws -> Image {
        let all = try images()
        // Docker names: `busybox` is `busybox:latest` is `docker.io/library/busybox:latest`.
        var forms = [reference]
        let lastPart = reference.split(separator: "/").last ?? ""
        if !lastPart.contains(":") && !reference.contains("@") { forms.append(reference + ":latest") }
        for f in forms where !(f.split(separator: "/").first ?? "").contains(".") {
            forms.append("docker.io/" + f)
            if !f.contains("/") { forms.append("docker.io/library/" + f) }
        }
        for f in forms {
            if let hit = all.first(where: { $0.names.contains(f) }) { return hit }
        }
        if let d = Digest(reference), let hit = all.first(where: { $0.id == d || $0.manifest.digest == d }) { return hit }
        let hex = reference.hasPrefix("sha256:") ? String(reference.dropFirst(7)) : reference
        if hex.count >= 4, hex.allSatisfy({ $0.isHexDigit && !$0.isUppercase }) {
            let hits = all.filter { $0.id.hex.hasPrefix(hex) }
            if hits.count == 1 { return hits[0] }
            if hits.count > 1 { throw SwiftBoxError("image id prefix \"\(reference)\" is ambiguous: \(hits.map(\.id.short).joined(separator: ", "))") }
        }
        let names = all.flatMap { $0.names.isEmpty ? [$0.id.short] : $0.names }
        throw SwiftBoxError("no image \"\(reference)\" in \(root)" +
                            (names.isEmpty ? " (the store is empty; load one with `swiftbox image load`)" :
                                "; available: \(names.joined(separator: ", "))"), errno: ENOENT)
    }

    func write(_ image: Image) throws {
        var bytes = try JSONDocument.encode(image, pretty: true)
        bytes.append(0x0A)
        try FS.writeAtomically(recordPath(image.id), bytes)
    }

    /// Removes an image's record (its names go with it). Its blobs and layers
    /// stay until `prune`. Refused while a container root filesystem uses it,
    /// unless `force` is set.
    @discardableResult
    public func remove(_ reference: String, force: Bool = false) throws -> Image {
        let lock = try lock(exclusive: true)
        defer { lock.release() }
        let image = try image(named: reference)
        if !force {
            let users = try rootfsReferences().filter { $0.image == image.id }
            if !users.isEmpty {
                throw SwiftBoxError("image \(image.names.first ?? image.id.short) is used by \(users.count) container root filesystem(s): \(users.map(\.containerDir).joined(separator: ", ")); release them first or use --force", errno: EBUSY)
            }
        }
        if unlink(recordPath(image.id)) != 0 && errno != ENOENT {
            throw SwiftBoxError.system("remove image record \(recordPath(image.id))")
        }
        return image
    }

    /// Removes every blob and unpacked layer that no image and no container
    /// root filesystem uses, and staging left by dead processes.
    public func prune() throws -> PruneResult {
        let lock = try lock(exclusive: true)
        defer { lock.release() }
        let all = try images()
        let refs: [RootfsReference] = try rootfsReferences()
        var keepLayers = Set(all.flatMap { $0.layers.map(\.diffID) })
        keepLayers.formUnion(refs.flatMap { $0.layers })
        let keepBlobs = Set(all.flatMap { $0.layers.map(\.digest) + [$0.manifest.digest, $0.configDescriptor.digest] })
        var result = PruneResult(layers: [], blobs: [], bytes: 0)
        for name in try FS.list(root + "/layers/sha256") {
            guard let d = Digest("sha256:" + name), !keepLayers.contains(d) else {
                if Digest("sha256:" + name) == nil { try FS.removeAll(root + "/layers/sha256/" + name) }
                continue
            }
            result.bytes += ImageStore.diskUsage(layerPath(d))
            try removeTree(layerPath(d))
            result.layers.append(d)
        }
        for name in try FS.list(root + "/blobs/sha256") {
            guard let d = Digest("sha256:" + name), !keepBlobs.contains(d) else {
                if Digest("sha256:" + name) == nil { try FS.removeAll(root + "/blobs/sha256/" + name) }
                continue
            }
            result.bytes += Int64(FS.info(blobPath(d))?.st_size ?? 0)
            try FS.removeAll(blobPath(d))
            result.blobs.append(d)
        }
        for name in try FS.list(root + "/tmp") {
            // kind-PID-random: keep staging of live processes.
            let parts = name.split(separator: "-")
            if parts.count >= 3, let pid = Int32(parts[parts.count - 2]), pid != getpid(), Sys.alive(pid) { continue }
            try removeTree(root + "/tmp/" + name)
        }
        return result
    }

    /// Removes a tree that may hold files an image made immutable-looking
    /// (read-only directories are no obstacle to root, but whiteout devices and
    /// odd modes are handled by the descriptor-based remover).
    func removeTree(_ path: String) throws {
        guard FS.exists(path) else { return }
        let parent = open(FS.dirname(path), Int32(O_RDONLY | O_DIRECTORY | O_CLOEXEC))
        if parent < 0 { throw SwiftBoxError.system("open \(FS.dirname(path))") }
        defer { close(parent) }
        try RootedTree.remove(parent, FS.basename(path), at: [FS.basename(path)], what: "remove \(path)")
    }

    /// Apparent size of a tree in bytes (without following symlinks).
    static func diskUsage(_ path: String) -> Int64 {
        var st = stat()
        guard lstat(path, &st) == 0 else { return 0 }
        var total = Int64(st.st_blocks) * 512
        if (st.st_mode & S_IFMT) == S_IFDIR, let names = try? FS.list(path) {
            for n in names { total += diskUsage(path + "/" + n) }
        }
        return total
    }
}
