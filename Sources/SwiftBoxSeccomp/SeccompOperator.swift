/// How a seccomp rule compares one system-call argument: the OCI
/// `SCMP_CMP_*` names and libseccomp's `enum scmp_compare` values.
public enum SeccompOperator: UInt32, CaseIterable, Sendable {
    case notEqual = 1
    case lessThan = 2
    case lessOrEqual = 3
    case equal = 4
    case greaterOrEqual = 5
    case greaterThan = 6
    /// `(argument & value) == valueTwo`.
    case maskedEqual = 7

    /// The OCI name (`SCMP_CMP_EQ`).
    public var name: String {
        switch self {
        case .notEqual: return "SCMP_CMP_NE"
        case .lessThan: return "SCMP_CMP_LT"
        case .lessOrEqual: return "SCMP_CMP_LE"
        case .equal: return "SCMP_CMP_EQ"
        case .greaterOrEqual: return "SCMP_CMP_GE"
        case .greaterThan: return "SCMP_CMP_GT"
        case .maskedEqual: return "SCMP_CMP_MASKED_EQ"
        }
    }

    /// Parses an OCI operator name, or returns nil.
    public init?(name: String) {
        guard let op = Self.allCases.first(where: { $0.name == name }) else { return nil }
        self = op
    }
}

/// The `flags` of `linux.seccomp`: `SECCOMP_FILTER_FLAG_*` bits for seccomp(2).
public struct SeccompFlags: OptionSet, Hashable, Sendable {
    public let rawValue: UInt32
    public init(rawValue: UInt32) { self.rawValue = rawValue }

    /// Apply the filter to every thread of the process.
    public static let tsync = SeccompFlags(rawValue: 1)
    /// Log every action except ALLOW.
    public static let log = SeccompFlags(rawValue: 2)
    /// Keep speculative store bypass enabled (no SSB mitigation).
    public static let specAllow = SeccompFlags(rawValue: 4)
    /// Wait killably for a notify supervisor's reply (needs a listener).
    public static let waitKillableRecv = SeccompFlags(rawValue: 32)

    /// Every flag name the OCI runtime-spec defines, with its bit.
    public static let byName: [(String, SeccompFlags)] = [
        ("SECCOMP_FILTER_FLAG_TSYNC", .tsync), ("SECCOMP_FILTER_FLAG_LOG", .log),
        ("SECCOMP_FILTER_FLAG_SPEC_ALLOW", .specAllow),
        ("SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV", .waitKillableRecv),
    ]
}
