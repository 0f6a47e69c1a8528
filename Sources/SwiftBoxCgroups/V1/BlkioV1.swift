import SwiftBoxLinux
import SwiftBoxOCI

/// `linux.resources.blockIO` on the v1 blkio controller. Weights need a
/// proportional scheduler: CFQ's blkio.weight (gone since Linux 5.0) or BFQ's
/// blkio.bfq.weight; without one the weights are skipped with a warning.
enum BlkioV1 {
    static let field = "linux.resources.blockIO"

    static func apply(_ b: BlockIO, dir: String, writer w: CgroupWriter) throws {
        let weightFile = ["blkio.weight", "blkio.bfq.weight"].first { FS.exists(dir + "/" + $0) }
        if let weight = b.weight, weight != 0 {
            if let file = weightFile {
                try w.write(dir, file, "\(weight)", field: "\(field).weight")
            } else {
                w.warn("\(field).weight ignored: no proportional I/O scheduler here (neither blkio.weight nor blkio.bfq.weight exists)")
            }
        }
        if let leaf = b.leafWeight, leaf != 0 {
            if FS.exists(dir + "/blkio.leaf_weight") {
                try w.write(dir, "blkio.leaf_weight", "\(leaf)", field: "\(field).leafWeight")
            } else {
                w.warn("\(field).leafWeight ignored: this kernel has no blkio.leaf_weight (CFQ was removed in Linux 5.0)")
            }
        }
        let deviceWeightFile = ["blkio.weight_device", "blkio.bfq.weight_device"].first { FS.exists(dir + "/" + $0) }
        for (i, d) in (b.weightDevice ?? []).enumerated() {
            if let weight = d.weight, weight != 0 {
                if let file = deviceWeightFile {
                    try w.write(dir, file, "\(d.major):\(d.minor) \(weight)", field: "\(field).weightDevice[\(i)].weight",
                                restore: "\(d.major):\(d.minor) 0")
                } else {
                    w.warn("\(field).weightDevice[\(i)] ignored: no per-device weight file (blkio.weight_device or blkio.bfq.weight_device)")
                }
            }
            if let leaf = d.leafWeight, leaf != 0 {
                if FS.exists(dir + "/blkio.leaf_weight_device") {
                    try w.write(dir, "blkio.leaf_weight_device", "\(d.major):\(d.minor) \(leaf)",
                                field: "\(field).weightDevice[\(i)].leafWeight", restore: "\(d.major):\(d.minor) 0")
                } else {
                    w.warn("\(field).weightDevice[\(i)].leafWeight ignored: this kernel has no blkio.leaf_weight_device")
                }
            }
        }
        for (name, file, list) in [("throttleReadBpsDevice", "blkio.throttle.read_bps_device", b.throttleReadBpsDevice),
                                   ("throttleWriteBpsDevice", "blkio.throttle.write_bps_device", b.throttleWriteBpsDevice),
                                   ("throttleReadIOPSDevice", "blkio.throttle.read_iops_device", b.throttleReadIOPSDevice),
                                   ("throttleWriteIOPSDevice", "blkio.throttle.write_iops_device", b.throttleWriteIOPSDevice)] {
            for (i, d) in (list ?? []).enumerated() {
                if !FS.exists(dir + "/" + file) {
                    w.warn("\(field).\(name) ignored: this kernel has no \(file) (CONFIG_BLK_DEV_THROTTLING)")
                    break
                }
                let previous = previousRate(dir, file, major: d.major, minor: d.minor)
                try w.write(dir, file, "\(d.major):\(d.minor) \(d.rate)", field: "\(field).\(name)[\(i)]",
                            restore: "\(d.major):\(d.minor) \(previous)")
            }
        }
    }

    /// The rate a throttle file lists for a device (0: none).
    static func previousRate(_ dir: String, _ file: String, major: Int64, minor: Int64) -> UInt64 {
        for line in (CgroupFiles.read(dir, file) ?? "").split(separator: "\n") {
            let parts = line.split(separator: " ")
            if parts.count == 2, parts[0] == "\(major):\(minor)" { return UInt64(parts[1]) ?? 0 }
        }
        return 0
    }

    /// `8:0 Read 4096` lines of blkio.throttle.* files (Total lines dropped).
    static func entries(_ dir: String, _ file: String) -> [CgroupStats.BlkioEntry] {
        var out: [CgroupStats.BlkioEntry] = []
        for line in (CgroupFiles.read(dir, file) ?? "").split(separator: "\n") {
            let parts = line.split(separator: " ")
            guard parts.count == 3 else { continue }
            let mm = parts[0].split(separator: ":")
            guard mm.count == 2, let major = UInt64(mm[0]), let minor = UInt64(mm[1]), let v = UInt64(parts[2]) else { continue }
            out.append(CgroupStats.BlkioEntry(major: major, minor: minor, op: String(parts[1]), value: v))
        }
        return out
    }

    static func stats(_ dir: String) -> CgroupStats.Blkio {
        let bytes = entries(dir, "blkio.throttle.io_service_bytes_recursive")
        let ios = entries(dir, "blkio.throttle.io_serviced_recursive")
        return CgroupStats.Blkio(ioServiceBytesRecursive: bytes.isEmpty ? nil : bytes,
                                 ioServicedRecursive: ios.isEmpty ? nil : ios)
    }
}
