import SwiftBoxLinux
import SwiftBoxOCI

/// `linux.resources.cpu.cpus` and `.mems`: cpuset.cpus / cpuset.mems, the same
/// files on v1 and v2.
enum CpusetController {
    static func apply(_ c: CPU, dir: String, writer w: CgroupWriter) throws {
        for (name, file, value) in [("cpus", "cpuset.cpus", c.cpus), ("mems", "cpuset.mems", c.mems)] {
            guard let value, !value.isEmpty else { continue }
            try w.write(dir, file, value, field: "linux.resources.cpu.\(name)")
        }
    }

    /// Whether any cpuset field is set.
    static func needed(_ c: CPU?) -> Bool {
        !(c?.cpus ?? "").isEmpty || !(c?.mems ?? "").isEmpty
    }

    /// A new v1 cpuset starts empty and refuses tasks: copy cpus and mems down
    /// from the nearest ancestor that has them, filling every empty level.
    static func inheritV1(_ dir: String, mount: String) throws {
        for file in ["cpuset.cpus", "cpuset.mems"] {
            var chain: [String] = []
            var d = dir
            var value = ""
            while true {
                value = CgroupFiles.read(d, file) ?? ""
                if !value.isEmpty || d == mount || d.count <= mount.count { break }
                chain.append(d)
                d = FS.dirname(d)
            }
            if value.isEmpty { continue }
            for level in chain.reversed() {
                try FS.write(level + "/" + file, value)
            }
        }
    }
}
