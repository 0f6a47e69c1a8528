import SwiftBoxLinux
import SwiftBoxOCI

/// One validated `linux.resources.devices` entry.
public struct DeviceRule: Equatable, Sendable {
    /// `a` (all), `c` (character) or `b` (block).
    public var type: Character
    /// nil is the wildcard `*`.
    public var major: UInt32?
    /// nil is the wildcard `*`.
    public var minor: UInt32?
    /// Some of `r`, `w`, `m`.
    public var access: String
    /// Whether the rule allows (or denies) the access.
    public var allow: Bool

    /// Validates a spec entry; `field` names it in errors (`linux.resources.devices[2]`).
    public init(_ d: DeviceCgroup, field: String) throws {
        let t = d.type ?? "a"
        guard t.count == 1, let c = t.first, "acb".contains(c) else {
            throw SwiftBoxError("\(field).type: \"\(t)\" is not a device type; expected a (all), c (char) or b (block)")
        }
        type = c
        major = try Self.number(d.major, field: "\(field).major", max: 0xFFF)
        minor = try Self.number(d.minor, field: "\(field).minor", max: 0xFFFFF)
        let a = d.access ?? "rwm"
        guard !a.isEmpty, a.allSatisfy({ "rwm".contains($0) }) else {
            throw SwiftBoxError("\(field).access: \"\(a)\" is not an access list; expected letters from r, w, m")
        }
        var normal = ""
        for ch in "rwm" where a.contains(ch) { normal.append(ch) }
        access = normal
        allow = d.allow
    }

    /// A rule from its parts (used for the devices every container gets).
    public init(type: Character, major: UInt32?, minor: UInt32?, access: String, allow: Bool) {
        self.type = type; self.major = major; self.minor = minor; self.access = access; self.allow = allow
    }

    static func number(_ v: Int64?, field: String, max: Int64) throws -> UInt32? {
        guard let v, v != -1 else { return nil }
        guard v >= 0, v <= max else {
            throw SwiftBoxError("\(field): \(v) is not a device number; expected 0 to \(max), or -1 for any")
        }
        return UInt32(v)
    }

    /// Whether the rule covers every device with full access.
    public var matchesEverything: Bool { type == "a" && major == nil && minor == nil && access == "rwm" }

    /// The v1 `devices.allow`/`devices.deny` line: `c 1:3 rwm`, `a *:* rwm`.
    public var v1Line: String {
        "\(type) \(major.map(String.init) ?? "*"):\(minor.map(String.init) ?? "*") \(access)"
    }

    /// The character devices every container may use, as runc allows them:
    /// null, zero, full, random, urandom, tty, console, ptmx, /dev/pts/*, tun.
    public static let defaults: [DeviceRule] = [
        (1, 3), (1, 5), (1, 7), (1, 8), (1, 9), (5, 0), (5, 1), (5, 2), (10, 200),
    ].map { DeviceRule(type: "c", major: $0.0, minor: $0.1, access: "rwm", allow: true) }
        + [DeviceRule(type: "c", major: 136, minor: nil, access: "rwm", allow: true)]
}
