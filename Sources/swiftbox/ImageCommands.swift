import ArgumentParser
import Glibc
import SwiftBox

/// `swiftbox image …`: load, list, inspect, remove, prune and unpack images.
struct ImageCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "image", abstract: "Manage the image store (OCI layouts and archives, Docker archives).",
        subcommands: [ImageLoad.self, ImageList.self, ImageInspect.self, ImageRemove.self, ImagePrune.self,
                      ImageUnpack.self, ImageMount.self, ImageUnmount.self])
}

/// The `--store` option every image command takes.
struct StoreOption: ParsableArguments {
    @Option(name: .long, help: "The image store directory ($SWIFTBOX_STORE, default /var/lib/swiftbox).")
    var store: String?

    func open() throws -> ImageStore {
        if let store { return try ImageStore(root: store) }
        if let env = getenv("SWIFTBOX_STORE") { return try ImageStore(root: String(cString: env)) }
        return try ImageStore()
    }
}

struct ImageLoad: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "load", abstract: "Load an image from an OCI layout directory, an OCI archive or a Docker archive.")
    @OptionGroup var store: StoreOption
    @Option(name: .long, help: "The name to give the image (default: the names the source gives it).") var name: String?
    @Option(name: .long, help: "Which image of the source to load (its ref name or repo tag).") var ref: String?
    @Option(name: .long, help: "The platform to load, OS/ARCH[/VARIANT].") var platform: String = "linux/amd64"
    @Flag(name: [.customShort("q"), .long], help: "Print nothing but the image id.") var quiet = false
    @Argument(help: "The layout directory or archive file.") var path: String

    func run() throws {
        let s = try store.open()
        let onTerminal = isatty(2) != 0 && !quiet
        var options = LoadOptions(ref: ref, platform: try Platform.parse(platform))
        if onTerminal { options.progress = showProgress }
        let image = try s.load(path: path, name: name, options: options)
        if onTerminal { _ = "\r\u{1B}[K".withCString { write(2, $0, strlen($0)) } }
        if quiet { print(image.id) } else {
            print("loaded \(image.names.isEmpty ? "(unnamed)" : image.names.joined(separator: ", ")) \(image.id) (\(image.layers.count) layers, \(fmt(Double(image.size) / 1048576)) MiB)")
        }
    }
}

struct ImageList: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "ls", abstract: "List the images in the store.")
    @OptionGroup var store: StoreOption
    @Option(name: [.customShort("f"), .long], help: "table or json.") var format: String = "table"
    func run() throws {
        let all = try store.open().images()
        switch format {
        case "json": print(String(decoding: try JSONDocument.encode(all, pretty: true), as: UTF8.self))
        case "table":
            var rows = [["NAME", "ID", "PLATFORM", "LAYERS", "SIZE", "LOADED"]]
            for i in all {
                for n in i.names.isEmpty ? ["<none>"] : i.names {
                    rows.append([n, i.id.short, i.platform.description, "\(i.layers.count)",
                                 fmt(Double(i.size) / 1048576) + " MiB", i.loaded])
                }
            }
            printTable(rows)
        default: throw SwiftBoxError("--format: \"\(format)\" is not table or json")
        }
    }
}

struct ImageInspect: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "inspect", abstract: "Print an image's record and its container defaults as JSON.")
    @OptionGroup var store: StoreOption
    @Argument(help: "Image name, id or id prefix.") var image: String
    func run() throws {
        let s = try store.open()
        let i = try s.image(named: image)
        struct Inspection: Encodable { var image: Image; var defaults: ContainerDefaults }
        print(String(decoding: try JSONDocument.encode(Inspection(image: i, defaults: try s.defaults(for: i)), pretty: true),
                     as: UTF8.self))
    }
}

struct ImageRemove: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rm", abstract: "Remove images (their layers go at the next prune).")
    @OptionGroup var store: StoreOption
    @Flag(name: [.customShort("f"), .long], help: "Remove even if a container root filesystem uses it.") var force = false
    @Argument(help: "Image names, ids or id prefixes.") var images: [String]
    func run() throws {
        let s = try store.open()
        for name in images { print("removed \(try s.remove(name, force: force).id)") }
    }
}

struct ImagePrune: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "prune", abstract: "Remove layers and blobs no image or container uses.")
    @OptionGroup var store: StoreOption
    func run() throws {
        let r = try store.open().prune()
        print("removed \(r.layers.count) layers and \(r.blobs.count) blobs, \(fmt(Double(r.bytes) / 1048576)) MiB")
    }
}

struct ImageUnpack: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "unpack", abstract: "Unpack an image into a plain root filesystem directory.")
    @OptionGroup var store: StoreOption
    @Argument(help: "Image name, id or id prefix.") var image: String
    @Argument(help: "The directory to create (must not exist, or be empty).") var directory: String
    func run() throws {
        let s = try store.open()
        try s.unpack(try s.image(named: image), into: directory)
    }
}

/// Rewrites one status line on standard error.
@Sendable func showProgress(_ p: LoadProgress) {
    let mib = Double(p.bytesRead) / 1048576, total = Double(p.bytesTotal) / 1048576
    let rate = p.elapsed > 0 ? mib / p.elapsed : 0
    let line = "\r\u{1B}[Klayers \(p.layersDone)/\(p.layerCount)  \(fmt(mib))/\(fmt(total)) MiB  \(fmt(rate)) MiB/s"
    _ = line.withCString { write(2, $0, strlen($0)) }
}

/// A number with one decimal.
func fmt(_ x: Double) -> String {
    let tenths = Int((x * 10).rounded())
    return "\(tenths / 10).\(abs(tenths % 10))"
}

struct ImageMount: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "mount",
        abstract: "Prepare a container root filesystem of an image in DIR/rootfs (overlay on the shared layers).")
    @OptionGroup var store: StoreOption
    @Option(name: .long, help: "automatic, overlay or copy.") var mode: String = "automatic"
    @Argument(help: "Image name, id or id prefix.") var image: String
    @Argument(help: "The container folder (DIR/rootfs is the root filesystem).") var directory: String
    func run() throws {
        guard let m = RootfsMode(rawValue: mode) else { throw SwiftBoxError("--mode: \"\(mode)\" is not automatic, overlay or copy") }
        let s = try store.open()
        print(try s.prepareRootfs(for: try s.image(named: image), at: directory, mode: m))
    }
}

struct ImageUnmount: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "unmount", abstract: "Release a root filesystem made by `image mount`.")
    @OptionGroup var store: StoreOption
    @Argument(help: "The container folder given to `image mount`.") var directory: String
    func run() throws { try store.open().releaseRootfs(at: directory) }
}
