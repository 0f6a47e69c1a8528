#if canImport(Glibc)
import Glibc
#endif
import Testing
import SwiftBox

/// `ServiceManager` used in-process, as docs/embedding.md shows: supervision on
/// a background thread, scale and shutdown through the library, containers'
/// init being the swiftbox binary (`initExecutable`).
@Suite struct ManagerEmbeddingTests {
    @Test func startScaleAndShutDownInProcess() throws {
        let dir = try TestSupport.tempDir("swiftbox-embed")
        defer { _ = try? FS.removeAll(dir) }
        let project = "embed\(getpid())x\(UInt16.random(in: 0...UInt16.max))"
        let file = "\(dir)/\(project).json"
        try FS.write(file, """
            {"name": "\(project)", "image": "\(TestSupport.busyboxRootfs)", "replicas": 2,
             "command": "trap 'exit 0' TERM; while true; do sleep 0.1; done", "stopTimeout": "10s"}
            """, create: true)
        let manager = ServiceManager(file: try ServiceFile.load(file), options: .init(
            root: StateRoot(dir + "/root"), initExecutable: TestSupport.swiftbox))
        try manager.start()
        func running() -> Int { manager.status().filter { $0.phase == .running }.count }
        var ok = false
        for _ in 0..<500 where !ok { ok = running() == 2; if !ok { usleep(10_000) } }
        #expect(ok, "\(manager.status())")
        try manager.scale(project, to: 3)
        #expect(running() == 3, "\(manager.status())")
        #expect(manager.shutdown(), "every instance stops on its stop signal")
        #expect(Container.list(root: StateRoot(dir + "/root")).isEmpty)
    }

    /// Ctrl-C on a terminal signals the whole foreground process group: the
    /// containers must not get that SIGINT, only the stop signal the
    /// supervisor sends them (they run in sessions of their own).
    @Test func interruptOfTheProcessGroupStopsContainersWithTheirStopSignal() throws {
        let dir = try TestSupport.tempDir("swiftbox-ctrlc")
        defer { _ = try? FS.removeAll(dir) }
        let project = "ctrlc\(getpid())x\(UInt16.random(in: 0...UInt16.max))"
        let file = "\(dir)/\(project).json"
        try FS.write(file, """
            {"name": "\(project)", "image": "\(TestSupport.busyboxRootfs)",
             "command": "trap 'echo got-term; exit 0' TERM; echo up; while true; do sleep 0.1; done", "stopTimeout": "5s"}
            """, create: true)
        // A process group of its own; once the container is up (its trap is
        // set), SIGINT goes to the whole group, as a terminal's Ctrl-C does.
        let script = """
            trap true INT
            \(TestSupport.swiftbox) --root \(dir)/root run \(file) > \(dir)/out 2> \(dir)/err & p=$!
            i=0; while [ $i -lt 400 ] && ! grep -q ' | up' \(dir)/out; do sleep 0.05; i=$((i+1)); done
            kill -INT 0; wait $p; echo rc=$?
            """
        let r = TestSupport.run(["setsid", "sh", "-c", script])
        let out = (try? FS.readString(dir + "/out")) ?? "", err = (try? FS.readString(dir + "/err")) ?? ""
        #expect(r.stdout == "rc=0\n", "\(r.stdout) \(out) \(err)")
        #expect(out.contains("\(project)-1 | got-term"), "\(out)")
        #expect(err.contains("exited with status 0"), "\(err)")
    }
}
