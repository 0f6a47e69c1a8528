/// An image in the store: what `image ls` lists and what containers are made from.
public struct Image: Codable, Equatable, Sendable {
    /// The image id: the digest of its config (as Docker names images).
    public var id: Digest
    /// The names it can be found by (`busybox:latest`), unique across the store.
    public var names: [String]
    /// The stored manifest (for a Docker archive, one swiftbox wrote).
    public var manifest: Descriptor
    /// The config blob's descriptor.
    public var configDescriptor: Descriptor
    /// The image configuration.
    public var config: ImageConfiguration
    /// The layers, bottom first.
    public var layers: [Layer]
    /// The image's OS and architecture.
    public var platform: Platform
    /// When it was loaded (UTC, RFC 3339).
    public var loaded: String
    /// What it was loaded from.
    public var source: String

    /// One layer: its blob and its unpacked, shared directory (keyed by diffID).
    public struct Layer: Codable, Equatable, Sendable {
        /// The (compressed) blob's digest.
        public var digest: Digest
        /// The blob's media type.
        public var mediaType: String
        /// The blob's size in bytes.
        public var size: Int64
        /// The digest of the uncompressed tar: the unpacked directory's key.
        public var diffID: Digest
    }

    /// The sum of the layer blobs' sizes.
    public var size: Int64 { layers.reduce(0) { $0 + $1.size } }
}

/// What `load` reports while it works (on a terminal the CLI shows it).
public struct LoadProgress: Sendable {
    /// Layers finished so far.
    public var layersDone: Int
    /// Layers to read.
    public var layerCount: Int
    /// Compressed bytes read so far, over all layers.
    public var bytesRead: Int64
    /// Compressed bytes to read.
    public var bytesTotal: Int64
    /// Seconds since the load began.
    public var elapsed: Double
}

/// Options of `ImageStore.load`.
public struct LoadOptions: Sendable {
    /// The name of the image to pick when the source holds several
    /// (`org.opencontainers.image.ref.name` or a Docker `RepoTags` entry).
    public var ref: String?
    /// The platform to pick (default linux/amd64).
    public var platform: Platform
    /// Called every ~100 ms from a worker thread while layers are read.
    public var progress: (@Sendable (LoadProgress) -> Void)?

    /// Options with a ref, a platform and a progress callback.
    public init(ref: String? = nil, platform: Platform = .linuxAMD64,
                progress: (@Sendable (LoadProgress) -> Void)? = nil) {
        self.ref = ref; self.platform = platform; self.progress = progress
    }
}

/// What `ImageStore.prune` removed.
public struct PruneResult: Codable, Sendable, Equatable {
    /// Unpacked layers removed (diffIDs).
    public var layers: [Digest]
    /// Blobs removed.
    public var blobs: [Digest]
    /// Bytes freed (approximate: apparent sizes).
    public var bytes: Int64
}
