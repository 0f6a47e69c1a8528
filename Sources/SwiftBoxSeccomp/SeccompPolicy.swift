import SwiftBoxLinux
import SwiftBoxOCI

/// A `linux.seccomp` section, checked and parsed: every action, operator,
/// flag and architecture is known, every argument index is in range.
///
/// Building one is pure Swift (no libseccomp), so it is cheap enough for
/// both the parent's check and init's cached path.
public struct SeccompPolicy: Equatable, Sendable {
    /// One argument comparison of a rule.
    public struct Condition: Hashable, Sendable {
        /// Which argument (0…5).
        public var index: UInt32
        public var op: SeccompOperator
        /// The value compared against (the mask for `maskedEqual`).
        public var value: UInt64
        /// The second operand (the expected masked value for `maskedEqual`).
        public var valueTwo: UInt64
    }

    /// One `syscalls[]` entry.
    public struct Rule: Equatable, Sendable {
        public var names: [String]
        public var action: SeccompAction
        public var conditions: [Condition]
        /// Where it came from, for messages (`syscalls[4]`).
        public var field: String

        /// The argument chains libseccomp gets for this rule. libseccomp
        /// refuses two comparisons of the same argument in one rule; like runc
        /// and crun, such a rule becomes one rule per comparison (they match
        /// if any one does), which is what profiles written for them expect.
        public var chains: [[Condition]] {
            let indices = conditions.map(\.index)
            if Set(indices).count == indices.count { return [conditions] }
            return conditions.map { [$0] }
        }
    }

    public var defaultAction: SeccompAction
    /// Architectures besides the native one, as OCI names.
    public var architectures: [String]
    public var flags: SeccompFlags
    public var rules: [Rule]

    /// Highest valid argument index: system calls have six arguments.
    static let maxArgumentIndex: UInt = 5

    /// Checks and parses `seccomp`. Errors name the field inside
    /// `linux.seccomp` and say what was expected.
    public init(_ seccomp: Seccomp) throws {
        defaultAction = try SeccompAction(name: seccomp.defaultAction, errnoRet: seccomp.defaultErrnoRet,
                                          actionField: "defaultAction", errnoField: "defaultErrnoRet")
        if let path = seccomp.listenerPath, !path.isEmpty {
            throw SwiftBoxError("listenerPath: seccomp user notification (SCMP_ACT_NOTIFY with a listener at \(path)) "
                + "is not supported by swiftbox; remove listenerPath and listenerMetadata")
        }
        if let meta = seccomp.listenerMetadata, !meta.isEmpty {
            throw SwiftBoxError("listenerMetadata: only meaningful with listenerPath, which swiftbox does not support")
        }
        var archs: [String] = []
        for (i, arch) in (seccomp.architectures ?? []).enumerated() {
            guard SeccompArchitecture.names.contains(arch) else {
                throw SwiftBoxError("architectures[\(i)]: unknown architecture \"\(arch)\"; use one of "
                    + SeccompArchitecture.names.joined(separator: ", "))
            }
            if !archs.contains(arch) { archs.append(arch) }
        }
        architectures = archs
        flags = try Self.parseFlags(seccomp.flags)
        var rules: [Rule] = []
        for (i, entry) in (seccomp.syscalls ?? []).enumerated() {
            let field = "syscalls[\(i)]"
            if entry.names.isEmpty { throw SwiftBoxError("\(field).names: must name at least one system call") }
            for (k, name) in entry.names.enumerated() where name.isEmpty {
                throw SwiftBoxError("\(field).names[\(k)]: empty system call name")
            }
            let action = try SeccompAction(name: entry.action, errnoRet: entry.errnoRet,
                                           actionField: field + ".action", errnoField: field + ".errnoRet")
            var conditions: [Condition] = []
            for (k, arg) in (entry.args ?? []).enumerated() {
                guard arg.index <= Self.maxArgumentIndex else {
                    throw SwiftBoxError("\(field).args[\(k)].index: \(arg.index) is out of range; system calls have arguments 0 to 5")
                }
                guard let op = SeccompOperator(name: arg.op) else {
                    throw SwiftBoxError("\(field).args[\(k)].op: unknown operator \"\(arg.op)\"; use one of "
                        + SeccompOperator.allCases.map(\.name).joined(separator: ", "))
                }
                conditions.append(Condition(index: UInt32(arg.index), op: op, value: arg.value, valueTwo: arg.valueTwo ?? 0))
            }
            rules.append(Rule(names: entry.names, action: action, conditions: conditions, field: field))
        }
        self.rules = rules
        dropConflicts()
    }

    /// Parses `flags`; a cached program needs nothing else from the profile.
    static func parseFlags(_ names: [String]?) throws -> SeccompFlags {
        var flags: SeccompFlags = []
        for (i, name) in (names ?? []).enumerated() {
            guard let flag = SeccompFlags.byName.first(where: { $0.0 == name })?.1 else {
                throw SwiftBoxError("flags[\(i)]: unknown flag \"\(name)\"; use one of "
                    + SeccompFlags.byName.map(\.0).joined(separator: ", "))
            }
            if flag == .waitKillableRecv {
                throw SwiftBoxError("flags[\(i)]: \(name) only applies to a notify listener, which swiftbox does not support")
            }
            flags.insert(flag)
        }
        return flags
    }

    /// What `dropConflicts` left out, one sentence each (reported as warnings).
    public private(set) var conflicts: [String] = []

    /// A second rule for the same system call and argument chain with another
    /// action never takes effect: libseccomp keeps the first (and returns
    /// success), and runc and crun inherit that. Real profiles rely on it:
    /// podman's default lists `setns` as allowed and again as EPERM for
    /// containers without CAP_SYS_ADMIN. So the later entry is left out, as it
    /// would be anyway, and said so.
    private mutating func dropConflicts() {
        struct Key: Hashable { var name: String; var chain: [Condition] }
        var seen: [Key: (SeccompAction, String)] = [:]
        var kept: [Rule] = []
        for rule in rules {
            guard rule.action != defaultAction else { kept.append(rule); continue }
            var names = rule.names
            for chain in rule.chains {
                let sorted = chain.sorted { ($0.index, $0.op.rawValue, $0.value, $0.valueTwo) < ($1.index, $1.op.rawValue, $1.value, $1.valueTwo) }
                for name in rule.names {
                    let key = Key(name: name, chain: sorted)
                    if let (other, field) = seen[key], other != rule.action {
                        if names.contains(name) {
                            conflicts.append("\(rule.field): \(name) with these arguments already has another action in \(field); "
                                + "the first rule wins (as in libseccomp, runc and crun), this one is left out")
                            names.removeAll { $0 == name }
                        }
                    } else if seen[key] == nil {
                        seen[key] = (rule.action, rule.field)
                    }
                }
            }
            if !names.isEmpty {
                var r = rule
                r.names = names
                kept.append(r)
            }
        }
        rules = kept
    }

    /// Every distinct system-call name the rules mention, in first-seen order.
    public var syscallNames: [String] {
        var seen = Set<String>(), out: [String] = []
        for rule in rules { for n in rule.names where seen.insert(n).inserted { out.append(n) } }
        return out
    }
}
