import Testing
import SwiftBox

/// Pure logic: bad values are refused with the field's JSON path; unit conversions.
@Suite struct ResourceValidationTests {
    func message(_ edit: (inout Resources) -> Void) -> String? {
        var r = Resources()
        edit(&r)
        do {
            try ResourceValidation.validate(r, hugepageSizes: ["2MB", "1GB"], onlineCPUs: [0, 1], onlineMems: [0])
            return nil
        } catch let e as SwiftBoxError { return e.message } catch { return "\(error)" }
    }

    func hugepage(_ size: String) -> HugepageLimit {
        try! JSONDocument.decode(HugepageLimit.self, from: Array("{\"pageSize\":\"\(size)\",\"limit\":1}".utf8), file: "test")
    }

    @Test func badValuesNameTheirField() {
        #expect(message { $0.memory = Memory(); $0.memory!.limit = -5 }?.hasPrefix("linux.resources.memory.limit:") == true)
        #expect(message { $0.memory = Memory(); $0.memory!.limit = 100_000_000; $0.memory!.swap = 1000 }?
            .hasPrefix("linux.resources.memory.swap:") == true)
        #expect(message { $0.memory = Memory(); $0.memory!.swappiness = 101 }?.hasPrefix("linux.resources.memory.swappiness:") == true)
        #expect(message { $0.cpu = CPU(); $0.cpu!.shares = 1 }?.hasPrefix("linux.resources.cpu.shares:") == true)
        #expect(message { $0.cpu = CPU(); $0.cpu!.quota = 10 }?.hasPrefix("linux.resources.cpu.quota:") == true)
        #expect(message { $0.cpu = CPU(); $0.cpu!.period = 5_000_000 }?.hasPrefix("linux.resources.cpu.period:") == true)
        let cpus = message { $0.cpu = CPU(); $0.cpu!.cpus = "0-3" }
        #expect(cpus?.hasPrefix("linux.resources.cpu.cpus:") == true)
        #expect(cpus?.contains("not online (2,3)") == true)
        #expect(message { $0.cpu = CPU(); $0.cpu!.cpus = "1-0" }?.contains("not a CPU list") == true)
        #expect(message { $0.cpu = CPU(); $0.cpu!.mems = "4" }?.hasPrefix("linux.resources.cpu.mems:") == true)
        #expect(message { $0.pids = Pids(limit: -7) }?.hasPrefix("linux.resources.pids.limit:") == true)
        #expect(message { $0.blockIO = BlockIO(); $0.blockIO!.weight = 5 }?.hasPrefix("linux.resources.blockIO.weight:") == true)
        #expect(message { $0.hugepageLimits = [hugepage("3MB")] }?
            .hasPrefix("linux.resources.hugepageLimits[0].pageSize:") == true)
        #expect(message { $0.devices = [DeviceCgroup(allow: true, type: "x")] }?
            .hasPrefix("linux.resources.devices[0].type:") == true)
        #expect(message { $0.devices = [DeviceCgroup(allow: false), DeviceCgroup(allow: true, type: "c", major: -3)] }?
            .hasPrefix("linux.resources.devices[1].major:") == true)
        #expect(message { $0.devices = [DeviceCgroup(allow: true, type: "c", major: 1, minor: 3, access: "rwx")] }?
            .hasPrefix("linux.resources.devices[0].access:") == true)
        #expect(message { $0.unified = ["../memory.max": "1"] }?.hasPrefix("linux.resources.unified[\"../memory.max\"]:") == true)
        #expect(message { $0.unified = ["cgroup.procs": "1"] }?.contains("managed by swiftbox") == true)
    }

    @Test func goodValuesPass() {
        #expect(message {
            $0.memory = Memory(); $0.memory!.limit = 1 << 26; $0.memory!.swap = -1
            $0.cpu = CPU(); $0.cpu!.shares = 1024; $0.cpu!.quota = 20000; $0.cpu!.period = 100_000; $0.cpu!.cpus = "0-1"
            $0.pids = Pids(limit: -1)
            $0.devices = [DeviceCgroup(allow: false, access: "rwm"), DeviceCgroup(allow: true, type: "c", major: 1, minor: 3, access: "rw")]
            $0.hugepageLimits = [hugepage("2MB")]
        } == nil)
    }

    @Test func hugepageSizesAreNamedAsTheKernelDoes() {
        #expect(Hugepages.name(kb: 2048) == "2MB")
        #expect(Hugepages.name(kb: 1_048_576) == "1GB")
        #expect(Hugepages.name(kb: 64) == "64KB")
        #expect(CPUList.format([0, 1, 2, 3, 7, 9, 10]) == "0-3,7,9-10")
    }

    @Test func updateFlagsParseAsRunc() throws {
        #expect(try ResourceUpdate.bytes("512m", flag: "--memory") == 512 << 20)
        #expect(try ResourceUpdate.bytes("1G", flag: "--memory") == 1 << 30)
        #expect(try ResourceUpdate.bytes("1.5k", flag: "--memory") == 1536)
        #expect(try ResourceUpdate.bytes("-1", flag: "--memory") == -1)
        #expect(throws: SwiftBoxError.self) { try ResourceUpdate.bytes("12q", flag: "--memory") }
        #expect(try ResourceUpdate.seconds("250ms", flag: "--interval") == 0.25)
        #expect(try ResourceUpdate.seconds("2", flag: "--interval") == 2)
        var u = ResourceUpdate()
        u.memory = "64m"; u.cpuQuota = 5000; u.pidsLimit = 10
        var base = Resources()
        base.cpu = CPU(); base.cpu!.period = 50_000
        let r = try u.resources(over: base)
        #expect(r.memory?.limit == 64 << 20)
        #expect(r.cpu?.quota == 5000 && r.cpu?.period == 50_000)
        #expect(r.pids?.limit == 10)
        #expect(r.blockIO == nil)
    }

    @Test func deviceRulesFollowV1Semantics() throws {
        let rules = try [DeviceCgroup(allow: false, access: "rwm"),
                         DeviceCgroup(allow: true, type: "c", major: 1, minor: 3, access: "rwm"),
                         DeviceCgroup(allow: true, type: "c", major: 1, minor: 11, access: "m"),
                         DeviceCgroup(allow: false, type: "c", major: 1, minor: 3, access: "w")]
            .enumerated().map { try DeviceRule($0.element, field: "d[\($0.offset)]") }
        #expect(rules[0].v1Line == "a *:* rwm")
        #expect(rules[1].v1Line == "c 1:3 rwm")
        #expect(DeviceFilter.allows(rules, type: "c", major: 1, minor: 3, access: "r"))
        #expect(!DeviceFilter.allows(rules, type: "c", major: 1, minor: 3, access: "w"))
        #expect(DeviceFilter.allows(rules, type: "c", major: 1, minor: 11, access: "m"))
        #expect(!DeviceFilter.allows(rules, type: "c", major: 1, minor: 11, access: "r"))
        #expect(!DeviceFilter.allows(rules, type: "b", major: 8, minor: 0, access: "r"))
        // Without a deny-all rule the default stays "allow", as on v1.
        let onlyDeny = [try DeviceRule(DeviceCgroup(allow: false, type: "c", major: 1, minor: 1), field: "d")]
        #expect(DeviceFilter.allows(onlyDeny, type: "c", major: 1, minor: 5, access: "rw"))
        #expect(!DeviceFilter.allows(onlyDeny, type: "c", major: 1, minor: 1, access: "r"))
    }
}

@Suite struct CgroupConversionTests {
    @Test func sharesBecomeWeightOnCrunsCurve() {
        #expect(CgroupConversion.cpuWeight(fromShares: 2) == 1)
        #expect(CgroupConversion.cpuWeight(fromShares: 1024) == 100)
        #expect(CgroupConversion.cpuWeight(fromShares: 262_144) == 10_000)
        #expect(CgroupConversion.cpuWeight(fromShares: 0) == 0)
        let mid = CgroupConversion.cpuWeight(fromShares: 512)
        #expect(mid > 1 && mid < 100)
    }

    @Test func blkioWeightBecomesIoWeight() {
        #expect(CgroupConversion.ioWeight(fromBlkioWeight: 10) == 1)
        #expect(CgroupConversion.ioWeight(fromBlkioWeight: 1000) == 10_000)
    }

    @Test func swapIsMemoryPlusSwapInTheSpec() throws {
        #expect(try CgroupConversion.swapMax(swap: 300, limit: 100) == "200")
        #expect(try CgroupConversion.swapMax(swap: 100, limit: 100) == "0")
        #expect(try CgroupConversion.swapMax(swap: -1, limit: 100) == "max")
        #expect(try CgroupConversion.swapMax(swap: 0, limit: -1) == "max")
        #expect(try CgroupConversion.swapMax(swap: 0, limit: 100) == nil)
        #expect(throws: SwiftBoxError.self) { try CgroupConversion.swapMax(swap: 50, limit: 100) }
        #expect(throws: SwiftBoxError.self) { try CgroupConversion.swapMax(swap: 50, limit: 0) }
    }
}
