import ArgumentParser
import Glibc
import SwiftBox

/// `swiftbox seccomp …`: look at, render and check seccomp profiles.
struct SeccompCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "seccomp", abstract: "Show, render and check seccomp profiles.",
        subcommands: [SeccompDefaultCommand.self, SeccompRenderCommand.self, SeccompCheckCommand.self])
}

struct SeccompDefaultCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "default",
        abstract: "Print the built-in profile services get (Docker profile format, with capability conditions).")
    func run() throws {
        print(SeccompProfile.builtinDefaultJSON, terminator: "")
    }
}

/// Options shared by `render` and `check`: which profile, for which container.
struct SeccompTarget: ParsableArguments {
    @Argument(help: "A profile file (Docker format or OCI linux.seccomp); default: the built-in profile.")
    var profile: String?
    @Option(name: .customLong("cap"), help: "A capability the container keeps (repeat); default: swiftbox's default set.")
    var caps: [String] = []
    @Option(name: .long, help: "The architecture to render for (OCI name, e.g. SCMP_ARCH_AARCH64).")
    var arch: String = SeccompArchitecture.native

    func rendered() throws -> Seccomp {
        let source = try profile.map { try SeccompProfile.load(from: $0) } ?? SeccompProfile.builtinDefault
        for name in caps where CapabilitySet.number(name) == nil {
            throw SwiftBoxError("--cap \"\(name)\": unknown capability")
        }
        guard SeccompArchitecture.names.contains(arch) else {
            throw SwiftBoxError("--arch \"\(arch)\": unknown architecture; use one of \(SeccompArchitecture.names.joined(separator: ", "))")
        }
        return source.render(capabilities: caps.isEmpty ? Spec.defaultCapabilities : caps, architecture: arch)
    }

    /// Names the profile in messages.
    var label: String { profile ?? "built-in seccomp profile" }
}

struct SeccompRenderCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "render",
        abstract: "Print the OCI linux.seccomp section a profile gives a container with the given capabilities.")
    @OptionGroup var target: SeccompTarget
    func run() throws {
        var text = String(decoding: try JSONDocument.encode(try target.rendered(), pretty: true), as: UTF8.self)
        text += "\n"
        print(text, terminator: "")
    }
}

struct SeccompCheckCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check",
        abstract: "Check a profile and compile it with libseccomp; report its size or the first error.")
    @OptionGroup var target: SeccompTarget
    @Flag(name: .long, help: "Print libseccomp's pseudo code of the filter.") var pfc = false
    func run() throws {
        let seccomp = try target.rendered()
        do {
            for warning in try SeccompFilter.check(seccomp) { RuntimeLog.warn(warning) }
            if pfc {
                print(try SeccompFilter.pseudoCode(seccomp), terminator: "")
                return
            }
            let program = try SeccompFilter.compile(seccomp)
            print("\(target.label): ok, \(program.instructionCount) BPF instructions "
                + "(\(seccomp.syscalls?.count ?? 0) rules for \(target.arch))")
        } catch let e as SwiftBoxError {
            throw SwiftBoxError("\(target.label): \(e.message)", errno: e.errno)
        }
    }
}
