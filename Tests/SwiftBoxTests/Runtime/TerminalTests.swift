import Testing
import SwiftBox

/// `run` of a container that wants a terminal, with no --console-socket:
/// swiftbox proxies the pty itself (runc's behaviour). `script` gives the test
/// a terminal of its own.
@Suite struct TerminalTests {
    @Test func runProxiesTheTerminalWithSizeAndInput() throws {
        let box = try Sandbox(["sh", "-c", "tty; stty size; read x; echo typed=$x; exit 4"]) {
            $0.process?.terminal = true
        }
        defer { box.cleanup() }
        let command = "stty rows 33 cols 77; \(TestSupport.swiftbox) --root \(box.root) run --bundle \(box.bundle) \(box.id); echo rc=\\$?"
        let r = TestSupport.sh("(sleep 2; printf 'abc\\r') | timeout 20 script -qec \"\(command)\" /dev/null")
        let out = String(decoding: r.stdout.utf8.filter { $0 != 13 }, as: UTF8.self)
        #expect(out.contains("/dev/pts/0\n33 77\n"), "\(out)")
        #expect(out.contains("typed=abc\n"), "\(out)")
        #expect(out.contains("rc=4"), "\(out)")
        #expect(box.leftovers().isEmpty)
    }

    @Test func execTtyProxiesTheTerminal() throws {
        let box = try Sandbox(["sleep", "1000"])
        defer { box.cleanup() }
        #expect(box.swiftbox(["run", "--detach", "--bundle", box.bundle, box.id]).code == 0)
        let command = "stty rows 40 cols 90; \(TestSupport.swiftbox) --root \(box.root) exec -t \(box.id) sh -c 'tty; stty size; read x; echo typed=\\$x; exit 6'; echo rc=\\$?"
        let r = TestSupport.sh("(sleep 2; printf 'xyz\\r') | timeout 20 script -qec \"\(command)\" /dev/null")
        let out = String(decoding: r.stdout.utf8.filter { $0 != 13 }, as: UTF8.self)
        #expect(out.contains("/dev/pts/"), "\(out)")
        #expect(out.contains("40 90\n"), "\(out)")
        #expect(out.contains("typed=xyz\n"), "\(out)")
        #expect(out.contains("rc=6"), "\(out)")
    }
}
