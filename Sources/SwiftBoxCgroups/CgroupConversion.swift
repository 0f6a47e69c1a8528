/// The v1 → v2 value conversions swiftbox applies (documented in docs/resources.md).
public enum CgroupConversion {
    /// cpu.shares (2–262144) → cpu.weight (1–10000), crun's curve: 2 → 1, 1024 → 100, 262144 → 10000.
    public static func cpuWeight(fromShares shares: UInt64) -> UInt64 { CpuV2.weight(fromShares: shares) }

    /// blkio weight (10–1000) → io.weight (1–10000), linear as crun.
    public static func ioWeight(fromBlkioWeight weight: UInt16) -> UInt64 { IoV2.ioWeight(weight) }

    /// The spec's memory+swap limit → memory.swap.max (swap only); nil leaves it alone.
    public static func swapMax(swap: Int64, limit: Int64) throws -> String? {
        try MemoryV2.swapMax(swap: swap, limit: limit)
    }
}
