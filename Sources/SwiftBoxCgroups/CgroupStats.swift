/// A container's resource usage in the JSON shape runc's `events` prints
/// (`{"type":"stats","id":…,"data":{…}}`); zero counters runc omits are nil.
public struct CgroupStats: Codable, Equatable, Sendable {
    /// CPU time consumed and CFS throttling.
    public struct CPU: Codable, Equatable, Sendable {
        public var usage = CPUUsage()
        public var throttling: Throttling?
        public init() {}
    }

    /// CPU time in nanoseconds.
    public struct CPUUsage: Codable, Equatable, Sendable {
        public var total: UInt64?
        public var percpu: [UInt64]?
        public var kernel: UInt64 = 0
        public var user: UInt64 = 0
        public init() {}
    }

    /// CFS bandwidth throttling counters.
    public struct Throttling: Codable, Equatable, Sendable {
        public var periods: UInt64?
        public var throttledPeriods: UInt64?
        public var throttledTime: UInt64?
    }

    /// Memory use; `raw` is memory.stat plus `oom_kill`.
    public struct Memory: Codable, Equatable, Sendable {
        public var cache: UInt64?
        public var usage: MemoryEntry
        public var swap: MemoryEntry?
        public var kernel: MemoryEntry?
        public var kernelTCP: MemoryEntry?
        public var raw: [String: UInt64]?
    }

    /// One memory counter: limit, usage, peak and how often the limit was hit.
    public struct MemoryEntry: Codable, Equatable, Sendable {
        public var limit: UInt64
        public var usage: UInt64?
        public var max: UInt64?
        public var failcnt: UInt64
    }

    /// Task counts.
    public struct Pids: Codable, Equatable, Sendable {
        public var current: UInt64?
        public var limit: UInt64?
    }

    /// Block I/O per device.
    public struct Blkio: Codable, Equatable, Sendable {
        public var ioServiceBytesRecursive: [BlkioEntry]?
        public var ioServicedRecursive: [BlkioEntry]?
    }

    /// One device's counter for one operation (`Read`, `Write`).
    public struct BlkioEntry: Codable, Equatable, Sendable {
        public var major: UInt64
        public var minor: UInt64
        public var op: String
        public var value: UInt64
    }

    /// Huge page use of one page size.
    public struct Hugetlb: Codable, Equatable, Sendable {
        public var usage: UInt64?
        public var max: UInt64?
        public var failcnt: UInt64
    }

    public var cpu = CPU()
    public var memory = Memory(cache: nil, usage: MemoryEntry(limit: 0, usage: nil, max: nil, failcnt: 0),
                               swap: nil, kernel: nil, kernelTCP: nil, raw: nil)
    public var pids = Pids(current: nil, limit: nil)
    public var blkio = Blkio(ioServiceBytesRecursive: nil, ioServicedRecursive: nil)
    public var hugetlb: [String: Hugetlb] = [:]

    /// Empty statistics.
    public init() {}
}

/// One line of `swiftbox events`: `{"type":"stats","id":"web","data":{…}}` or
/// `{"type":"oom","id":"web"}`, as runc prints them.
public struct CgroupEvent: Codable, Equatable, Sendable {
    /// `stats` or `oom`.
    public var type: String
    /// The container id.
    public var id: String
    /// The statistics of a `stats` event.
    public var data: CgroupStats?

    /// An event of `type` for container `id`.
    public init(type: String, id: String, data: CgroupStats? = nil) {
        self.type = type; self.id = id; self.data = data
    }
}
