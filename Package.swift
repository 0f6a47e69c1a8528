// swift-tools-version:6.0
import PackageDescription

// Layers (arrows point down only):
//   swiftbox (CLI) → SwiftBoxManager → SwiftBoxRuntime →
//   SwiftBoxImage / SwiftBoxCgroups / SwiftBoxSeccomp → SwiftBoxOCI → SwiftBoxLinux → C shims
let v5: [SwiftSetting] = [.swiftLanguageMode(.v5)]

let package = Package(
    name: "swiftbox",
    products: [
        .executable(name: "swiftbox", targets: ["swiftbox"]),
        .library(name: "SwiftBox", targets: ["SwiftBox"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
    ],
    targets: [
        .target(name: "CSwiftBox"),
        .systemLibrary(name: "CSeccomp", pkgConfig: "libseccomp",
                       providers: [.apt(["libseccomp-dev"])]),
        // libarchive and its decompressors are linked statically, so only the
        // objects swiftbox uses are in it (see Sources/CArchive/carchive.c).
        .target(name: "CArchive",
                linkerSettings: ["libarchive.a", "libzstd.a", "liblzma.a", "libbz2.a", "libz.a"]
                    .map { .linkedLibrary(":" + $0) } + [.linkedLibrary("nettle")]),
        .target(name: "SwiftBoxLinux", dependencies: ["CSwiftBox"], swiftSettings: v5),
        .target(name: "SwiftBoxOCI", dependencies: ["SwiftBoxLinux"], swiftSettings: v5),
        .target(name: "SwiftBoxCgroups", dependencies: ["SwiftBoxOCI", "SwiftBoxLinux"], swiftSettings: v5),
        .target(name: "SwiftBoxSeccomp", dependencies: ["SwiftBoxOCI", "SwiftBoxLinux", "CSeccomp"], swiftSettings: v5),
        .target(name: "SwiftBoxImage", dependencies: ["SwiftBoxOCI", "SwiftBoxLinux", "CArchive"], swiftSettings: v5),
        .target(name: "SwiftBoxRuntime",
                dependencies: ["SwiftBoxOCI", "SwiftBoxLinux", "SwiftBoxCgroups", "SwiftBoxSeccomp", "CSwiftBox"],
                swiftSettings: v5),
        .target(name: "SwiftBoxManager", dependencies: ["SwiftBoxRuntime", "SwiftBoxImage"], swiftSettings: v5),
        .target(name: "SwiftBox",
                dependencies: ["SwiftBoxManager", "SwiftBoxRuntime", "SwiftBoxImage", "SwiftBoxCgroups",
                               "SwiftBoxSeccomp", "SwiftBoxOCI", "SwiftBoxLinux"],
                swiftSettings: v5),
        .executableTarget(name: "swiftbox",
                          dependencies: ["SwiftBox", .product(name: "ArgumentParser", package: "swift-argument-parser")],
                          swiftSettings: v5),
        .executableTarget(name: "swiftbox-init", dependencies: ["SwiftBoxRuntime"], swiftSettings: v5),
        .executableTarget(name: "swiftbox-bench", dependencies: ["SwiftBoxRuntime"], swiftSettings: v5),
        .executableTarget(name: "swiftbox-bench-launch"),
        .testTarget(name: "SwiftBoxTests", dependencies: ["SwiftBox"], swiftSettings: v5),
    ]
)
