import SwiftBoxLinux
import SwiftBoxOCI

/// The flags of `swiftbox update` (runc's), turned into a partial `Resources`
/// that sets only what was given.
public struct ResourceUpdate: Sendable {
    public var blkioWeight: UInt16?
    public var cpuPeriod: UInt64?
    public var cpuQuota: Int64?
    public var cpuBurst: UInt64?
    public var cpuShares: UInt64?
    public var cpuRtPeriod: UInt64?
    public var cpuRtRuntime: Int64?
    public var cpusetCpus: String?
    public var cpusetMems: String?
    /// Byte values accept runc's suffixes: `512m`, `1g`, `-1`.
    public var kernelMemory: String?
    public var kernelMemoryTCP: String?
    public var memory: String?
    public var memoryReservation: String?
    public var memorySwap: String?
    public var pidsLimit: Int64?

    /// An update with no flags.
    public init() {}

    /// `base` (from `-r resources.json`) with every given flag on top.
    public func resources(over base: Resources = Resources()) throws -> Resources {
        var r = base
        if let v = blkioWeight { r.blockIO = r.blockIO ?? BlockIO(); r.blockIO!.weight = v }
        var cpu = r.cpu ?? CPU()
        var touchedCPU = r.cpu != nil
        func setCPU(_ body: (inout CPU) -> Void) { body(&cpu); touchedCPU = true }
        if let v = cpuPeriod { setCPU { $0.period = v } }
        if let v = cpuQuota { setCPU { $0.quota = v } }
        if let v = cpuBurst { setCPU { $0.burst = v } }
        if let v = cpuShares { setCPU { $0.shares = v } }
        if let v = cpuRtPeriod { setCPU { $0.realtimePeriod = v } }
        if let v = cpuRtRuntime { setCPU { $0.realtimeRuntime = v } }
        if let v = cpusetCpus { setCPU { $0.cpus = v } }
        if let v = cpusetMems { setCPU { $0.mems = v } }
        if touchedCPU { r.cpu = cpu }
        var mem = r.memory ?? Memory()
        var touchedMemory = r.memory != nil
        for (flag, value, key) in [("--memory", memory, \Memory.limit), ("--memory-reservation", memoryReservation, \Memory.reservation),
                                   ("--memory-swap", memorySwap, \Memory.swap), ("--kernel-memory", kernelMemory, \Memory.kernel),
                                   ("--kernel-memory-tcp", kernelMemoryTCP, \Memory.kernelTCP)] {
            guard let value else { continue }
            mem[keyPath: key] = try Self.bytes(value, flag: flag)
            touchedMemory = true
        }
        if touchedMemory { r.memory = mem }
        if let v = pidsLimit { r.pids = Pids(limit: v) }
        return r
    }

    /// Parses a byte count as runc and docker do: a number with an optional
    /// `b`, `k`, `m`, `g`, `t` suffix (powers of 1024; `kb`/`kib` also accepted), or -1.
    public static func bytes(_ s: String, flag: String) throws -> Int64 {
        let t = s.trimmingWhitespace().lowercased()
        if t == "-1" { return -1 }
        var digits = Substring(t)
        var unit = Substring("")
        while let last = digits.last, last.isLetter { unit.insert(last, at: unit.startIndex); digits.removeLast() }
        let multipliers: [Substring: Int64] = ["": 1, "b": 1, "k": 1 << 10, "kb": 1 << 10, "kib": 1 << 10,
                                               "m": 1 << 20, "mb": 1 << 20, "mib": 1 << 20,
                                               "g": 1 << 30, "gb": 1 << 30, "gib": 1 << 30,
                                               "t": 1 << 40, "tb": 1 << 40, "tib": 1 << 40]
        guard let mult = multipliers[unit], let n = Double(digits), n >= 0, n * Double(mult) < 9.2e18 else {
            throw SwiftBoxError("\(flag): \"\(s)\" is not a size; expected bytes with an optional k, m, g or t suffix (e.g. 512m), or -1")
        }
        return Int64(n * Double(mult))
    }

    /// Parses a duration like runc's `--interval`: `5s`, `250ms`, `1m`, `1.5s`, or plain seconds.
    public static func seconds(_ s: String, flag: String) throws -> Double {
        let units: [(String, Double)] = [("ms", 0.001), ("us", 0.000_001), ("µs", 0.000_001), ("ns", 1e-9),
                                         ("s", 1), ("m", 60), ("h", 3600)]
        for (suffix, scale) in units where s.hasSuffix(suffix) {
            if let v = Double(s.dropLast(suffix.count)), v > 0 { return v * scale }
        }
        if let v = Double(s), v > 0 { return v }
        throw SwiftBoxError("\(flag): \"\(s)\" is not a duration; expected e.g. 5s, 250ms or 1m")
    }
}
