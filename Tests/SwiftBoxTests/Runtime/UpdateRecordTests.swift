import Testing
import SwiftBox

@Suite struct UpdateRecordTests {
    @Test func overlayKeepsWhatTheChangeDoesNotName() throws {
        var base = Resources()
        base.pids = Pids(limit: 10)
        var mem = Memory(); mem.limit = 1 << 20; mem.swappiness = 5
        base.memory = mem
        var change = Resources()
        var newMem = Memory(); newMem.limit = 2 << 20
        change.memory = newMem
        let merged = try base.overlaid(by: change)
        #expect(merged.pids?.limit == 10)
        #expect(merged.memory?.limit == 2 << 20)
        #expect(merged.memory?.swappiness == 5)
    }

    /// `update` changes the live cgroup and records the change in the stored
    /// config, merged with what was there (runc does the same).
    @Test func updateIsRecordedInTheStoredConfig() throws {
        let box = try Sandbox(["sleep", "1000"])
        defer { box.cleanup() }
        #expect(box.swiftbox(["run", "--detach", "--bundle", box.bundle, box.id]).code == 0)
        #expect(box.swiftbox(["update", "--pids-limit", "77", box.id]).code == 0)
        #expect(box.swiftbox(["update", "--memory", "64m", box.id]).code == 0)
        let stored = try JSONDocument.load(Spec.self, from: box.root + "/" + box.id + "/config.json")
        #expect(stored.linux?.resources?.pids?.limit == 77)
        #expect(stored.linux?.resources?.memory?.limit == 64 << 20)
        #expect(stored.process?.args == ["sleep", "1000"])
    }
}
