/// The classic-BPF prologue swiftbox puts in front of libseccomp's program so
/// that system calls newer than the profile fail with ENOSYS instead of the
/// default action (runc's approach). A C library then falls back to an older
/// call (`clone3` → `clone`, `fchmodat2` → `fchmodat`) instead of treating a
/// refusal as final.
///
/// For each architecture of the filter the prologue knows the highest system
/// call number the profile names; a larger number is one the profile's author
/// cannot have meant to refuse, so it returns `SECCOMP_RET_ERRNO | ENOSYS`.
/// Everything else jumps to libseccomp's program, which starts by reloading
/// the architecture itself. Jumps in classic BPF are relative and forward, so
/// prepending code leaves libseccomp's program valid as it is.
enum BPFStub {
    /// `AUDIT_ARCH_X86_64`; x32 calls arrive under it with bit 30 of the number set.
    static let auditX86_64: UInt32 = 0xC000_003E
    /// libseccomp's token for x32 (not an audit value the kernel reports).
    static let x32Token: UInt32 = 0x4000_003E
    static let x32Bit: UInt32 = 0x4000_0000
    static let enosys: UInt32 = 0x0005_0000 | 38

    private enum Label: Hashable { case group(Int), x32(Int), enosys, proceed }

    private struct Instruction {
        var code: UInt16
        var k: UInt32
        var jt: Label?
        var jf: Label?
        var label: Label?
    }

    // Opcodes (linux/filter.h).
    private static let ldAbsW: UInt16 = 0x20, jeq: UInt16 = 0x15, jgt: UInt16 = 0x25, jge: UInt16 = 0x35
    private static let ja: UInt16 = 0x05, ret: UInt16 = 0x06

    /// The prologue for `maxima` (libseccomp architecture token → highest
    /// system call number the profile names there), as `struct sock_filter`s.
    static func prologue(maxima: [UInt32: UInt32]) -> [UInt8] {
        // Group by the audit value the kernel reports: x86_64 and x32 share one.
        var groups: [UInt32: (native: UInt32?, x32: UInt32?)] = [:]
        for (token, maximum) in maxima {
            if token == x32Token { groups[auditX86_64, default: (nil, nil)].x32 = maximum }
            else { groups[token, default: (nil, nil)].native = maximum }
        }
        var code: [Instruction] = [Instruction(code: ldAbsW, k: 4)] // seccomp_data.arch
        for (i, (audit, g)) in groups.sorted(by: { $0.key < $1.key }).enumerated() {
            code.append(Instruction(code: jeq, k: audit, jt: nil, jf: .group(i + 1), label: .group(i)))
            code.append(Instruction(code: ldAbsW, k: 0)) // seccomp_data.nr
            if audit == auditX86_64 {
                switch (g.native, g.x32) {
                case let (n?, x?):
                    code.append(Instruction(code: jge, k: x32Bit, jt: .x32(i), jf: nil))
                    code.append(Instruction(code: jgt, k: n, jt: .enosys, jf: .proceed))
                    code.append(Instruction(code: jgt, k: x, jt: .enosys, jf: .proceed, label: .x32(i)))
                case let (n?, nil):
                    code.append(Instruction(code: jge, k: x32Bit, jt: .proceed, jf: nil))
                    code.append(Instruction(code: jgt, k: n, jt: .enosys, jf: .proceed))
                case let (nil, x?):
                    code.append(Instruction(code: jge, k: x32Bit, jt: nil, jf: .proceed))
                    code.append(Instruction(code: jgt, k: x, jt: .enosys, jf: .proceed))
                case (nil, nil):
                    break
                }
            } else if let n = g.native {
                code.append(Instruction(code: jgt, k: n, jt: .enosys, jf: .proceed))
            }
        }
        // An architecture the prologue does not know: libseccomp decides.
        code.append(Instruction(code: ja, k: 0, jt: nil, jf: nil, label: .group(groups.count)))
        code.append(Instruction(code: ret, k: enosys, label: .enosys))
        let proceedIndex = code.count
        var position: [Label: Int] = [.proceed: proceedIndex]
        for (i, ins) in code.enumerated() { if let l = ins.label { position[l] = i } }
        var out: [UInt8] = []
        out.reserveCapacity(code.count * 8)
        for (i, ins) in code.enumerated() {
            func offset(_ target: Label?) -> UInt8 {
                guard let target, let p = position[target] else { return 0 }
                return UInt8(p - i - 1) // the prologue is a few dozen instructions: always fits
            }
            var k = ins.k
            if ins.code == ja { k = UInt32(proceedIndex - i - 1) }
            append(&out, code: ins.code, jt: offset(ins.jt), jf: offset(ins.jf), k: k)
        }
        return out
    }

    /// Appends one `struct sock_filter { u16 code; u8 jt; u8 jf; u32 k; }` in host byte order.
    private static func append(_ out: inout [UInt8], code: UInt16, jt: UInt8, jf: UInt8, k: UInt32) {
        withUnsafeBytes(of: code) { out.append(contentsOf: $0) }
        out.append(jt)
        out.append(jf)
        withUnsafeBytes(of: k) { out.append(contentsOf: $0) }
    }
}
