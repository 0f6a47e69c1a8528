import SwiftBoxLinux
import SwiftBoxOCI

/// `linux.resources.devices` on the v1 devices controller: each rule, in
/// config order, is one line to devices.allow or devices.deny.
enum DevicesV1 {
    static func apply(_ rules: [DeviceRule], dir: String, writer w: CgroupWriter) throws {
        for (i, rule) in rules.enumerated() {
            try w.write(dir, rule.allow ? "devices.allow" : "devices.deny", rule.v1Line,
                        field: "linux.resources.devices[\(i)]", undoable: false)
        }
    }
}
