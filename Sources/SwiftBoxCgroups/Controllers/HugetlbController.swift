import SwiftBoxLinux
import SwiftBoxOCI

/// `linux.resources.hugepageLimits`: hugetlb.<size>.limit_in_bytes on v1,
/// hugetlb.<size>.max on v2.
enum HugetlbController {
    static func file(_ size: String, v2: Bool) -> String {
        v2 ? "hugetlb.\(size).max" : "hugetlb.\(size).limit_in_bytes"
    }

    static func apply(_ limits: [HugepageLimit], dir: String, v2: Bool, writer w: CgroupWriter) throws {
        for (i, h) in limits.enumerated() {
            try w.write(dir, file(h.pageSize, v2: v2), "\(h.limit)", field: "linux.resources.hugepageLimits[\(i)].limit")
        }
    }

    static func stats(_ dir: String, v2: Bool) -> [String: CgroupStats.Hugetlb] {
        var out: [String: CgroupStats.Hugetlb] = [:]
        for size in Hugepages.sizes() {
            if v2 {
                guard let usage = CgroupFiles.number(dir, "hugetlb.\(size).current") else { continue }
                let events = CgroupFiles.keyValues(dir, "hugetlb.\(size).events")
                out[size] = CgroupStats.Hugetlb(usage: nz(usage), max: nil, failcnt: events["max"] ?? 0)
            } else {
                guard let usage = CgroupFiles.number(dir, "hugetlb.\(size).usage_in_bytes") else { continue }
                out[size] = CgroupStats.Hugetlb(usage: nz(usage), max: nz(CgroupFiles.number(dir, "hugetlb.\(size).max_usage_in_bytes")),
                                                failcnt: CgroupFiles.number(dir, "hugetlb.\(size).failcnt") ?? 0)
            }
        }
        return out
    }
}
