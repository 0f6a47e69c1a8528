#if canImport(Glibc)
import Glibc
#endif
import SwiftBox

/// One container under test: its own state root, bundle and unique id.
/// `cleanup()` (call it in a `defer`) force-deletes the container and removes
/// the folders, so nothing is left behind even when an expectation fails.
struct Sandbox {
    let root: String
    let bundle: String
    let id: String

    init(_ args: [String], prefix: String = "sb", edit: (inout Spec) -> Void = { _ in }) throws {
        root = try TestSupport.tempDir("swiftbox-root")
        bundle = try TestSupport.bundle(args, edit: edit)
        id = TestSupport.uniqueID(prefix)
    }

    /// Runs swiftbox with this sandbox's state root.
    @discardableResult
    func swiftbox(_ args: [String], stdin: String? = nil) -> TestSupport.Result {
        TestSupport.swiftbox(args, root: root, stdin: stdin)
    }

    /// `run --bundle B ID`.
    func run() -> TestSupport.Result { swiftbox(["run", "--bundle", bundle, id]) }

    /// `create --bundle B ID`.
    func create(_ extra: [String] = []) -> TestSupport.Result { swiftbox(["create", "--bundle", bundle] + extra + [id]) }

    /// The `status` field of `state ID`.
    func status() -> String? { state()?.status.rawValue }

    /// The container's init pid from `state`.
    func pid() -> Int32? { state()?.pid }

    /// `state ID`, decoded.
    func state() -> OCIState? {
        let r = swiftbox(["state", id])
        guard r.code == 0 else { return nil }
        return try? JSONDocument.decode(OCIState.self, from: Array(r.stdout.utf8), file: "state")
    }

    /// What is left on the machine of this container.
    func leftovers() -> [String] { TestSupport.leftovers(id: id, root: root) }

    func cleanup() {
        swiftbox(["delete", "--force", id])
        _ = try? FS.removeAll(root)
        _ = try? FS.removeAll(bundle)
    }
}
