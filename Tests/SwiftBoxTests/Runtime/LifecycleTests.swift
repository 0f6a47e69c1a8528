#if canImport(Glibc)
import Glibc
#endif
import Testing
import SwiftBox

@Suite struct LifecycleTests {
    @Test func createStartKillDeleteFollowsTheSpec() throws {
        let box = try Sandbox(["sleep", "1000"])
        defer { box.cleanup() }
        #expect(box.create().code == 0)
        #expect(box.status() == "created")
        let pid = try #require(box.pid())
        // Created: init exists but the user program has not run yet.
        #expect(Sys.alive(pid))
        #expect(!((try? FS.read("/proc/\(pid)/cmdline")) ?? []).starts(with: Array("sleep".utf8)))
        #expect(box.swiftbox(["delete", box.id]).code != 0, "delete of a created container needs --force")
        #expect(box.swiftbox(["start", box.id]).code == 0)
        #expect(box.status() == "running")
        #expect(((try? FS.read("/proc/\(pid)/cmdline")) ?? []).starts(with: Array("sleep".utf8)))
        let again = box.swiftbox(["start", box.id])
        #expect(again.code != 0)
        #expect(again.stderr.contains("not created"))
        let del = box.swiftbox(["delete", box.id])
        #expect(del.code != 0)
        #expect(del.stderr.contains("running"))
        #expect(box.swiftbox(["kill", box.id, "KILL"]).code == 0)
        var stopped = false
        for _ in 0..<200 where !stopped { stopped = box.status() == "stopped"; usleep(10_000) }
        #expect(stopped)
        #expect(box.swiftbox(["kill", box.id]).code != 0, "kill of a stopped container fails")
        #expect(box.swiftbox(["delete", box.id]).code == 0)
        #expect(box.leftovers().isEmpty)
        #expect(box.swiftbox(["state", box.id]).code != 0)
    }

    @Test func listShowsContainersAsTableAndJSON() throws {
        let box = try Sandbox(["sleep", "1000"])
        defer { box.cleanup() }
        #expect(box.create(["--pid-file", box.root + "/pid"]).code == 0)
        let table = box.swiftbox(["list"])
        #expect(table.stdout.contains(box.id))
        #expect(table.stdout.contains("created"))
        let json = box.swiftbox(["list", "--format", "json"])
        #expect(json.stdout.contains("\"id\":\"\(box.id)\""))
        let pidText = try FS.readString(box.root + "/pid")
        #expect(Int32(pidText) == box.pid())
    }

    @Test func deleteForceStopsACreatedContainer() throws {
        let box = try Sandbox(["sleep", "1000"])
        defer { box.cleanup() }
        #expect(box.create().code == 0)
        let pid = try #require(box.pid())
        #expect(box.swiftbox(["delete", "--force", box.id]).code == 0)
        #expect(!Sys.alive(pid) || Sys.processState(of: pid) == "Z")
        #expect(box.leftovers().isEmpty)
    }

    @Test func runPropagatesSignalDeathAs128PlusSignal() throws {
        let box = try Sandbox(["sleep", "1000"])
        defer { box.cleanup() }
        let run = try TestSupport.spawn([TestSupport.swiftbox, "--root", box.root, "run", "--bundle", box.bundle, box.id])
        var running = false
        for _ in 0..<500 where !running { running = box.status() == "running"; usleep(10_000) }
        #expect(running)
        #expect(box.swiftbox(["kill", box.id, "KILL"]).code == 0)
        #expect(Sys.exitCode(try Sys.wait(run).status) == 137)
        #expect(box.leftovers().isEmpty)
    }

    @Test func runForwardsSignalsToTheContainer() throws {
        let box = try Sandbox(["sh", "-c", "trap 'exit 42' TERM; echo ready > /dev/shm/ready; while true; do sleep 0.05; done"])
        defer { box.cleanup() }
        let run = try TestSupport.spawn([TestSupport.swiftbox, "--root", box.root, "run", "--bundle", box.bundle, box.id])
        var ready = false
        for _ in 0..<500 where !ready {
            ready = box.swiftbox(["exec", box.id, "cat", "/dev/shm/ready"]).stdout == "ready\n"
            if !ready { usleep(10_000) }
        }
        #expect(ready)
        kill(run, SIGTERM)
        #expect(Sys.exitCode(try Sys.wait(run).status) == 42)
        #expect(box.leftovers().isEmpty)
    }

    @Test func execIntoAStoppedContainerFails() throws {
        let box = try Sandbox(["true"])
        defer { box.cleanup() }
        #expect(box.swiftbox(["run", "--detach", "--bundle", box.bundle, box.id]).code == 0)
        var stopped = false
        for _ in 0..<300 where !stopped { stopped = box.status() == "stopped"; usleep(10_000) }
        let r = box.swiftbox(["exec", box.id, "true"])
        #expect(r.code != 0)
        #expect(r.stderr.contains("stopped"))
    }

    @Test func runDetachLeavesItRunning() throws {
        let box = try Sandbox(["sleep", "1000"])
        defer { box.cleanup() }
        #expect(box.swiftbox(["run", "--detach", "--bundle", box.bundle, box.id]).code == 0)
        #expect(box.status() == "running")
        #expect(box.swiftbox(["kill", "--all", box.id, "9"]).code == 0)
    }

    @Test func killSignalsByNameAndRefusesBadNames() throws {
        let box = try Sandbox(["sh", "-c", "trap 'exit 42' USR1; while true; do sleep 0.05; done"])
        defer { box.cleanup() }
        #expect(box.create().code == 0)
        #expect(box.swiftbox(["start", box.id]).code == 0)
        let bad = box.swiftbox(["kill", box.id, "SIGBOGUS"])
        #expect(bad.code != 0)
        #expect(bad.stderr.contains("unknown signal"))
        usleep(200_000) // let the shell install its trap
        #expect(box.swiftbox(["kill", box.id, "SIGUSR1"]).code == 0)
        var stopped = false
        for _ in 0..<300 where !stopped { stopped = box.status() == "stopped"; usleep(10_000) }
        #expect(stopped)
    }
}
