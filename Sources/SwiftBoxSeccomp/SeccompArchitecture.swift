/// The architectures a seccomp filter can cover: the OCI `SCMP_ARCH_*` names.
public enum SeccompArchitecture {
    /// Every architecture name the OCI runtime-spec lists (as of libseccomp 2.6).
    public static let names = [
        "SCMP_ARCH_X86", "SCMP_ARCH_X86_64", "SCMP_ARCH_X32", "SCMP_ARCH_ARM", "SCMP_ARCH_AARCH64",
        "SCMP_ARCH_MIPS", "SCMP_ARCH_MIPS64", "SCMP_ARCH_MIPS64N32", "SCMP_ARCH_MIPSEL", "SCMP_ARCH_MIPSEL64",
        "SCMP_ARCH_MIPSEL64N32", "SCMP_ARCH_PPC", "SCMP_ARCH_PPC64", "SCMP_ARCH_PPC64LE", "SCMP_ARCH_S390",
        "SCMP_ARCH_S390X", "SCMP_ARCH_PARISC", "SCMP_ARCH_PARISC64", "SCMP_ARCH_RISCV64", "SCMP_ARCH_LOONGARCH64",
        "SCMP_ARCH_M68K", "SCMP_ARCH_SH", "SCMP_ARCH_SHEB",
    ]

    /// libseccomp's name for an OCI architecture (`SCMP_ARCH_X86_64` → `x86_64`).
    static func libseccompName(_ ociName: String) -> String {
        String(ociName.dropFirst("SCMP_ARCH_".count)).lowercased()
    }

    /// The OCI name of the architecture this binary runs on.
    public static var native: String {
        #if arch(x86_64)
        return "SCMP_ARCH_X86_64"
        #elseif arch(arm64)
        return "SCMP_ARCH_AARCH64"
        #elseif arch(s390x)
        return "SCMP_ARCH_S390X"
        #elseif arch(powerpc64le)
        return "SCMP_ARCH_PPC64LE"
        #elseif arch(riscv64)
        return "SCMP_ARCH_RISCV64"
        #elseif arch(i386)
        return "SCMP_ARCH_X86"
        #elseif arch(arm)
        return "SCMP_ARCH_ARM"
        #else
        return "SCMP_ARCH_NATIVE"
        #endif
    }
}
