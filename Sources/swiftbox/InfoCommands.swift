import ArgumentParser
import Glibc
import SwiftBox

struct SpecCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "spec", abstract: "Write a default config.json.")
    @Option(name: [.customShort("b"), .long], help: "The bundle folder to write config.json into.") var bundle: String = "."
    @Flag(name: .long, help: "Accepted for runc compatibility; swiftbox runs as root.") var rootless = false
    func run() throws {
        let path = FS.absolute(bundle) + "/config.json"
        if FS.exists(path) { throw SwiftBoxError("\(path) already exists; remove it first") }
        var bytes = try JSONDocument.encode(Spec.defaultSpec(), pretty: true)
        bytes.append(0x0A)
        try FS.write(path, bytes, create: true)
    }
}

struct FeaturesCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "features", abstract: "Print what this runtime supports (runtime-spec features JSON).")
    func run() throws {
        print(String(decoding: try JSONDocument.encode(RuntimeFeatures.current(), pretty: true), as: UTF8.self))
    }
}
