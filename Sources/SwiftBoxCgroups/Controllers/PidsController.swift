import SwiftBoxLinux
import SwiftBoxOCI

/// `linux.resources.pids.limit`: pids.max, the same file on v1 and v2.
enum PidsController {
    static func apply(_ p: Pids, dir: String, writer w: CgroupWriter) throws {
        // runc: 0 leaves the limit alone, a negative value lifts it.
        if p.limit == 0 { return }
        try w.write(dir, "pids.max", p.limit > 0 ? "\(p.limit)" : "max", field: "linux.resources.pids.limit")
    }

    static func stats(_ dir: String) -> CgroupStats.Pids {
        CgroupStats.Pids(current: nz(CgroupFiles.number(dir, "pids.current")),
                         limit: nz(CgroupFiles.number(dir, "pids.max")))
    }
}
