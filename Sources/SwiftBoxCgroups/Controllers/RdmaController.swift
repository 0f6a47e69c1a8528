import SwiftBoxLinux
import SwiftBoxOCI

/// `linux.resources.rdma`: rdma.max (`mlx5_0 hca_handle=2 hca_object=100`),
/// the same file on v1 and v2.
enum RdmaController {
    static func apply(_ rdma: [String: RdmaLimit], dir: String, writer w: CgroupWriter) throws {
        for device in rdma.keys.sorted() {
            let l = rdma[device]!
            var line = device
            if let h = l.hcaHandles { line += " hca_handle=\(h)" }
            if let o = l.hcaObjects { line += " hca_object=\(o)" }
            if line == device { continue }
            try w.write(dir, "rdma.max", line, field: "linux.resources.rdma[\"\(device)\"]", restore: "\(device) hca_handle=max hca_object=max")
        }
    }
}
