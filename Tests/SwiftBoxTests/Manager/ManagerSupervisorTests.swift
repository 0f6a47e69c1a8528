#if canImport(Glibc)
import Glibc
#endif
import Testing
import SwiftBox

/// The supervisor with real busybox containers, driven through the CLI in
/// separate processes as users drive it.
@Suite struct ManagerSupervisorTests {
    @Test func threeReplicasRunAndAreListed() throws {
        let f = try ManagerFixture()
        let web = f.name("web")
        let path = try f.write("""
        {"name": "\(web)", "image": "$BUSYBOX", "command": "echo hello from $HOSTNAME; exec sleep 60", "replicas": 3, "stopTimeout": "200ms"}
        """)
        let up = f.swiftbox(["run", "-d", path])
        #expect(up.code == 0, "\(up.stderr)")
        let ps = f.swiftbox(["ps", "--format", "json"])
        let rows = try JSONDocument.decode([InstanceReport].self, from: Array(ps.stdout.utf8), file: "ps")
        #expect(rows.map(\.instance) == ["\(web)-1", "\(web)-2", "\(web)-3"])
        #expect(rows.allSatisfy { $0.state == "running" && $0.pid > 0 && $0.restarts == 0 && $0.supervised })
        #expect(Set(rows.map(\.pid)).count == 3)
        #expect(rows.allSatisfy { Sys.alive($0.pid) })
        #expect(f.containers == ["\(web)-1", "\(web)-2", "\(web)-3"])
        let table = f.swiftbox(["ps"])
        #expect(table.stdout.hasPrefix("SERVICE"), "\(table.stdout)")
        #expect(table.stdout.contains("\(web)-2") && table.stdout.contains("running"))
        // Each instance has its own log (and its own hostname).
        #expect(f.wait(3) { f.swiftbox(["logs", "\(web)-2"]).stdout == "hello from \(web)-2\n" })
        let down = f.swiftbox(["down", path])
        #expect(down.code == 0, "\(down.stderr)")
        #expect(f.containers.isEmpty)
        #expect(!FS.exists(f.root + "/services/svc"))
        for r in rows { #expect(TestSupport.leftovers(id: r.instance, root: f.root).isEmpty) }
    }

    @Test func killedInstanceIsRestartedWithinItsBackoff() throws {
        let f = try ManagerFixture()
        let s = f.name("crash")
        let path = try f.write("""
        {"name": "\(s)", "image": "$BUSYBOX", "command": ["sleep", "60"], "replicas": 2,
         "restart": {"policy": "always", "backoff": {"initial": "200ms", "max": "1s"}}, "stopTimeout": "200ms"}
        """)
        #expect(f.swiftbox(["run", "-d", path]).code == 0)
        let victim = try #require(f.instance("\(s)-2"))
        let other = try #require(f.instance("\(s)-1"))
        kill(victim.pid, SIGKILL)
        var start = timespec()
        clock_gettime(CLOCK_MONOTONIC, &start)
        let back = f.wait(3) {
            guard let i = f.instance("\(s)-2") else { return false }
            return i.state == "running" && i.restarts == 1 && i.pid != victim.pid && i.pid > 0
        }
        var end = timespec()
        clock_gettime(CLOCK_MONOTONIC, &end)
        #expect(back, "\(f.report())")
        let elapsed = Double(end.tv_sec - start.tv_sec) + Double(end.tv_nsec - start.tv_nsec) / 1e9
        #expect(elapsed >= 0.2 && elapsed < 1.5, "restarted after \(elapsed) s")
        #expect(f.instance("\(s)-1")?.pid == other.pid)
        #expect(f.instance("\(s)-1")?.restarts == 0)
    }

    @Test func onFailureGivesUpAfterMaxRetries() throws {
        let f = try ManagerFixture()
        let s = f.name("flaky")
        let path = try f.write("""
        {"name": "\(s)", "image": "$BUSYBOX", "command": "echo attempt; exit 3",
         "restart": {"policy": "on-failure", "maxRetries": 2, "backoff": {"initial": "50ms"}}}
        """)
        #expect(f.swiftbox(["run", "-d", path]).code == 0)
        #expect(f.wait(5) { f.instance("\(s)-1")?.state == "failed" }, "\(f.report())")
        let i = try #require(f.instance("\(s)-1"))
        #expect(i.restarts == 2)
        #expect(i.exitCode == 3)
        #expect(i.message?.contains("gave up after 2 restarts") == true, "\(i.message ?? "")")
        #expect(f.swiftbox(["logs", "\(s)-1"]).stdout == "attempt\nattempt\nattempt\n")
        // It stays failed: no fourth attempt.
        usleep(300_000)
        #expect(f.instance("\(s)-1")?.restarts == 2)
        #expect(f.containers.isEmpty)
    }

    @Test func failingHealthCheckMarksUnhealthyAndRestarts() throws {
        let f = try ManagerFixture()
        let sick = f.name("sick")
        let well = f.name("well")
        let after = f.name("after")
        let path = try f.write("""
        [{"name": "\(sick)", "image": "$BUSYBOX", "command": ["sleep", "60"], "stopTimeout": "100ms",
          "restart": {"policy": "always", "backoff": {"initial": "100ms"}},
          "healthcheck": {"command": ["test", "-f", "/tmp/ok"], "interval": "100ms", "timeout": "1s", "retries": 2}},
         {"name": "\(well)", "image": "$BUSYBOX", "command": "touch /tmp/ok; exec sleep 60", "stopTimeout": "100ms",
          "healthcheck": {"command": "test -f /tmp/ok", "interval": "100ms", "retries": 2}},
         {"name": "\(after)", "image": "$BUSYBOX", "command": ["sleep", "60"], "stopTimeout": "100ms",
          "dependsOn": {"\(well)": {"condition": "healthy"}}}]
        """)
        #expect(f.swiftbox(["run", "-d", path]).code == 0)
        #expect(f.wait(5) { (f.instance("\(sick)-1")?.restarts ?? 0) >= 1 }, "\(f.report())")
        let log = (try? FS.readString(f.root + "/services/svc/supervisor.log")) ?? ""
        #expect(log.contains("\(sick)-1: unhealthy: health check failed 2 times (exit status 1)"), "\(log)")
        #expect(f.wait(5) { f.instance("\(well)-1")?.health == .healthy }, "\(f.report())")
        #expect(f.instance("\(well)-1")?.restarts == 0)
        #expect(f.wait(5) { f.instance("\(after)-1")?.state == "running" }, "\(f.report())")
        let afterLine = log.isEmpty ? "" : ((try? FS.readString(f.root + "/services/svc/supervisor.log")) ?? "")
        let healthy = afterLine.firstRange(of: "\(well)-1: healthy")
        let started = afterLine.firstRange(of: "\(after)-1: started")
        #expect(healthy != nil && started != nil && healthy!.lowerBound < started!.lowerBound, "\(afterLine)")
    }

    @Test func gracefulStopSendsStopSignalFirstAndKillsOnlyAfterTimeout() throws {
        let f = try ManagerFixture()
        let polite = f.name("polite")
        let stubborn = f.name("stubborn")
        try FS.mkdirAll(f.dir + "/out")
        let path = try f.write("""
        [{"name": "\(polite)", "image": "$BUSYBOX", "stopSignal": "SIGUSR1", "stopTimeout": "5s", "mounts": ["./out:/out"],
          "command": "trap 'echo got-usr1 > /out/polite; exit 0' USR1; while true; do sleep 0.05; done"},
         {"name": "\(stubborn)", "image": "$BUSYBOX", "stopTimeout": "400ms", "dependsOn": ["\(polite)"],
          "command": "trap 'echo ignored-term > /dev/null' TERM; while true; do sleep 0.05; done"}]
        """)
        let pid = f.spawn(["run", path], output: "run")
        #expect(f.wait(5) { f.report().filter { $0.state == "running" }.count == 2 }, "\(f.text("run.err"))")
        var t0 = timespec()
        clock_gettime(CLOCK_MONOTONIC, &t0)
        kill(pid, SIGTERM)
        let code = f.exitCode(of: pid, within: 10)
        var t1 = timespec()
        clock_gettime(CLOCK_MONOTONIC, &t1)
        let elapsed = Double(t1.tv_sec - t0.tv_sec) + Double(t1.tv_nsec - t0.tv_nsec) / 1e9
        #expect(code == 1, "a container had to be killed, so the run is not clean: \(f.text("run.err"))")
        #expect(elapsed >= 0.4 && elapsed < 3, "stopped after \(elapsed) s")
        #expect(f.text("out/polite") == "got-usr1\n")
        let err = f.text("run.err")
        #expect(err.contains("\(stubborn)-1: did not stop within 400ms; sending KILL"), "\(err)")
        #expect(err.contains("\(stubborn)-1: exited with status 137; removed"), "\(err)")
        #expect(err.contains("\(polite)-1: exited with status 0; removed"), "\(err)")
        #expect(!err.contains("\(polite)-1: did not stop"), "\(err)")
        // Dependents stop first.
        let a = err.firstRange(of: "\(stubborn)-1: exited"), b = err.firstRange(of: "\(polite)-1: exited")
        #expect(a != nil && b != nil && a!.lowerBound < b!.lowerBound, "\(err)")
        #expect(f.containers.isEmpty)
        #expect(!FS.exists(f.root + "/services/svc"))
    }

    @Test func cleanForegroundRunExitsZeroAndPrefixesOutput() throws {
        let f = try ManagerFixture()
        let s = f.name("echo")
        let path = try f.write("""
        {"name": "\(s)", "image": "$BUSYBOX", "replicas": 2, "stopTimeout": "5s",
         "command": "echo ready; trap 'exit 0' TERM; while true; do sleep 0.05; done"}
        """)
        let pid = f.spawn(["run", path], output: "run")
        #expect(f.wait(5) { f.text("run.out").split(separator: "\n").filter { $0.hasSuffix("| ready") }.count == 2 }, "\(f.text("run.err"))")
        kill(pid, SIGINT)
        #expect(f.exitCode(of: pid, within: 5) == 0, "\(f.text("run.err"))")
        let out = f.text("run.out")
        #expect(out.contains("\(s)-1 | ready\n") && out.contains("\(s)-2 | ready\n"), "\(out)")
        #expect(f.containers.isEmpty)
    }

    @Test func detachedSupervisorAnswersPsLogsStopScaleAndRestart() throws {
        let f = try ManagerFixture()
        let s = f.name("api")
        let path = try f.write("""
        {"name": "\(s)", "image": "$BUSYBOX", "replicas": 2, "stopTimeout": "2s", "restart": "always",
         "command": "echo up $HOSTNAME; trap 'echo bye; exit 0' TERM; while true; do sleep 0.05; done"}
        """)
        #expect(f.swiftbox(["run", "--detach", path]).code == 0)
        let again = f.swiftbox(["run", "-d", path])
        #expect(again.code != 0 && again.stderr.contains("already running"), "\(again.stderr)")
        #expect(f.wait(3) { f.swiftbox(["logs", s]).stdout == "\(s)-1 | up \(s)-1\n\(s)-2 | up \(s)-2\n" },
                "\(f.swiftbox(["logs", s]).stdout)")
        let stop = f.swiftbox(["stop", "\(s)-2"])
        #expect(stop.code == 0, "\(stop.stderr)")
        #expect(f.wait(5) { f.instance("\(s)-2")?.state == "stopped" }, "\(String(describing: f.instance("\(s)-2")?.state))")
        #expect(f.instance("\(s)-1")?.state == "running")
        #expect(f.swiftbox(["logs", "--tail", "1", "\(s)-2"]).stdout == "bye\n")
        #expect(f.containers == ["\(s)-1"])
        let restart = f.swiftbox(["restart", "\(s)-2"])
        #expect(restart.code == 0, "\(restart.stderr)")
        #expect(f.instance("\(s)-2")?.state == "running")
        #expect(f.swiftbox(["scale", "\(s)=3"]).code == 0)
        // The report is the supervisor's saved state: give it a moment under load.
        #expect(f.wait(5) { f.report().filter { $0.state == "running" }.map(\.instance) == ["\(s)-1", "\(s)-2", "\(s)-3"] },
                "\(f.report().map { ($0.instance, $0.state) })")
        #expect(f.swiftbox(["scale", "\(s)=1"]).code == 0)
        #expect(f.report().map(\.instance) == ["\(s)-1"])
        #expect(f.containers == ["\(s)-1"])
        let unknown = f.swiftbox(["stop", "nosuch\(f.tag)"])
        #expect(unknown.code != 0 && unknown.stderr.contains("no service or instance"), "\(unknown.stderr)")
        #expect(f.swiftbox(["down", path]).code == 0)
        #expect(f.containers.isEmpty)
        #expect(f.report().isEmpty)
    }

    @Test func killedSupervisorIsRestartedAndAdoptsItsContainers() throws {
        let f = try ManagerFixture()
        let s = f.name("keep")
        let path = try f.write("""
        {"name": "\(s)", "image": "$BUSYBOX", "replicas": 2, "stopTimeout": "200ms",
         "restart": {"policy": "always", "backoff": {"initial": "100ms"}}, "command": ["sleep", "60"]}
        """)
        #expect(f.swiftbox(["run", "-d", path]).code == 0)
        let before = f.report()
        let supervisor = try #require(f.supervisorPid())
        kill(supervisor, SIGKILL)
        #expect(f.wait(3) { !ProjectDirectory(root: f.stateRoot, project: "svc").supervisorAlive })
        // The containers live on without their supervisor, and ps says so.
        #expect(f.report().allSatisfy { $0.state == "running" && !$0.supervised })
        let up = f.swiftbox(["run", "-d", path])
        #expect(up.code == 0, "\(up.stderr)")
        let after = f.report()
        #expect(after.map(\.pid) == before.map(\.pid), "adopted, not restarted: \(before) → \(after)")
        #expect(after.allSatisfy { $0.state == "running" && $0.supervised && $0.restarts == 0 })
        #expect(f.containers == ["\(s)-1", "\(s)-2"])
        #expect(f.supervisorPid() != supervisor)
        // The new supervisor really supervises them.
        kill(before[0].pid, SIGKILL)
        #expect(f.wait(3) { f.instance("\(s)-1")?.restarts == 1 && f.instance("\(s)-1")?.state == "running" }, "\(f.report())")
        #expect(f.swiftbox(["down", path]).code == 0)
        #expect(f.containers.isEmpty)
        for p in before { #expect(!Sys.alive(p.pid) || Sys.processState(of: p.pid) == "Z") }
    }

    @Test func downWithoutSupervisorRemovesOrphans() throws {
        let f = try ManagerFixture()
        let s = f.name("orphan")
        let path = try f.write("""
        {"name": "\(s)", "image": "$BUSYBOX", "command": ["sleep", "60"], "stopTimeout": "200ms"}
        """)
        #expect(f.swiftbox(["run", "-d", path]).code == 0)
        let pid = try #require(f.instance("\(s)-1")?.pid)
        kill(try #require(f.supervisorPid()), SIGKILL)
        #expect(f.wait(3) { !ProjectDirectory(root: f.stateRoot, project: "svc").supervisorAlive })
        let down = f.swiftbox(["down", path])
        #expect(down.code == 0, "\(down.stderr)")
        #expect(f.containers.isEmpty)
        #expect(f.wait(2) { !Sys.alive(pid) || Sys.processState(of: pid) == "Z" })
        #expect(!FS.exists(f.root + "/services/svc"))
    }
}
