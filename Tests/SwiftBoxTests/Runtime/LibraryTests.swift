#if canImport(Glibc)
import Glibc
#endif
import Testing
import SwiftBox

/// The runtime used as a library, in this (multi-threaded) test process: the
/// container's init is the swiftbox binary named by `initExecutable`, and its
/// output goes to descriptors handed over with `stdio`.
@Suite struct LibraryTests {
    @Test func embeddedCreateStartWithOwnStdioAndInit() throws {
        let box = try Sandbox(["sh", "-c", "echo out; echo err >&2; exit 5"])
        defer { box.cleanup() }
        let log = box.root + "/out.log"
        let fd = open(log, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        #expect(fd >= 0)
        defer { close(fd) }
        let null = open("/dev/null", O_RDONLY | O_CLOEXEC)
        defer { close(null) }
        let options = CreateOptions(root: StateRoot(box.root), stdio: [null, fd, fd], initExecutable: TestSupport.swiftbox)
        let c = try Container.create(id: box.id, bundle: box.bundle, options: options)
        #expect(try c.state().status == .created)
        let pid = try c.record().pid
        try c.start()
        #expect(Sys.exitCode(try Sys.wait(pid).status) == 5)
        #expect(try c.state().status == .stopped)
        try c.delete()
        #expect(try FS.readString(log) == "out\nerr\n")
        #expect(box.leftovers().isEmpty)
    }

    @Test func embeddedExecWithOwnStdio() throws {
        let box = try Sandbox(["sleep", "1000"])
        defer { box.cleanup() }
        let null = open("/dev/null", O_RDONLY | O_CLOEXEC)
        defer { close(null) }
        let c = try Container.create(id: box.id, bundle: box.bundle, options: CreateOptions(
            root: StateRoot(box.root), stdio: [null, null, null], initExecutable: TestSupport.swiftbox))
        try c.start()
        let log = box.root + "/exec.log"
        let fd = open(log, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        defer { close(fd) }
        var p = try c.baseProcess()
        p.args = ["sh", "-c", "echo from-exec $$"]
        let pid = try c.exec(p, options: ExecOptions(detach: true, stdio: [null, fd, fd], initExecutable: TestSupport.swiftbox))
        #expect(pid > 0)
        var text = ""
        for _ in 0..<300 where !text.contains("\n") { text = (try? FS.readString(log)) ?? ""; usleep(10_000) }
        #expect(text.hasPrefix("from-exec "))
        try c.kill(signal: SIGKILL)
        try c.delete(force: true)
    }
}
