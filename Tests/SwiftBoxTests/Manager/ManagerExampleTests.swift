#if canImport(Glibc)
import Glibc
#endif
import Testing
import SwiftBox

/// The example service files under images/services: they follow the JSON
/// Schema, parse, and run as they are.
@Suite struct ManagerExampleTests {
    static let examples = TestSupport.packageRoot + "/images/services"

    /// A copy of the examples next to `out/busybox/rootfs` (what
    /// images/run-example.sh builds), with service names made unique.
    func copyExamples(_ f: ManagerFixture) throws -> String {
        let dir = f.dir + "/services"
        try FS.mkdirAll(f.dir + "/out/busybox")
        #expect(symlink(TestSupport.busyboxRootfs, f.dir + "/out/busybox/rootfs") == 0)
        #expect(TestSupport.sh("cp -r \(Self.examples) \(dir)").code == 0)
        for file in try FS.list(dir) where file.hasSuffix(".json") && !file.contains("schema") {
            var text = try FS.readString(dir + "/" + file)
            for name in ["hello", "cache", "web", "migrate", "worker"] {
                text = text.replacingAll("\"\(name)\"", with: "\"\(f.name(name))\"")
            }
            try FS.write(dir + "/" + file, text)
        }
        return dir
    }

    @Test func examplesFollowTheSchemaAndParse() throws {
        let f = try ManagerFixture()
        let dir = try copyExamples(f)
        let files = try FS.list(Self.examples).filter { $0.hasSuffix(".json") && !$0.contains("schema") }
        #expect(files.sorted() == ["batch.json", "hello.json", "web.json"])
        for file in files {
            let (parsed, problems) = ServiceFile.check(dir + "/" + file)
            #expect(problems.isEmpty, "\(file): \(problems)")
            #expect(parsed?.services.isEmpty == false)
            let schema = TestSupport.sh("""
                python3 -c 'import json,sys,jsonschema; jsonschema.validate(json.load(open(sys.argv[1])), json.load(open(sys.argv[2])))' \
                \(Self.examples)/\(file) \(Self.examples)/service.schema.json
                """)
            #expect(schema.code == 0, "\(file): \(schema.stderr)")
        }
        // The schema rejects what the parser rejects.
        let bad = try f.write(#"{"name": "x", "image": "y", "replicas": -1, "imag": 1}"#, as: "bad.json")
        let schema = TestSupport.sh("""
            python3 -c 'import json,sys,jsonschema; jsonschema.validate(json.load(open(sys.argv[1])), json.load(open(sys.argv[2])))' \
            \(bad) \(Self.examples)/service.schema.json
            """)
        #expect(schema.code != 0)
    }

    @Test func webExampleRunsWithHealthChecksAndDependencies() throws {
        let f = try ManagerFixture()
        let dir = try copyExamples(f)
        let path = dir + "/web.json"
        let up = f.swiftbox(["run", "-d", path])
        #expect(up.code == 0, "\(up.stderr)")
        let web = f.name("web")
        #expect(f.wait(15) { f.report().filter { $0.service == web && $0.health == .healthy }.count == 2 }, "\(f.report())")
        #expect(f.instance(f.name("cache") + "-1")?.health == .healthy)
        #expect(f.swiftbox(["down", path]).code == 0)
        #expect(f.containers.isEmpty)
    }

    @Test func batchExampleWaitsForCompletion() throws {
        let f = try ManagerFixture()
        let dir = try copyExamples(f)
        let path = dir + "/batch.json"
        #expect(f.swiftbox(["run", "-d", path]).code == 0)
        let worker = f.name("worker")
        #expect(f.wait(5) { f.swiftbox(["logs", worker]).stdout.split(separator: "\n").count == 2 })
        #expect(f.swiftbox(["logs", "\(worker)-1"]).stdout == "worker \(worker)-1 sees schema v2\n")
        #expect(f.instance(f.name("migrate") + "-1")?.state == "exited")
        #expect(f.swiftbox(["down", path]).code == 0)
    }
}

extension String {
    func replacingAll(_ target: String, with replacement: String) -> String {
        var out = ""
        var rest = Substring(self)
        while let r = rest.firstRange(of: target) {
            out += rest[..<r.lowerBound] + replacement
            rest = rest[r.upperBound...]
        }
        return out + rest
    }
}
