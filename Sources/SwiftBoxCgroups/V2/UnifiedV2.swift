import SwiftBoxLinux
import SwiftBoxOCI

/// `linux.resources.unified`: cgroup v2 interface files written as given,
/// after the typed fields so they can refine them. A key must name a file
/// that exists in the container's cgroup.
enum UnifiedV2 {
    static func apply(_ unified: [String: String], dir: String, writer w: CgroupWriter) throws {
        for key in unified.keys.sorted() {
            let field = "linux.resources.unified[\"\(key)\"]"
            if !FS.exists(dir + "/" + key) {
                let controller = String(key.split(separator: ".").first ?? "")
                throw SwiftBoxError("\(field): \(dir)/\(key) does not exist; \(controller == "cgroup" ? "no such cgroup core file" : "unknown file, or the \(controller) controller is not available in this cgroup")")
            }
            try w.write(dir, key, unified[key]!, field: field)
        }
    }
}
