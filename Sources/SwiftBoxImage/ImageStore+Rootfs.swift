import CSwiftBox
import SwiftBoxLinux
import SwiftBoxOCI
#if canImport(Glibc)
import Glibc
#endif

/// How `prepareRootfs` builds a container's root filesystem.
public enum RootfsMode: String, Codable, Sendable {
    /// overlayfs, falling back to a copy if the mount fails.
    case automatic
    /// overlayfs only (an error if it cannot be mounted).
    case overlay
    /// A private flattened copy of the image.
    case copy
}

/// A container root filesystem the store made and must not prune under.
struct RootfsReference: Codable {
    var containerDir: String
    var image: Digest
    var layers: [Digest]
    var mode: RootfsMode
}

extension ImageStore {
    /// Makes `containerDir/rootfs` the root filesystem of a new container of
    /// `image` and returns its path.
    ///
    /// With overlayfs (the default), the image's shared unpacked layers are the
    /// lower directories and `containerDir/overlay/{upper,work}` take the
    /// container's writes: no copying, almost no disk. If overlayfs is not
    /// available (and `mode` allows it) the image is unpacked into `rootfs`
    /// instead. `containerDir` is created if missing; `releaseRootfs(at:)` undoes
    /// everything this did.
    public func prepareRootfs(for image: Image, at containerDir: String, mode: RootfsMode = .automatic) throws -> String {
        let lock = try lock(exclusive: false)
        defer { lock.release() }
        let dir = FS.absolute(containerDir)
        let rootfs = dir + "/rootfs"
        for l in image.layers where !FS.isDirectory(layerPath(l.diffID)) {
            throw SwiftBoxError("cannot prepare a root filesystem of \(image.names.first ?? image.id.short): layer \(l.diffID) is missing from \(root); load the image again", errno: ENOENT)
        }
        if FS.exists(referencePath(dir)) {
            throw SwiftBoxError("cannot prepare a root filesystem in \(dir): one is already there; release it first", errno: EEXIST)
        }
        try FS.mkdirAll(dir, mode: 0o711)
        if FS.exists(rootfs) {
            throw SwiftBoxError("cannot prepare a root filesystem at \(rootfs): it already exists", errno: EEXIST)
        }
        var ref = RootfsReference(containerDir: dir, image: image.id, layers: image.layers.map(\.diffID), mode: .overlay)
        // The reference goes first, so a prune never takes layers from under a mount.
        try writeReference(ref)
        do {
            if mkdir(rootfs, 0o755) != 0 { throw SwiftBoxError.system("create \(rootfs)") }
            var overlayError: SwiftBoxError?
            if mode != .copy {
                do { try mountOverlay(image, dir: dir, rootfs: rootfs); return rootfs } catch let e as SwiftBoxError {
                    if mode == .overlay { throw e }
                    overlayError = e
                    try? removeTree(dir + "/overlay")
                }
            }
            _ = overlayError
            ref.mode = .copy
            try writeReference(ref)
            try applyLayers(image, to: rootfs)
            return rootfs
        } catch {
            try? releaseRootfs(dir, takeLock: false)
            throw error
        }
    }

    /// Unmounts and removes what `prepareRootfs` made in `containerDir`
    /// (`rootfs`, `overlay/`) and drops its reference. `containerDir` itself
    /// stays. Releasing twice is harmless.
    public func releaseRootfs(at containerDir: String) throws {
        try releaseRootfs(FS.absolute(containerDir), takeLock: true)
    }

    func releaseRootfs(_ dir: String, takeLock: Bool) throws {
        let lock = takeLock ? try self.lock(exclusive: false) : nil
        defer { lock?.release() }
        let rootfs = dir + "/rootfs"
        if FS.exists(rootfs) {
            if sb_umount2(rootfs, 0) != 0 && errno != EINVAL && errno != ENOENT {
                if errno == EBUSY { _ = sb_umount2(rootfs, SB_MNT_DETACH) } else {
                    throw SwiftBoxError.system("unmount \(rootfs)")
                }
            }
            try removeTree(rootfs)
        }
        try removeTree(dir + "/overlay")
        if unlink(referencePath(dir)) != 0 && errno != ENOENT {
            throw SwiftBoxError.system("remove rootfs reference \(referencePath(dir))")
        }
    }

    private func mountOverlay(_ image: Image, dir: String, rootfs: String) throws {
        let upper = dir + "/overlay/upper", work = dir + "/overlay/work"
        try FS.mkdirAll(upper, mode: 0o755)
        try FS.mkdirAll(work, mode: 0o700)
        var lowers = image.layers.reversed().map { layerPath($0.diffID) }
        // Overlayfs lists a directory once: the same diffID twice is one layer.
        var seen = Set<String>()
        lowers = lowers.filter { seen.insert($0).inserted }
        if lowers.isEmpty {
            let empty = dir + "/overlay/empty"
            try FS.mkdirAll(empty, mode: 0o755)
            lowers = [empty]
        }
        let data = "lowerdir=\(lowers.joined(separator: ":")),upperdir=\(upper),workdir=\(work)"
        if data.utf8.count >= 4096 {
            throw SwiftBoxError("cannot mount overlay on \(rootfs): \(lowers.count) layers make the mount options longer than a page", errno: E2BIG)
        }
        try Sys.mount("overlay", rootfs, type: "overlay", flags: 0, data: data)
    }

    // MARK: - References

    func referencePath(_ containerDir: String) -> String {
        root + "/rootfs/" + Digest.of(Array(containerDir.utf8)).hex + ".json"
    }

    private func writeReference(_ ref: RootfsReference) throws {
        try FS.writeAtomically(referencePath(ref.containerDir), try JSONDocument.encode(ref, pretty: true))
    }

    func rootfsReferences() throws -> [RootfsReference] {
        try FS.list(root + "/rootfs").filter { $0.hasSuffix(".json") }.compactMap {
            try? JSONDocument.load(RootfsReference.self, from: root + "/rootfs/" + $0)
        }
    }

    // MARK: - Flattened unpack

    /// Unpacks `image` as one plain directory tree (whiteouts applied) into
    /// `directory`, which must not exist or be empty. The tree is built next
    /// to it and renamed into place, so a failure leaves nothing behind.
    public func unpack(_ image: Image, into directory: String) throws {
        let lock = try lock(exclusive: false)
        defer { lock.release() }
        let dest = FS.absolute(directory)
        if FS.exists(dest) {
            guard FS.isDirectory(dest), try FS.list(dest).isEmpty else {
                throw SwiftBoxError("cannot unpack into \(dest): it exists and is not an empty directory", errno: EEXIST)
            }
        }
        let staging = FS.dirname(dest) + "/.\(FS.basename(dest)).unpack-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        if mkdir(staging, 0o755) != 0 { throw SwiftBoxError.system("create \(staging)") }
        do {
            try applyLayers(image, to: staging)
            if rename(staging, dest) != 0 { throw SwiftBoxError.system("rename \(staging) to \(dest)") }
        } catch {
            try? removeTree(staging)
            throw error
        }
    }

    /// Applies the image's layer blobs in order to `dir` (flattened), each
    /// verified again as it is read.
    func applyLayers(_ image: Image, to dir: String) throws {
        let tree = try RootedTree(path: dir)
        for (i, l) in image.layers.enumerated() {
            let label = "\(image.names.first ?? image.id.short): layer \(i + 1)/\(image.layers.count) (\(l.digest))"
            let decoder = try LayerDecoder(path: blobPath(l.digest), label: label,
                                           compression: MediaType.layerCompression(l.mediaType) ?? .detect, limits: limits)
            let writer = LayerWriter(tree: tree, layout: .flattened, label: label, limits: limits)
            let got = try decoder.run(into: writer)
            tree.invalidate()
            if got.blob != l.digest || got.diffID != l.diffID {
                throw SwiftBoxError("\(label): the stored blob no longer matches its digest (hashes to \(got.blob), diffID \(got.diffID)); the store is damaged: remove and load the image again")
            }
        }
    }
}
