import SwiftBoxLinux
import SwiftBoxOCI

/// `linux.resources.network` on the v1 net_cls (classID) and net_prio
/// (priorities) controllers. cgroup v2 has neither: there, traffic is
/// classified by cgroup path (e.g. nftables `socket cgroupv2`).
enum NetworkV1 {
    static let field = "linux.resources.network"

    static func apply(_ n: Network, netCls: String?, netPrio: String?, writer w: CgroupWriter) throws {
        if let id = n.classID {
            if let dir = netCls {
                try w.write(dir, "net_cls.classid", "\(id)", field: "\(field).classID")
            } else {
                w.warn("\(field).classID ignored: the net_cls controller is not mounted on this host")
            }
        }
        for (i, p) in (n.priorities ?? []).enumerated() {
            if let dir = netPrio {
                try w.write(dir, "net_prio.ifpriomap", "\(p.name) \(p.priority)", field: "\(field).priorities[\(i)]",
                            restore: "\(p.name) 0")
            } else {
                w.warn("\(field).priorities ignored: the net_prio controller is not mounted on this host")
                break
            }
        }
    }
}
