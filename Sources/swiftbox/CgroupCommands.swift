import ArgumentParser
import Glibc
import SwiftBox

/// Opens the cgroup of a container that must be in one of `allowed` states.
private func liveCgroup(_ id: String, action: String, allowed: [ContainerStatus]) throws -> ContainerCgroup {
    CgroupWarnings.handler = { RuntimeLog.warn($0) }
    let c = Container(id: id, root: GlobalOptions.stateRoot)
    let r = try c.record()
    let status = GlobalOptions.stateRoot.status(of: r)
    guard allowed.contains(status) else {
        throw SwiftBoxError("cannot \(action) container \"\(id)\": it is \(status.rawValue)")
    }
    return try c.cgroup(r)
}

/// Writes one JSON line to stdout and flushes it (a reader follows the stream).
private func emit<T: Encodable>(_ value: T) throws {
    var line = try JSONDocument.encode(value)
    line.append(UInt8(ascii: "\n"))
    try FS.writeAll(fd: 1, line, what: "stdout")
}

struct UpdateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "update", abstract: "Change the resource limits of a running container.",
        discussion: "Flags as runc's. -r reads linux.resources JSON (\"-\" for stdin); flags given too override it.")
    @Option(name: [.customShort("r"), .long], help: "A JSON file with linux.resources (\"-\": stdin).") var resources: String?
    @Option(name: .long, help: "Block I/O weight (10-1000).") var blkioWeight: UInt16?
    @Option(name: .long, help: "CFS period in µs.") var cpuPeriod: UInt64?
    @Option(name: .long, parsing: .unconditional, help: "CFS quota in µs per period (-1: none).") var cpuQuota: Int64?
    @Option(name: .long, help: "CFS burst in µs.") var cpuBurst: UInt64?
    @Option(name: [.customLong("cpu-share"), .customLong("cpu-shares")], help: "CPU shares (relative weight).") var cpuShare: UInt64?
    @Option(name: .long, help: "Realtime period in µs.") var cpuRtPeriod: UInt64?
    @Option(name: .long, parsing: .unconditional, help: "Realtime runtime in µs.") var cpuRtRuntime: Int64?
    @Option(name: .long, help: "CPUs to run on (0-3,7).") var cpusetCpus: String?
    @Option(name: .long, help: "Memory nodes to use (0-1).") var cpusetMems: String?
    @Option(name: .long, parsing: .unconditional, help: "Kernel memory limit (v1 only; ignored where the kernel lacks it).") var kernelMemory: String?
    @Option(name: .long, parsing: .unconditional, help: "Kernel TCP buffer limit (v1 only).") var kernelMemoryTcp: String?
    @Option(name: [.customShort("m"), .long], parsing: .unconditional, help: "Memory limit (512m, 1g, -1).") var memory: String?
    @Option(name: .long, parsing: .unconditional, help: "Memory soft limit.") var memoryReservation: String?
    @Option(name: .long, parsing: .unconditional, help: "Memory plus swap limit (-1: unlimited swap).") var memorySwap: String?
    @Option(name: .long, parsing: .unconditional, help: "Maximum number of tasks (-1: none).") var pidsLimit: Int64?
    @Option(name: .long, help: "Intel RDT L3 cache schema (not supported).") var l3CacheSchema: String?
    @Option(name: .long, help: "Intel RDT memory bandwidth schema (not supported).") var memBwSchema: String?
    @Argument(help: "The container id.") var id: String

    func run() throws {
        if l3CacheSchema != nil || memBwSchema != nil {
            throw SwiftBoxError("--l3-cache-schema/--mem-bw-schema: Intel RDT is not supported by swiftbox")
        }
        let cgroup = try liveCgroup(id, action: "update", allowed: [.created, .running, .paused])
        var base = Resources()
        if let file = resources {
            let bytes = file == "-" ? try FS.readAll(fd: 0, what: "stdin") : try FS.read(file)
            base = try JSONDocument.decode(Resources.self, from: bytes, file: file == "-" ? "stdin" : file)
        }
        var u = ResourceUpdate()
        u.blkioWeight = blkioWeight; u.cpuPeriod = cpuPeriod; u.cpuQuota = cpuQuota; u.cpuBurst = cpuBurst
        u.cpuShares = cpuShare; u.cpuRtPeriod = cpuRtPeriod; u.cpuRtRuntime = cpuRtRuntime
        u.cpusetCpus = cpusetCpus; u.cpusetMems = cpusetMems; u.kernelMemory = kernelMemory
        u.kernelMemoryTCP = kernelMemoryTcp; u.memory = memory; u.memoryReservation = memoryReservation
        u.memorySwap = memorySwap; u.pidsLimit = pidsLimit
        let r = try u.resources(over: base)
        if r == Resources() { throw SwiftBoxError("update: nothing to change; give a flag such as --memory or -r resources.json") }
        try cgroup.update(resources: r)
        try Container(id: id, root: GlobalOptions.stateRoot).recordResources(r)
    }
}

struct EventsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "events", abstract: "Print a container's resource usage and OOM events as JSON lines.",
        discussion: "Lines as runc prints them: {\"type\":\"stats\",\"id\":…,\"data\":{…}} every interval, {\"type\":\"oom\",\"id\":…} when the OOM killer strikes. Ends when the container stops.")
    @Flag(name: .long, help: "Print the statistics once and exit.") var stats = false
    @Option(name: .long, help: "Time between statistics lines (5s, 500ms).") var interval: String = "5s"
    @Argument(help: "The container id.") var id: String

    func run() throws {
        let every = try ResourceUpdate.seconds(interval, flag: "--interval")
        let container = Container(id: id, root: GlobalOptions.stateRoot)
        let record = try container.record()
        let cgroup = try container.cgroup(record)
        guard cgroup.exists else { throw SwiftBoxError("cannot read events of container \"\(id)\": its cgroup \(cgroup.path) does not exist") }
        if stats {
            try emit(CgroupEvent(type: "stats", id: id, data: cgroup.stats()))
            return
        }
        // OOM kills are polled more often than statistics are printed.
        var kills = cgroup.oomKillCount()
        let tick = min(every, 0.1)
        var nextStats = 0.0
        var elapsed = 0.0
        while true {
            let now = cgroup.oomKillCount()
            if now > kills {
                for _ in kills..<now { try emit(CgroupEvent(type: "oom", id: id)) }
                kills = now
            }
            if GlobalOptions.stateRoot.status(of: record) == .stopped { return }
            if elapsed >= nextStats {
                try emit(CgroupEvent(type: "stats", id: id, data: cgroup.stats()))
                nextStats = elapsed + every
            }
            usleep(UInt32(tick * 1_000_000))
            elapsed += tick
        }
    }
}

struct PauseCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "pause", abstract: "Freeze every process of a container.")
    @Argument(help: "The container id.") var id: String
    func run() throws {
        try liveCgroup(id, action: "pause", allowed: [.running]).freeze()
    }
}

struct ResumeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "resume", abstract: "Thaw a paused container.")
    @Argument(help: "The container id.") var id: String
    func run() throws {
        try liveCgroup(id, action: "resume", allowed: [.paused]).thaw()
    }
}
