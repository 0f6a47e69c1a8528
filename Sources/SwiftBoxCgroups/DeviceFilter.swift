#if canImport(Glibc)
import Glibc
#endif
import CSwiftBox
import SwiftBoxLinux

/// cgroup v2 device control: an eBPF program of type CGROUP_DEVICE, generated
/// from the device rules and attached to the container's cgroup (cgroup v2
/// has no devices.allow file; runc and crun do the same).
///
/// Semantics follow the v1 devices controller: rules apply in order and a
/// later rule overrides an earlier one; a rule for every device with full
/// access (`a *:* rwm`) resets the default. The program checks the rules last
/// to first and returns the verdict of the first that matches; with no match
/// the default is "allow", as a v1 cgroup without a deny-all rule.
public enum DeviceFilter {
    /// One eBPF instruction (struct bpf_insn).
    struct Instruction: Equatable {
        var code: UInt8
        var dst: UInt8
        var src: UInt8
        var off: Int16
        var imm: Int32

        var bytes: [UInt8] {
            let o = UInt16(bitPattern: off), i = UInt32(bitPattern: imm)
            return [code, (src << 4) | (dst & 0xF), UInt8(o & 0xFF), UInt8(o >> 8),
                    UInt8(i & 0xFF), UInt8((i >> 8) & 0xFF), UInt8((i >> 16) & 0xFF), UInt8(i >> 24)]
        }
    }

    // Opcodes (linux/bpf.h, linux/bpf_common.h).
    static let ldxW: UInt8 = 0x61      // BPF_LDX | BPF_MEM | BPF_W
    static let and32K: UInt8 = 0x54    // BPF_ALU | BPF_AND | BPF_K
    static let rsh32K: UInt8 = 0x74    // BPF_ALU | BPF_RSH | BPF_K
    static let mov32X: UInt8 = 0xbc    // BPF_ALU | BPF_MOV | BPF_X
    static let mov64K: UInt8 = 0xb7    // BPF_ALU64 | BPF_MOV | BPF_K
    static let jne32K: UInt8 = 0x56    // BPF_JMP32 | BPF_JNE | BPF_K
    static let exit: UInt8 = 0x95      // BPF_JMP | BPF_EXIT

    /// The program for `rules` (struct bpf_cgroup_dev_ctx: access_type =
    /// access << 16 | type, then major, then minor).
    static func program(for rules: [DeviceRule]) -> [Instruction] {
        var p: [Instruction] = [
            Instruction(code: ldxW, dst: 2, src: 1, off: 0, imm: 0),
            Instruction(code: and32K, dst: 2, src: 0, off: 0, imm: 0xFFFF),   // r2 = type
            Instruction(code: ldxW, dst: 3, src: 1, off: 0, imm: 0),
            Instruction(code: rsh32K, dst: 3, src: 0, off: 0, imm: 16),       // r3 = access
            Instruction(code: ldxW, dst: 4, src: 1, off: 4, imm: 0),          // r4 = major
            Instruction(code: ldxW, dst: 5, src: 1, off: 8, imm: 0),          // r5 = minor
        ]
        for rule in rules.reversed() {
            // Conditions that skip to the next rule when they do not hold.
            var conditions: [[Instruction]] = []
            if rule.type != "a" {
                conditions.append([Instruction(code: jne32K, dst: 2, src: 0, off: 0, imm: rule.type == "b" ? 1 : 2)])
            }
            if rule.access != "rwm" {
                var bits: Int32 = 0
                if rule.access.contains("m") { bits |= 1 }
                if rule.access.contains("r") { bits |= 2 }
                if rule.access.contains("w") { bits |= 4 }
                // The request matches if it asks for nothing outside the rule's access.
                conditions.append([
                    Instruction(code: mov32X, dst: 1, src: 3, off: 0, imm: 0),
                    Instruction(code: and32K, dst: 1, src: 0, off: 0, imm: ~bits),
                    Instruction(code: jne32K, dst: 1, src: 0, off: 0, imm: 0),
                ])
            }
            if let major = rule.major {
                conditions.append([Instruction(code: jne32K, dst: 4, src: 0, off: 0, imm: Int32(bitPattern: major))])
            }
            if let minor = rule.minor {
                conditions.append([Instruction(code: jne32K, dst: 5, src: 0, off: 0, imm: Int32(bitPattern: minor))])
            }
            var block = conditions.flatMap { $0 }
            block.append(Instruction(code: mov64K, dst: 0, src: 0, off: 0, imm: rule.allow ? 1 : 0))
            block.append(Instruction(code: exit, dst: 0, src: 0, off: 0, imm: 0))
            for i in block.indices where block[i].code == jne32K {
                block[i].off = Int16(block.count - i - 1)
            }
            p += block
            // Nothing after an unconditional verdict is reachable (the verifier
            // rejects unreachable code), so stop here.
            if conditions.isEmpty { return p }
        }
        p.append(Instruction(code: mov64K, dst: 0, src: 0, off: 0, imm: 1))
        p.append(Instruction(code: exit, dst: 0, src: 0, off: 0, imm: 0))
        return p
    }

    /// Evaluates `rules` for one access the way the generated program does
    /// (for tests and `docs/resources.md` examples): `type` is `c` or `b`,
    /// `access` one of `r`, `w`, `m` or a combination.
    public static func allows(_ rules: [DeviceRule], type: Character, major: UInt32, minor: UInt32, access: String) -> Bool {
        for rule in rules.reversed() {
            if rule.type != "a" && rule.type != type { continue }
            if !access.allSatisfy({ rule.access.contains($0) }) { continue }
            if let m = rule.major, m != major { continue }
            if let m = rule.minor, m != minor { continue }
            return rule.allow
        }
        return true
    }

    /// Loads the program for `rules` and makes it the only device program of
    /// the cgroup at `directory`: the new one is attached before the old ones
    /// are detached, so there is no moment without a filter.
    public static func install(_ rules: [DeviceRule], on directory: String) throws {
        let insns = program(for: rules).flatMap { $0.bytes }
        var log = [CChar](repeating: 0, count: 65536)
        let prog = insns.withUnsafeBytes { buf in
            sb_bpf_load_device_program(buf.baseAddress, UInt32(insns.count / 8), &log, UInt32(log.count))
        }
        if prog < 0 {
            let e = errno
            let verifier = String(cString: log).trimmingWhitespace()
            throw SwiftBoxError("cannot load the device eBPF program for linux.resources.devices: \(errnoName(e)) (\(String(cString: strerror(e))))"
                + (verifier.isEmpty ? "" : "; verifier: \(verifier.replacingNewlines())"), errno: e)
        }
        defer { close(prog) }
        let cg = open(directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if cg < 0 { throw SwiftBoxError.system("open cgroup \(directory) to attach the device program") }
        defer { close(cg) }
        let old = attachedPrograms(cgroupFD: cg)
        if sb_bpf_attach_device_program(cg, prog) != 0 {
            throw SwiftBoxError.system("attach the device eBPF program to \(directory)")
        }
        for id in old {
            let fd = sb_bpf_program_fd(id)
            if fd < 0 { continue }
            _ = sb_bpf_detach_device_program(cg, fd)
            close(fd)
        }
    }

    /// The ids of the device programs attached to the cgroup at `directory`.
    public static func attachedPrograms(on directory: String) -> [UInt32] {
        let cg = open(directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if cg < 0 { return [] }
        defer { close(cg) }
        return attachedPrograms(cgroupFD: cg)
    }

    static func attachedPrograms(cgroupFD: Int32) -> [UInt32] {
        var ids = [UInt32](repeating: 0, count: 64)
        var count = UInt32(ids.count)
        if sb_bpf_query_device_programs(cgroupFD, &ids, &count) != 0 { return [] }
        return Array(ids.prefix(Int(count)))
    }
}
