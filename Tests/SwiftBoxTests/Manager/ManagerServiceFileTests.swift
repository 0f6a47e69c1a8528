import Testing
import SwiftBox

@Suite struct ManagerServiceFileTests {
    @Test func sizesDurationsAndCPUsParseAsPeopleWriteThem() {
        #expect(Quantity.bytes("64M") == 64 << 20)
        #expect(Quantity.bytes("1.5G") == 3 << 29)
        #expect(Quantity.bytes("512k") == 512 << 10)
        #expect(Quantity.bytes("100MiB") == 100 << 20)
        #expect(Quantity.bytes("4096") == 4096)
        #expect(Quantity.bytes("64X") == nil)
        #expect(Quantity.bytes("-1M") == nil)
        #expect(Quantity.seconds("10s") == 10)
        #expect(Quantity.seconds("1m30s") == 90)
        #expect(Quantity.seconds("250ms") == 0.25)
        #expect(Quantity.seconds("1.5") == 1.5)
        #expect(Quantity.seconds("2h") == 7200)
        #expect(Quantity.seconds("ten seconds") == nil)
        #expect(Quantity.seconds("5x") == nil)
        #expect(Quantity.cpus("1.5") == 1.5)
        #expect(Quantity.cpus("0") == nil)
    }

    @Test func backoffDoublesUpToItsMaximum() {
        var r = RestartPolicy()
        r.initialBackoff = 0.1
        r.maxBackoff = 0.5
        #expect(r.backoff(afterFailures: 1) == 0.1)
        #expect(r.backoff(afterFailures: 2) == 0.2)
        #expect(r.backoff(afterFailures: 3) == 0.4)
        #expect(r.backoff(afterFailures: 4) == 0.5)
        #expect(r.backoff(afterFailures: 40) == 0.5)
    }

    @Test func everyFieldIsReadWithItsDefaults() throws {
        let f = try ManagerFixture()
        try FS.write(f.dir + "/app.env", "# comment\nFROM_FILE=1\nexport QUOTED=\"a b\"\nOVERRIDDEN=file\n", create: true)
        try FS.mkdirAll(f.dir + "/data")
        let path = try f.write("""
        [
          {"name": "db", "image": "$BUSYBOX", "command": ["sleep", "60"],
           "healthcheck": {"command": ["CMD-SHELL", "true"], "interval": "2s", "timeout": "1s", "retries": 2, "startPeriod": "5s"}},
          {"name": "web", "image": "$BUSYBOX", "entrypoint": ["/bin/sh", "-c"], "command": ["echo hi"],
           "env": {"OVERRIDDEN": "env", "N": 3}, "envFile": "app.env", "workdir": "/tmp", "user": "nobody",
           "hostname": "h", "replicas": 3,
           "restart": {"policy": "on-failure", "maxRetries": 4, "backoff": {"initial": "200ms", "max": "5s"}},
           "resources": {"memory": "64M", "cpus": "1.5", "pids": 100},
           "mounts": ["./data:/data:ro", {"type": "tmpfs", "target": "/scratch", "size": "16M"}, "cache:/cache"],
           "network": "host", "readonlyRootfs": true, "capabilities": {"add": ["sys_time"], "drop": ["NET_RAW"]},
           "seccomp": "unconfined", "stopSignal": "SIGINT", "stopTimeout": "3s",
           "dependsOn": {"db": {"condition": "healthy"}}, "labels": {"tier": "front"}}
        ]
        """)
        let file = try ServiceFile.load(path)
        #expect(file.project == "svc")
        let db = try #require(file.service("db"))
        #expect(db.replicas == 1)
        #expect(db.restart.condition == .no)
        #expect(db.stopTimeout == 10)
        #expect(db.stopSignal == nil && db.seccomp == .default && db.workdir == nil)
        #expect(db.network == .private)
        #expect(db.healthcheck?.command == ["/bin/sh", "-c", "true"])
        #expect(db.healthcheck?.interval == 2 && db.healthcheck?.startPeriod == 5 && db.healthcheck?.retries == 2)
        let web = try #require(file.service("web"))
        #expect(web.arguments == ["/bin/sh", "-c", "echo hi"])
        #expect(web.environment == ["FROM_FILE=1", "QUOTED=a b", "N=3", "OVERRIDDEN=env"])
        #expect(web.workdir == "/tmp" && web.user == "nobody" && web.hostname == "h" && web.replicas == 3)
        #expect(web.restart.condition == .onFailure && web.restart.maxRetries == 4)
        #expect(web.restart.initialBackoff == 0.2 && web.restart.maxBackoff == 5)
        #expect(web.resources.memory == 64 << 20 && web.resources.cpus == 1.5 && web.resources.pids == 100)
        #expect(web.mounts == [
            ServiceMount(kind: .bind, source: f.dir + "/data", target: "/data", readOnly: true),
            ServiceMount(kind: .tmpfs, source: "", target: "/scratch", size: 16 << 20),
            ServiceMount(kind: .volume, source: "cache", target: "/cache"),
        ])
        #expect(web.network == .host && web.readonlyRootfs)
        #expect(web.capabilitiesAdded == ["CAP_SYS_TIME"] && web.capabilitiesDropped == ["CAP_NET_RAW"])
        #expect(web.seccomp == .unconfined && web.stopSignal == 2 && web.stopTimeout == 3)
        #expect(web.dependsOn == [Dependency(service: "db", condition: .healthy)])
        #expect(web.labels == ["tier": "front"])
        #expect(file.startOrder.map(\.name) == ["db", "web"])
    }

    @Test func everyProblemIsReportedAtOnceWithLineAndPath() throws {
        let f = try ManagerFixture()
        let path = try f.write("""
        [
          {"name": "a", "image": "$BUSYBOX", "command": "true", "imag": "x",
           "replicas": -1},
          {"name": "b", "command": "true",
           "resources": {"memory": "lots"}, "stopTimeout": "soon"},
          {"name": "a", "image": "$BUSYBOX", "command": "true", "dependsOn": ["c"]},
          {"name": "c", "image": "$BUSYBOX", "command": "true", "dependsOn": ["d"], "replicas": "2"},
          {"name": "d", "image": "$BUSYBOX", "command": "true", "dependsOn": {"c": "healthy"}}
        ]
        """)
        let (_, problems) = ServiceFile.check(path)
        let lines = problems.map(\.description)
        func has(_ line: Int, _ jsonPath: String, _ text: String) -> Bool {
            problems.contains { $0.line == line && $0.path == jsonPath && $0.message.contains(text) && $0.file == path }
        }
        #expect(has(2, "$[0].imag", "unknown field \"imag\"; did you mean \"image\"?"), "\(lines)")
        #expect(has(3, "$[0].replicas", "must be 0 or more, got -1"), "\(lines)")
        #expect(has(4, "$[1]", "missing required field \"image\""), "\(lines)")
        #expect(has(5, "$[1].resources.memory", "\"lots\" is not a size"), "\(lines)")
        #expect(has(5, "$[1].stopTimeout", "\"soon\" is not a duration"), "\(lines)")
        #expect(has(6, "$[2].name", "duplicate service name \"a\" (first used on line 2)"), "\(lines)")
        #expect(has(7, "$[3].replicas", "expected a whole number, found a string"), "\(lines)")
        #expect(problems.contains { $0.message.contains("dependency cycle: c -> d -> c") }, "\(lines)")
        #expect(has(8, "$[4].dependsOn.c", "has no healthcheck"), "\(lines)")
        #expect(problems.count == 9, "\(lines)")
        #expect(throws: SwiftBoxError.self) { try ServiceFile.load(path) }
    }

    @Test func badImagesAndMountsAreNamed() throws {
        let f = try ManagerFixture()
        let path = try f.write("""
        {"name": "x", "image": "./nothing-here", "command": "true",
         "mounts": ["./missing:/m", "relative"], "network": "bridge", "restart": "sometimes"}
        """)
        let (_, problems) = ServiceFile.check(path)
        let text = problems.map(\.description).joined(separator: "\n")
        #expect(text.contains("$.image: image \(f.dir)/nothing-here does not exist"), "\(text)")
        #expect(text.contains("$.mounts[0]: bind source \(f.dir)/missing does not exist"), "\(text)")
        #expect(text.contains("$.mounts[1]: expected \"SOURCE:TARGET[:ro]\""), "\(text)")
        #expect(text.contains("$.network: \"bridge\" is not a network mode"), "\(text)")
        #expect(text.contains("$.restart: \"sometimes\" is not a restart policy"), "\(text)")
        #expect(problems.count == 5, "\(text)")
    }

    @Test func invalidFileStartsNothing() throws {
        let f = try ManagerFixture()
        let n = f.name("bad")
        let path = try f.write("""
        [{"name": "\(n)", "image": "$BUSYBOX", "command": "sleep 60", "replicas": 2, "stopSignal": "SIGNOPE"},
         {"name": "\(n)", "image": "$BUSYBOX", "command": "sleep 60"}]
        """)
        for args in [["run", path], ["run", "-d", path]] {
            let r = f.swiftbox(args)
            #expect(r.code != 0)
            #expect(r.stderr.contains("\(path):1: $[0].stopSignal: unknown signal \"SIGNOPE\""), "\(r.stderr)")
            #expect(r.stderr.contains("\(path):2: $[1].name: duplicate service name"), "\(r.stderr)")
            #expect(r.stderr.contains("nothing was started"), "\(r.stderr)")
        }
        #expect(f.containers.isEmpty)
        #expect(!FS.exists(f.root + "/services/svc"))
        #expect(TestSupport.sh("find /sys/fs/cgroup -maxdepth 3 -name '\(n)-*'").stdout.isEmpty)
    }
}
