import FoundationEssentials
import Testing
import SwiftBox

/// The Codable-free reader (JSONReader) must read config.json exactly as the
/// Codable conformances do, and fail with the same kind of message.
@Suite struct SpecReaderTests {
    /// A config with every field of every type the spec reader knows.
    static let full = #"""
    {
      "ociVersion": "1.2.0",
      "root": {"path": "rootfs", "readonly": true},
      "mounts": [
        {"destination": "/proc", "type": "proc", "source": "proc", "options": ["nosuid"],
         "uidMappings": [{"containerID": 0, "hostID": 1000, "size": 1}],
         "gidMappings": [{"containerID": 0, "hostID": 1000, "size": 1}]},
        {"destination": "/tmp"}
      ],
      "process": {
        "terminal": false, "consoleSize": {"height": 24, "width": 80},
        "user": {"uid": 1, "gid": 2, "umask": 18, "additionalGids": [5, 6], "username": "u"},
        "args": ["sh", "-c", "echo \"hi\" \\ \u00e9 \ud83d\ude00 \/ \t"], "commandLine": "sh",
        "env": ["PATH=/bin", "A=é"], "cwd": "/",
        "capabilities": {"bounding": ["CAP_KILL"], "effective": ["CAP_KILL"], "inheritable": [],
                         "permitted": ["CAP_KILL"], "ambient": []},
        "rlimits": [{"type": "RLIMIT_NOFILE", "hard": 18446744073709551615, "soft": 1024}],
        "noNewPrivileges": true, "apparmorProfile": "p", "oomScoreAdj": -500, "selinuxLabel": "l",
        "ioPriority": {"class": "IOPRIO_CLASS_BE", "priority": 4},
        "scheduler": {"policy": "SCHED_OTHER", "nice": -5, "priority": 0, "flags": ["SCHED_FLAG_RESET_ON_FORK"],
                      "runtime": 1, "deadline": 2, "period": 3},
        "execCPUAffinity": {"initial": "0", "final": "1"}
      },
      "hostname": "h", "domainname": "d",
      "hooks": {
        "prestart": [{"path": "/bin/a", "args": ["a"], "env": ["X=1"], "timeout": 5}],
        "createRuntime": [{"path": "/bin/b"}], "createContainer": [], "startContainer": [{"path": "/bin/c"}],
        "poststart": [{"path": "/bin/d"}], "poststop": [{"path": "/bin/e"}]
      },
      "annotations": {"a": "1", "b": ""},
      "linux": {
        "namespaces": [{"type": "pid"}, {"type": "network", "path": "/proc/1/ns/net"}],
        "uidMappings": [{"containerID": 0, "hostID": 100000, "size": 65536}],
        "gidMappings": [{"containerID": 0, "hostID": 100000, "size": 65536}],
        "timeOffsets": {"monotonic": {"secs": -10, "nanosecs": 5}, "boottime": {"secs": 99}},
        "devices": [{"type": "c", "path": "/dev/fuse", "major": 10, "minor": 229, "fileMode": 438, "uid": 0, "gid": 0}],
        "cgroupsPath": "/x/y",
        "resources": {
          "devices": [{"allow": false, "access": "rwm"}, {"allow": true, "type": "c", "major": 1, "minor": 3, "access": "rw"}],
          "memory": {"limit": 1048576, "reservation": 1, "swap": -1, "kernel": 2, "kernelTCP": 3, "swappiness": 60,
                     "disableOOMKiller": false, "useHierarchy": true, "checkBeforeUpdate": true},
          "cpu": {"shares": 1024, "quota": -1, "burst": 0, "period": 100000, "realtimeRuntime": 1, "realtimePeriod": 2,
                  "cpus": "0-1", "mems": "0", "idle": 1},
          "pids": {"limit": 32},
          "blockIO": {"weight": 10, "leafWeight": 20,
                      "weightDevice": [{"major": 8, "minor": 0, "weight": 5, "leafWeight": 6}],
                      "throttleReadBpsDevice": [{"major": 8, "minor": 0, "rate": 100}],
                      "throttleWriteBpsDevice": [{"major": 8, "minor": 0, "rate": 200}],
                      "throttleReadIOPSDevice": [{"major": 8, "minor": 0, "rate": 300}],
                      "throttleWriteIOPSDevice": [{"major": 8, "minor": 0, "rate": 400}]},
          "hugepageLimits": [{"pageSize": "2MB", "limit": 4194304}],
          "network": {"classID": 7, "priorities": [{"name": "eth0", "priority": 2}]},
          "rdma": {"mlx5_1": {"hcaHandles": 3, "hcaObjects": 1000}},
          "unified": {"memory.high": "max"}
        },
        "rootfsPropagation": "rslave",
        "seccomp": {"defaultAction": "SCMP_ACT_ERRNO", "defaultErrnoRet": 1, "architectures": ["SCMP_ARCH_X86_64"],
                    "flags": ["SECCOMP_FILTER_FLAG_LOG"], "listenerPath": "/l", "listenerMetadata": "m",
                    "syscalls": [{"names": ["read", "write"], "action": "SCMP_ACT_ALLOW", "errnoRet": 2,
                                  "args": [{"index": 0, "value": 1, "valueTwo": 2, "op": "SCMP_CMP_EQ"}]}]},
        "sysctl": {"net.ipv4.ip_forward": "1"},
        "maskedPaths": ["/proc/kcore"], "readonlyPaths": ["/proc/sys"],
        "mountLabel": "ml", "personality": {"domain": "LINUX32", "flags": []},
        "intelRdt": {"closID": "c", "l3CacheSchema": "L3:0=f", "enableMonitoring": true, "n": 1.5, "z": null}
      },
      "unknownField": {"ignored": [1, 2, 3]}
    }
    """#

    func viaCodable(_ text: String) throws -> Spec {
        try JSONDecoder().decode(Spec.self, from: Data(text.utf8))
    }

    func viaReader(_ text: String, parentHandled: Bool = false) throws -> Spec {
        try Spec(json: JSONObject.parse(Array(text.utf8), file: "config.json", parentHandled: parentHandled))
    }

    func readerError(_ text: String) -> String {
        do { _ = try viaReader(text); return "" } catch { return "\(error)" }
    }

    @Test func readsEveryFieldAsCodableDoes() throws {
        let codable = try viaCodable(Self.full)
        let read = try viaReader(Self.full)
        #expect(read == codable)
        #expect(read.process?.args?[2] == "echo \"hi\" \\ é 😀 / \t")
        #expect(read.process?.rlimits?[0].hard == UInt64.max)
        #expect(read.linux?.resources?.memory?.swap == -1)
        #expect(read.linux?.intelRdt == codable.linux?.intelRdt)
        // The default config and one JSONDocument wrote read back the same too.
        let def = Spec.defaultSpec()
        let text = String(decoding: try JSONDocument.encode(def, pretty: true), as: UTF8.self)
        #expect(try viaReader(text) == def)
        #expect(try viaReader(String(decoding: try JSONDocument.encode(codable), as: UTF8.self)) == codable)
    }

    @Test func initSkipsWhatOnlyTheRuntimeReads() throws {
        let spec = try viaReader(Self.full, parentHandled: true)
        #expect(spec.linux?.resources == nil)
        #expect(spec.linux?.seccomp == nil)
        #expect(spec.linux?.namespaces?.count == 2)
    }

    @Test func errorsNameTheFileThePathTheLineAndWhatWasExpected() {
        let cases: [(String, [String])] = [
            (#"{"ociVersion": "1.0.0", "process": {"user": {"uid": 0, "gid": 0}, "cwd": "/", "args": ["a", 5]}}"#,
             ["config.json: $.process.args[1] (line 1)", "expected a string, found a number (5)"]),
            ("{\n\"ociVersion\": \"1\",\n\"process\": {\"cwd\": \"/\"}}",
             ["$.process (line 3)", "missing required field \"user\""]),
            (#"{"process": {}}"#, ["$ (line 1)", "missing required field \"ociVersion\""]),
            (#"{"ociVersion": null}"#, ["missing required field \"ociVersion\""]),
            (#"{"ociVersion": "1", "linux": {"resources": {"pids": {"limit": 1.5}}}}"#,
             ["$.linux.resources.pids.limit", "1.5 does not fit in Int64"]),
            (#"{"ociVersion": "1", "linux": {"uidMappings": [{"containerID": -1, "hostID": 0, "size": 1}]}}"#,
             ["$.linux.uidMappings[0].containerID", "-1 does not fit in UInt32"]),
            (#"{"ociVersion": "1", "linux": {"sysctl": {"a": 1}}}"#, ["$.linux.sysctl.a", "expected a string"]),
            (#"{"ociVersion": "1", "mounts": {"destination": "/"}}"#, ["$.mounts", "expected an array, found an object"]),
            (#"{"ociVersion": "1", "root": "rootfs"}"#, ["$.root", "expected an object, found a string"]),
            (#"{"ociVersion": "1", "root": {"path": "r", "readonly": "yes"}}"#, ["$.root.readonly", "expected a boolean"]),
            (#"["not", "an", "object"]"#, ["config.json: $ (line 1)", "expected an object, found an array"]),
            ("{\"ociVersion\": \"1\",\n\"hostname\": \"a\" \"b\"}", ["config.json: not valid JSON", "(line 2)"]),
            (#"{"ociVersion": "1", "x": [1, 2 3]}"#, ["not valid JSON"]),
            (#"{"ociVersion": "\ud800"}"#, ["not valid JSON", "surrogate"]),
            (#"{"ociVersion": 01}"#, ["not valid JSON"]),
            ("{\"ociVersion\": \"a\u{01}\"}", ["not valid JSON", "control character"]),
            (#"{"ociVersion": "1"} x"#, ["not valid JSON"]),
            ("", ["not valid JSON"]),
        ]
        for (text, wants) in cases {
            let message = readerError(text)
            for want in wants { #expect(message.contains(want), "\(text) → \(message)") }
            // Codable refuses each of these too.
            #expect((try? viaCodable(text)) == nil, "Codable accepted \(text)")
        }
        // A trailing comma, which JSONDecoder lets through, is not JSON (RFC 8259; runc refuses it too).
        #expect(readerError(#"{"ociVersion": "1", }"#).contains("not valid JSON"))
        let invalidUTF8 = Array(#"{"ociVersion": ""#.utf8) + [0xFF] + Array(#""}"#.utf8)
        #expect(throws: (any Error).self) { try Spec(json: JSONObject.parse(invalidUTF8, file: "c")) }
    }

    @Test func wholeNumbersInOtherNotationsReadAsCodableReadsThem() throws {
        let text = #"{"ociVersion": "1.0.2", "process": {"user": {"uid": 1e3, "gid": 10.0}, "cwd": "/"}}"#
        #expect(try viaReader(text) == (try viaCodable(text)))
        #expect(try viaReader(text).process?.user.uid == 1000)
    }

    /// Of a key given twice the last counts, as in runc, containerd and podman
    /// (Go's encoding/json), so swiftbox runs what a Go tool in front of it
    /// checked. (Foundation's JSONDecoder takes the first.)
    @Test func theLastOfDuplicateKeysCounts() throws {
        let text = #"{"ociVersion": "1.0.2", "hostname": "checked", "hostname": "run"}"#
        #expect(try viaReader(text).hostname == "run")
    }

    /// state.json: what the writer writes, Codable reads the same; what older
    /// versions wrote with Codable, the reader reads the same.
    @Test func stateRecordsRoundTripBetweenTheWriterCodableAndTheReader() throws {
        let text = #"""
            {"id": "c1", "bundle": "/b \"q\"", "rootfs": "/b/rootfs", "pid": 42, "pidStartTime": 18446744073709551615,
             "created": "2026-11-28T00:00:00.000000000Z", "annotations": {"k": "v\n\u0001é/"},
             "cgroupPath": "/swiftbox/c1", "systemdCgroup": false, "started": true, "exitStatus": -1,
             "ociVersion": "1.2.0"}
            """#
        let codable = try JSONDecoder().decode(ContainerRecord.self, from: Data(text.utf8))
        let read = try ContainerRecord(json: JSONObject.parse(Array(text.utf8), file: "state.json"))
        #expect(read == codable)
        let written = read.json()
        #expect(try JSONDecoder().decode(ContainerRecord.self, from: Data(written)) == codable)
        #expect(try ContainerRecord(json: JSONObject.parse(written, file: "state.json")) == codable)
        var withoutOptionals = codable
        withoutOptionals.annotations = nil
        withoutOptionals.exitStatus = nil
        let bare = String(decoding: withoutOptionals.json(), as: UTF8.self)
        #expect(!bare.contains("annotations") && !bare.contains("exitStatus"), "\(bare)")
        #expect(try JSONDecoder().decode(ContainerRecord.self, from: Data(bare.utf8)) == withoutOptionals)
    }
}
