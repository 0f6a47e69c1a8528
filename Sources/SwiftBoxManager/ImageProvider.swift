#if canImport(Glibc)
import Glibc
#endif
import SwiftBoxLinux
import SwiftBoxImage

/// Where the root filesystem of a service's containers comes from.
///
/// The manager asks an image source to check an `image` string while the
/// service file is parsed, and to prepare one private root filesystem per
/// container. `RootfsDirectoryProvider` serves root filesystem folders; an image
/// store (stored names, OCI layouts and archives) plugs in behind the same
/// protocol.
public protocol ImageProvider: Sendable {
    /// Why `image` cannot be used, or nil if it can. `directory` is the service
    /// file's folder (relative paths start there).
    func problem(with image: String, relativeTo directory: String) -> String?
    /// Whether the image supplies a default command (so a service may omit one).
    func providesCommand(_ image: String, relativeTo directory: String) -> Bool
    /// Prepares the root filesystem of container `id` in `scratch` (a folder
    /// owned by the manager for this container) and returns its path.
    func prepareRootfs(image: String, relativeTo directory: String, container id: String,
                       readOnly: Bool, scratch: String) throws -> String
    /// The defaults the image's config gives its containers (command, env,
    /// workdir, user, stop signal), or nil for a bare root filesystem.
    func defaults(of image: String, relativeTo directory: String) throws -> ContainerDefaults?
    /// Undoes `prepareRootfs` (unmounts, removes what it created in `scratch`).
    func releaseRootfs(container id: String, scratch: String) throws
}

/// Serves `image` values that are paths to a root filesystem folder (such as
/// the busybox rootfs of images/make-busybox-bundle.sh).
///
/// A read-only service uses the folder as it is. A writable one gets an
/// overlay per container (the folder as the lower layer, an empty upper layer
/// in `scratch`), so replicas never write into the image or into each other.
public struct RootfsDirectoryProvider: ImageProvider {
    public init() {}

    /// The absolute path of an image path.
    public static func resolve(_ image: String, relativeTo directory: String) -> String {
        FS.clean(image.hasPrefix("/") ? image : directory + "/" + image)
    }

    public func problem(with image: String, relativeTo directory: String) -> String? {
        if image.isEmpty { return "must not be empty" }
        let path = Self.resolve(image, relativeTo: directory)
        let looksLikePath = image.hasPrefix("/") || image.hasPrefix(".") || image.contains("/")
        if !looksLikePath {
            return "\"\(image)\" is not a path, and stored image names need the image store, which this build does not have yet; give the path of a root filesystem folder"
        }
        guard FS.exists(path) else { return "image \(path) does not exist" }
        guard FS.isDirectory(path) else {
            return "image \(path) is a file; OCI layouts and archives need the image store, which this build does not have yet; give a root filesystem folder"
        }
        if FS.exists(path + "/oci-layout") {
            return "image \(path) is an OCI layout; layouts need the image store, which this build does not have yet; give a root filesystem folder"
        }
        if !FS.exists(path + "/bin") && !FS.exists(path + "/usr") && !FS.exists(path + "/etc") {
            return "image \(path) does not look like a root filesystem (no bin, usr or etc inside)"
        }
        return nil
    }

    /// A bare root filesystem has no image config, hence no default command.
    public func providesCommand(_ image: String, relativeTo directory: String) -> Bool { false }

    public func defaults(of image: String, relativeTo directory: String) throws -> ContainerDefaults? { nil }

    public func prepareRootfs(image: String, relativeTo directory: String, container id: String,
                              readOnly: Bool, scratch: String) throws -> String {
        let lower = Self.resolve(image, relativeTo: directory)
        if readOnly { return lower }
        let merged = scratch + "/rootfs"
        for d in ["upper", "work", "rootfs"] { try FS.mkdirAll(scratch + "/" + d, mode: 0o755) }
        if isMountPoint(merged) { return merged } // adopted after a supervisor restart
        try Sys.mount("overlay", merged, type: "overlay", flags: 0,
                      data: "lowerdir=\(lower),upperdir=\(scratch)/upper,workdir=\(scratch)/work")
        return merged
    }

    public func releaseRootfs(container id: String, scratch: String) throws {
        let merged = scratch + "/rootfs"
        if isMountPoint(merged) { try Sys.unmount(merged, detach: true) }
        try FS.removeAll(scratch)
    }

    func isMountPoint(_ path: String) -> Bool {
        guard let a = FS.info(path), let b = FS.info(FS.dirname(path)) else { return false }
        return a.st_dev != b.st_dev
    }
}

/// Serves every kind of `image`: root filesystem folders (as
/// `RootfsDirectoryProvider`), OCI layouts and OCI/Docker archives (loaded into
/// the image store on first use), and names of images already in the store.
/// Each container gets an overlay over the store's shared layers.
public final class StoreImageProvider: ImageProvider, @unchecked Sendable {
    /// The image store folder.
    public let storeRoot: String
    private let directories = RootfsDirectoryProvider()
    private var store: ImageStore?
    private var loaded: [String: Image] = [:]
    private var lock = pthread_mutex_t()

    /// `storeRoot` defaults to `$SWIFTBOX_STORE`, else `/var/lib/swiftbox`.
    public init(storeRoot: String? = nil) {
        self.storeRoot = storeRoot ?? (getenv("SWIFTBOX_STORE").map { String(cString: $0) } ?? ImageStore.defaultRoot)
        pthread_mutex_init(&lock, nil)
    }

    enum Kind { case directory(String), archive(String), stored }

    func kind(_ image: String, _ directory: String) -> Kind {
        let looksLikePath = image.hasPrefix("/") || image.hasPrefix(".")
        let path = RootfsDirectoryProvider.resolve(image, relativeTo: directory)
        if looksLikePath || (image.contains("/") && FS.exists(path)) {
            if FS.isDirectory(path) && !FS.exists(path + "/oci-layout") && !FS.exists(path + "/index.json")
                && !FS.exists(path + "/manifest.json") { return .directory(path) }
            return .archive(path)
        }
        return .stored
    }

    func openStore() throws -> ImageStore {
        if let store { return store }
        let s = try ImageStore(root: storeRoot)
        store = s
        return s
    }

    /// The image for `image`, loading a layout or archive once per provider.
    func resolve(_ image: String, _ directory: String) throws -> Image {
        pthread_mutex_lock(&lock)
        defer { pthread_mutex_unlock(&lock) }
        switch kind(image, directory) {
        case .directory(let p): throw SwiftBoxError("image \(p) is a root filesystem folder, not a stored image")
        case .archive(let path):
            if let hit = loaded[path] { return hit }
            let img = try openStore().load(path: path)
            loaded[path] = img
            return img
        case .stored:
            if let hit = loaded[image] { return hit }
            let img = try openStore().image(named: image)
            loaded[image] = img
            return img
        }
    }

    public func problem(with image: String, relativeTo directory: String) -> String? {
        if image.isEmpty { return "must not be empty" }
        switch kind(image, directory) {
        case .directory: return directories.problem(with: image, relativeTo: directory)
        case .archive(let path):
            return FS.exists(path) ? nil : "image \(path) does not exist (give a root filesystem folder, an OCI layout or an archive)"
        case .stored:
            do { _ = try resolve(image, directory); return nil } catch { return "\(error)" }
        }
    }

    public func providesCommand(_ image: String, relativeTo directory: String) -> Bool {
        switch kind(image, directory) {
        case .directory: return false
        case .archive: return true // known once loaded; a missing command fails at start
        case .stored:
            guard let img = try? resolve(image, directory), let d = try? openStore().defaults(for: img) else { return false }
            return !d.args.isEmpty
        }
    }

    public func defaults(of image: String, relativeTo directory: String) throws -> ContainerDefaults? {
        if case .directory = kind(image, directory) { return nil }
        let img = try resolve(image, directory)
        pthread_mutex_lock(&lock)
        defer { pthread_mutex_unlock(&lock) }
        return try openStore().defaults(for: img)
    }

    public func prepareRootfs(image: String, relativeTo directory: String, container id: String,
                              readOnly: Bool, scratch: String) throws -> String {
        if case .directory = kind(image, directory) {
            return try directories.prepareRootfs(image: image, relativeTo: directory, container: id,
                                                 readOnly: readOnly, scratch: scratch)
        }
        let img = try resolve(image, directory)
        pthread_mutex_lock(&lock)
        defer { pthread_mutex_unlock(&lock) }
        return try openStore().prepareRootfs(for: img, at: scratch)
    }

    public func releaseRootfs(container id: String, scratch: String) throws {
        if FS.exists(scratch + "/overlay") || (!FS.exists(scratch + "/upper") && FS.exists(scratch + "/rootfs")) {
            pthread_mutex_lock(&lock)
            defer { pthread_mutex_unlock(&lock) }
            try openStore().releaseRootfs(at: scratch)
        }
        try directories.releaseRootfs(container: id, scratch: scratch)
    }
}
