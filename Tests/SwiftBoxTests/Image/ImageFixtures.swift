#if canImport(Glibc)
import Glibc
#endif
import Testing
import SwiftBox

/// Images for the image tests: real ones made by umoci and skopeo, and
/// hand-made layouts (images/test-images/make-layout.py) for what no real tool
/// would write.
enum ImageFixtures {
    static let scripts = TestSupport.packageRoot + "/images/test-images"

    /// umoci/skopeo images of the busybox rootfs, built once per machine:
    /// `layout/` (ref "test"), `oci.tar`, `docker.tar` (swiftbox/test:1) and
    /// `umoci-rootfs/` (what `umoci unpack` makes of it).
    static let umoci: String = {
        let dir = "/tmp/swiftbox-test-umoci-images-v1"
        if FS.exists(dir + "/.complete") { return dir }
        let staging = "\(dir).\(getpid()).\(UInt32.random(in: 0...UInt32.max))"
        let r = TestSupport.sh("\(scripts)/make-umoci-images.sh \(staging) \(TestSupport.busyboxRootfs) >/dev/null")
        precondition(r.code == 0, "building the umoci test images failed: \(r.stderr)")
        _ = TestSupport.sh("mv -T \(staging) \(dir) 2>/dev/null; rm -rf \(staging)")
        return dir
    }()

    /// Writes an OCI layout from a make-layout.py spec (JSON) into a new temp
    /// folder (or adds an image to `into`) and returns the folder.
    static func layout(_ spec: String, into: String? = nil) throws -> String {
        let dir = try into ?? TestSupport.tempDir("swiftbox-layout")
        let specFile = try TestSupport.tempDir("swiftbox-spec") + "/spec.json"
        defer { _ = try? FS.removeAll(FS.dirname(specFile)) }
        try FS.write(specFile, spec, create: true)
        let r = TestSupport.run(["/usr/bin/env", "python3", scripts + "/make-layout.py", dir, specFile])
        if r.code != 0 { throw SwiftBoxError("make-layout.py failed: \(r.stderr)") }
        return dir
    }

    /// A fresh store in a temp folder, removed (with any mounts below) afterwards.
    static func withStore<T>(limits: UnpackLimits = UnpackLimits(), _ body: (ImageStore, String) throws -> T) throws -> T {
        let dir = try TestSupport.tempDir("swiftbox-store")
        defer {
            _ = TestSupport.sh("grep -o ' \(dir)[^ ]*' /proc/self/mounts | sort -r | xargs -r -n1 umount -l 2>/dev/null; rm -rf \(dir)")
        }
        return try body(try ImageStore(root: dir + "/store", limits: limits), dir)
    }

    /// Compares two trees with compare-trees.py; returns its report.
    static func compare(_ expected: String, _ actual: String) -> TestSupport.Result {
        TestSupport.run(["/usr/bin/env", "python3", scripts + "/compare-trees.py", expected, actual])
    }

    /// What is in a store: image records, unpacked layers, blobs, staging entries.
    static func contents(_ store: ImageStore) -> (images: Int, layers: Int, blobs: Int, tmp: Int) {
        func n(_ p: String) -> Int { ((try? FS.list(store.root + "/" + p)) ?? []).filter { !$0.hasPrefix(".") }.count }
        return (n("images"), n("layers/sha256"), n("blobs/sha256"), n("tmp"))
    }

    /// A canary folder outside every target; `intact` checks nothing touched it.
    struct Canary {
        let dir: String
        init() throws {
            dir = try TestSupport.tempDir("swiftbox-canary")
            try FS.write(dir + "/file", "canary\n", create: true)
        }
        /// The canary path as an escape relative to any target (climbs to /).
        var escape: String { String(repeating: "../", count: 40) + String(dir.dropFirst()) }
        var intact: Bool {
            let names = (try? FS.list(dir)) ?? []
            guard names == ["file"], let st = FS.info(dir + "/file") else { return false }
            return st.st_nlink == 1 && (try? FS.readString(dir + "/file")) == "canary\n"
        }
        func remove() { _ = try? FS.removeAll(dir) }
    }

    /// Whether `path` is a mount point.
    static func isMounted(_ path: String) -> Bool {
        ((try? FS.readString("/proc/self/mounts")) ?? "").split(separator: "\n").contains { $0.split(separator: " ").dropFirst().first.map(String.init) == path }
    }
}
