#if canImport(Glibc)
import Glibc
#endif
import SwiftBoxLinux

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
