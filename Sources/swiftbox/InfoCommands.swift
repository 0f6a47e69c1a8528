import ArgumentParser
import Glibc
import SwiftBox

struct SpecCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "spec", abstract: "Write a default config.json.")
    @Option(name: [.customShort("b"), .long], help: "The bundle folder to write config.json into.") var bundle: String = "."
    @Flag(name: .long, help: "Accepted for runc compatibility; swiftbox runs as root.") var rootless = false
    @Option(name: .long, help: "Write a bundle for this stored image: its rootfs unpacked and its defaults in config.json.") var image: String?
    @OptionGroup var store: StoreOption
    func run() throws {
        let path = FS.absolute(bundle) + "/config.json"
        if FS.exists(path) { throw SwiftBoxError("\(path) already exists; remove it first") }
        if let image {
            let s = try store.open()
            try s.writeBundle(for: try s.image(named: image), at: bundle, base: Spec.defaultSpec())
            return
        }
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
