import SwiftBoxLinux
import SwiftBoxOCI

/// `linux.resources.blockIO` on the v2 io controller: weights go to
/// io.bfq.weight when BFQ is there (same 1–1000 scale), otherwise io.weight
/// (converted to 1–10000 as crun does); throttles become io.max lines.
enum IoV2 {
    static let field = "linux.resources.blockIO"

    /// blkio weight (10–1000) → io.weight (1–10000).
    static func ioWeight(_ w: UInt16) -> UInt64 { 1 + (UInt64(w) - 10) * 9999 / 990 }

    static func apply(_ b: BlockIO, dir: String, writer w: CgroupWriter) throws {
        let bfq = FS.exists(dir + "/io.bfq.weight")
        let plain = FS.exists(dir + "/io.weight")
        if let weight = b.weight, weight != 0 {
            if bfq {
                try w.write(dir, "io.bfq.weight", "\(weight)", field: "\(field).weight")
            } else if plain {
                try w.write(dir, "io.weight", "default \(ioWeight(weight))", field: "\(field).weight")
            } else {
                w.warn("\(field).weight ignored: no io.weight or io.bfq.weight here (io controller off, or no proportional scheduler)")
            }
        }
        if let leaf = b.leafWeight, leaf != 0 {
            w.warn("\(field).leafWeight ignored: cgroup v2 has no leaf weights")
        }
        for (i, d) in (b.weightDevice ?? []).enumerated() {
            guard let weight = d.weight, weight != 0 else { continue }
            if bfq {
                try w.write(dir, "io.bfq.weight", "\(d.major):\(d.minor) \(weight)", field: "\(field).weightDevice[\(i)]",
                            restore: "\(d.major):\(d.minor) default")
            } else if plain {
                try w.write(dir, "io.weight", "\(d.major):\(d.minor) \(ioWeight(weight))", field: "\(field).weightDevice[\(i)]",
                            restore: "\(d.major):\(d.minor) default")
            } else {
                w.warn("\(field).weightDevice[\(i)] ignored: no io.weight or io.bfq.weight here")
            }
        }
        // One io.max line per device with every throttle of that device.
        var lines: [String: [String]] = [:]
        var order: [String] = []
        var fields: [String: String] = [:]
        for (name, key, list) in [("throttleReadBpsDevice", "rbps", b.throttleReadBpsDevice),
                                  ("throttleWriteBpsDevice", "wbps", b.throttleWriteBpsDevice),
                                  ("throttleReadIOPSDevice", "riops", b.throttleReadIOPSDevice),
                                  ("throttleWriteIOPSDevice", "wiops", b.throttleWriteIOPSDevice)] {
            for (i, d) in (list ?? []).enumerated() {
                let dev = "\(d.major):\(d.minor)"
                if lines[dev] == nil { order.append(dev); fields[dev] = "\(field).\(name)[\(i)]" }
                lines[dev, default: []].append("\(key)=\(d.rate == 0 ? "max" : String(d.rate))")
            }
        }
        if !order.isEmpty && !FS.exists(dir + "/io.max") {
            w.warn("\(field) throttles ignored: no io.max here (the io controller is not enabled)")
            return
        }
        for dev in order {
            try w.write(dir, "io.max", "\(dev) " + lines[dev]!.joined(separator: " "), field: fields[dev]!,
                        restore: "\(dev) rbps=max wbps=max riops=max wiops=max")
        }
    }

    static func stats(_ dir: String) -> CgroupStats.Blkio {
        var bytes: [CgroupStats.BlkioEntry] = []
        var ios: [CgroupStats.BlkioEntry] = []
        for line in (CgroupFiles.read(dir, "io.stat") ?? "").split(separator: "\n") {
            let parts = line.split(separator: " ")
            guard let first = parts.first else { continue }
            let mm = first.split(separator: ":")
            guard mm.count == 2, let major = UInt64(mm[0]), let minor = UInt64(mm[1]) else { continue }
            for kv in parts.dropFirst() {
                let pair = kv.split(separator: "=")
                guard pair.count == 2, let v = UInt64(pair[1]) else { continue }
                switch pair[0] {
                case "rbytes": bytes.append(.init(major: major, minor: minor, op: "Read", value: v))
                case "wbytes": bytes.append(.init(major: major, minor: minor, op: "Write", value: v))
                case "rios": ios.append(.init(major: major, minor: minor, op: "Read", value: v))
                case "wios": ios.append(.init(major: major, minor: minor, op: "Write", value: v))
                default: break
                }
            }
        }
        return CgroupStats.Blkio(ioServiceBytesRecursive: bytes.isEmpty ? nil : bytes,
                                 ioServicedRecursive: ios.isEmpty ? nil : ios)
    }
}
