import Testing
import SwiftBox

@Suite struct RunTests {
    @Test func runPrintsOutputAndPropagatesExitCode() throws {
        let root = try TestSupport.tempDir("swiftbox-root")
        defer { _ = try? FS.removeAll(root) }
        let bundle = try TestSupport.bundle(["sh", "-c", "echo hello; exit 3"])
        defer { _ = try? FS.removeAll(bundle) }
        let id = TestSupport.uniqueID("run")
        let r = TestSupport.swiftbox(["run", "--bundle", bundle, id], root: root)
        #expect(r.code == 3)
        #expect(r.stdout == "hello\n")
        #expect(TestSupport.leftovers(id: id, root: root).isEmpty)
    }
}
