import Testing
import SwiftBox

@Suite struct HookTests {
    static func hook(_ name: String, log: String, timeout: Int? = nil) -> Hook {
        Hook(path: "/bin/sh", args: ["sh", "-c", "echo \"\(name) $(cat)\" >> \(log)/log"], timeout: timeout)
    }

    @Test func hooksRunInOrderWithTheStateOnStdin() throws {
        let logDir = try TestSupport.tempDir("swiftbox-hooks")
        defer { _ = try? FS.removeAll(logDir) }
        let box = try Sandbox(["true"]) {
            var hooks = Hooks()
            hooks.prestart = [Self.hook("prestart", log: logDir)]
            hooks.createRuntime = [Self.hook("createRuntime", log: logDir)]
            hooks.createContainer = [Self.hook("createContainer", log: logDir)]
            hooks.startContainer = [Self.hook("startContainer", log: "/hooklog")]
            hooks.poststart = [Self.hook("poststart", log: logDir)]
            hooks.poststop = [Self.hook("poststop", log: logDir)]
            $0.hooks = hooks
            // startContainer runs inside the container: give it the log folder as /hooklog (a
            // fixed name: the mount point is made once in the shared test rootfs).
            $0.mounts?.append(Mount(destination: "/hooklog", type: "bind", source: logDir, options: ["rbind"]))
        }
        defer { box.cleanup() }
        #expect(box.run().code == 0)
        let lines = try FS.readString(logDir + "/log").split(separator: "\n")
        #expect(lines.map { $0.split(separator: " ").first.map(String.init) ?? "" }
                == ["prestart", "createRuntime", "createContainer", "startContainer", "poststart", "poststop"])
        for line in lines { #expect(line.contains("\"id\":\"\(box.id)\"")) }
        #expect(lines[0].contains("\"status\":\"creating\""))
        #expect(lines[5].contains("\"status\":\"stopped\""))
    }

    @Test func aFailingOrSlowCreateRuntimeHookFailsCreateCleanly() throws {
        let failing = try Sandbox(["true"]) {
            var hooks = Hooks()
            hooks.createRuntime = [Hook(path: "/bin/sh", args: ["sh", "-c", "exit 3"])]
            $0.hooks = hooks
        }
        defer { failing.cleanup() }
        let r = failing.create()
        #expect(r.code != 0)
        #expect(r.stderr.contains("createRuntime hook 0"))
        #expect(r.stderr.contains("status 3"))
        #expect(failing.leftovers().isEmpty)

        let slow = try Sandbox(["true"]) {
            var hooks = Hooks()
            hooks.prestart = [Hook(path: "/bin/sleep", args: ["sleep", "30"], timeout: 1)]
            $0.hooks = hooks
        }
        defer { slow.cleanup() }
        let s = slow.create()
        #expect(s.code != 0)
        #expect(s.stderr.contains("timed out"))
        #expect(slow.leftovers().isEmpty)
    }
}
