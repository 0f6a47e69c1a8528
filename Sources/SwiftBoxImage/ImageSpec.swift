import SwiftBoxLinux

// Codable types for the OCI image-spec (index, manifest, configuration) and
// the Docker archive manifest. Field names follow the specs; unknown fields are
// ignored.

/// Media types swiftbox understands.
public enum MediaType {
    public static let ociIndex = "application/vnd.oci.image.index.v1+json"
    public static let ociManifest = "application/vnd.oci.image.manifest.v1+json"
    public static let ociConfig = "application/vnd.oci.image.config.v1+json"
    public static let ociLayer = "application/vnd.oci.image.layer.v1.tar"
    public static let ociLayerGzip = "application/vnd.oci.image.layer.v1.tar+gzip"
    public static let ociLayerZstd = "application/vnd.oci.image.layer.v1.tar+zstd"
    public static let dockerManifestList = "application/vnd.docker.distribution.manifest.list.v2+json"
    public static let dockerManifest = "application/vnd.docker.distribution.manifest.v2+json"
    public static let dockerConfig = "application/vnd.docker.container.image.v1+json"
    public static let dockerLayer = "application/vnd.docker.image.rootfs.diff.tar"
    public static let dockerLayerGzip = "application/vnd.docker.image.rootfs.diff.tar.gzip"
    public static let dockerForeignLayerGzip = "application/vnd.docker.image.rootfs.foreign.diff.tar.gzip"

    /// The compression of a layer media type, or nil if it is not a layer type swiftbox reads.
    public static func layerCompression(_ type: String) -> LayerCompression? {
        switch type {
        case ociLayer, dockerLayer, "application/vnd.oci.image.layer.nondistributable.v1.tar": return LayerCompression.none
        case ociLayerGzip, dockerLayerGzip, dockerForeignLayerGzip,
             "application/vnd.oci.image.layer.nondistributable.v1.tar+gzip": return .gzip
        case ociLayerZstd, "application/vnd.oci.image.layer.nondistributable.v1.tar+zstd": return .zstd
        default: return nil
        }
    }
}

/// How a layer blob is compressed.
public enum LayerCompression: String, Codable, Sendable {
    case none, gzip, zstd
    /// Detect from the content (Docker archives do not say).
    case detect
}

/// A content descriptor: what a blob is, its digest and size.
public struct Descriptor: Codable, Equatable, Sendable {
    public var mediaType: String
    public var digest: Digest
    public var size: Int64
    public var annotations: [String: String]?
    public var platform: Platform?
    public var urls: [String]?

    public init(mediaType: String, digest: Digest, size: Int64, annotations: [String: String]? = nil,
                platform: Platform? = nil) {
        self.mediaType = mediaType; self.digest = digest; self.size = size
        self.annotations = annotations; self.platform = platform
    }
}

/// An OS/architecture pair (with optional variant), e.g. `linux/arm64/v8`.
public struct Platform: Codable, Equatable, Hashable, Sendable, CustomStringConvertible {
    public var architecture: String
    public var os: String
    public var variant: String?
    public var osVersion: String?

    enum CodingKeys: String, CodingKey {
        case architecture, os, variant
        case osVersion = "os.version"
    }

    public init(os: String, architecture: String, variant: String? = nil) {
        self.os = os; self.architecture = architecture; self.variant = variant
    }

    /// Parses `os/arch[/variant]`.
    public static func parse(_ text: String) throws -> Platform {
        let p = text.split(separator: "/", omittingEmptySubsequences: false).map(String.init)
        guard (2...3).contains(p.count), !p[0].isEmpty, !p[1].isEmpty else {
            throw SwiftBoxError("platform \"\(text)\": expected OS/ARCH or OS/ARCH/VARIANT, e.g. linux/amd64")
        }
        return Platform(os: p[0], architecture: p[1], variant: p.count == 3 ? p[2] : nil)
    }

    /// linux/amd64, the default.
    public static let linuxAMD64 = Platform(os: "linux", architecture: "amd64")

    /// Whether an image for `self` satisfies a request for `wanted` (a variant
    /// is compared only when the request names one).
    public func satisfies(_ wanted: Platform) -> Bool {
        os == wanted.os && architecture == wanted.architecture && (wanted.variant == nil || wanted.variant == variant)
    }

    public var description: String { "\(os)/\(architecture)" + (variant.map { "/" + $0 } ?? "") }
}

/// image-spec `index.json` / image index (also a Docker manifest list).
public struct ImageIndex: Codable, Sendable {
    public var schemaVersion: Int?
    public var mediaType: String?
    public var manifests: [Descriptor]
    public var annotations: [String: String]?
}

/// image-spec image manifest (also a Docker v2 schema 2 manifest).
public struct ImageManifest: Codable, Sendable {
    public var schemaVersion: Int?
    public var mediaType: String?
    public var config: Descriptor
    public var layers: [Descriptor]
    public var annotations: [String: String]?

    public init(mediaType: String, config: Descriptor, layers: [Descriptor]) {
        self.schemaVersion = 2; self.mediaType = mediaType; self.config = config; self.layers = layers
    }
}

/// image-spec image configuration (the `config` blob).
public struct ImageConfiguration: Codable, Equatable, Sendable {
    public var created: String?
    public var author: String?
    public var architecture: String?
    public var os: String?
    public var variant: String?
    public var config: Config?
    public var rootfs: RootFS?
    public var history: [History]?

    /// The execution parameters an image suggests for its containers.
    public struct Config: Codable, Equatable, Sendable {
        public var User: String?
        public var ExposedPorts: [String: JSONObject]?
        public var Env: [String]?
        public var Entrypoint: [String]?
        public var Cmd: [String]?
        public var Volumes: [String: JSONObject]?
        public var WorkingDir: String?
        public var Labels: [String: String]?
        public var StopSignal: String?
        public init() {}
    }

    /// The layers' uncompressed digests, bottom first.
    public struct RootFS: Codable, Equatable, Sendable {
        public var type: String
        public var diff_ids: [Digest]
    }

    /// One build step.
    public struct History: Codable, Equatable, Sendable {
        public var created: String?
        public var created_by: String?
        public var comment: String?
        public var empty_layer: Bool?
    }
}

/// An empty JSON object (`{}`), as ExposedPorts and Volumes use for values.
public struct JSONObject: Codable, Equatable, Sendable {
    public init() {}
    public init(from decoder: Decoder) throws {}
    public func encode(to encoder: Encoder) throws {
        _ = encoder.container(keyedBy: NoKeys.self)
    }
    enum NoKeys: CodingKey {}
}

/// One image in a Docker archive's `manifest.json`.
struct DockerArchiveEntry: Codable {
    var Config: String
    var RepoTags: [String]?
    var Layers: [String]
}
