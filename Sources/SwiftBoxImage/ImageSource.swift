import CArchive
import SwiftBoxLinux
import SwiftBoxOCI
#if canImport(Glibc)
import Glibc
#endif

/// One layer of a resolved image: where its blob is and what it must hash to.
struct ResolvedLayer {
    var blobPath: String
    var mediaType: String
    var compression: LayerCompression
    /// The descriptor's digest and size (nil for Docker archives, which do not record them).
    var expected: (digest: Digest, size: Int64)?
    var diffID: Digest
}

/// An image picked from a source, with its manifest and config verified.
struct ResolvedImage {
    var refs: [String]
    var platform: Platform
    /// The manifest's bytes, or nil for a Docker archive (one is written from the layers).
    var manifestBytes: [UInt8]?
    var manifestMediaType: String
    var configBytes: [UInt8]
    var configDigest: Digest
    var configMediaType: String
    var config: ImageConfiguration
    var layers: [ResolvedLayer]
}

/// An image in a source that the user can choose.
struct SourceCandidate {
    enum Kind { case oci(Descriptor), docker(DockerArchiveEntry) }
    var refs: [String]
    var platform: Platform?
    var kind: Kind
    var id: String

    func describe(platform p: Platform?) -> String {
        let name = refs.isEmpty ? "(no name)" : refs.joined(separator: ", ")
        return "\(name) [\((platform ?? p).map(\.description) ?? "unknown platform")] \(id)"
    }
}

/// An OCI image layout or a Docker archive, unpacked into a directory.
struct ImageSource {
    enum Format { case ociLayout, dockerArchive }
    /// What the user named (a directory or an archive file), for messages.
    let display: String
    /// The directory holding `index.json` or `manifest.json`.
    let dir: String
    let format: Format

    /// Maximum size of a JSON blob (index, manifest, config).
    static let maxJSONBytes: Int64 = 16 << 20

    init(dir: String, display: String) throws {
        self.dir = dir
        self.display = display
        if FS.exists(dir + "/index.json") {
            format = .ociLayout
        } else if FS.exists(dir + "/manifest.json") {
            format = .dockerArchive
        } else {
            throw SwiftBoxError("\(display): neither an OCI image layout (no index.json) nor a Docker archive (no manifest.json)")
        }
    }

    /// A path inside the source, resolved without leaving it.
    func file(_ relative: String) throws -> String {
        let comps = try EntryPath.components(relative, what: "\(display): \"\(relative)\"")
        return try FS.resolveInRoot(dir, comps.joined(separator: "/"))
    }

    func blobPath(_ d: Digest) -> String { dir + "/blobs/sha256/" + d.hex }

    /// Reads a small blob and checks its size and digest against `d`.
    func readBlob(_ d: Descriptor, what: String) throws -> [UInt8] {
        let path = blobPath(d.digest)
        guard let st = FS.info(path), (st.st_mode & S_IFMT) == S_IFREG else {
            throw SwiftBoxError("\(display): \(what) \(d.digest) is missing (no file blobs/sha256/\(d.digest.hex))", errno: ENOENT)
        }
        if Int64(st.st_size) != d.size {
            throw SwiftBoxError("\(display): \(what) \(d.digest): size mismatch: the descriptor says \(d.size) bytes, the blob has \(st.st_size)")
        }
        if d.size > ImageSource.maxJSONBytes {
            throw SwiftBoxError("\(display): \(what) \(d.digest) is \(d.size) bytes, more than the \(ImageSource.maxJSONBytes) allowed")
        }
        let bytes = try FS.read(path)
        let got = Digest.of(bytes)
        if got != d.digest {
            throw SwiftBoxError("\(display): \(what) \(d.digest): digest mismatch: the blob hashes to \(got)")
        }
        return bytes
    }

    /// Every image the source holds (indexes are followed to any depth ≤ 8).
    func candidates() throws -> [SourceCandidate] {
        switch format {
        case .ociLayout:
            let index = try JSONDocument.load(ImageIndex.self, from: dir + "/index.json")
            var out: [SourceCandidate] = []
            try walk(index, refs: [], depth: 0, into: &out)
            return out
        case .dockerArchive:
            let entries = try JSONDocument.load([DockerArchiveEntry].self, from: dir + "/manifest.json")
            return entries.map { e in
                SourceCandidate(refs: e.RepoTags ?? [], platform: nil, kind: .docker(e), id: e.Config)
            }
        }
    }

    private func walk(_ index: ImageIndex, refs: [String], depth: Int, into out: inout [SourceCandidate]) throws {
        if depth > 8 { throw SwiftBoxError("\(display): image indexes nested more than 8 deep") }
        for d in index.manifests {
            var names = refs
            for key in ["org.opencontainers.image.ref.name", "io.containerd.image.name"] {
                if let n = d.annotations?[key], !names.contains(n) { names.append(n) }
            }
            switch d.mediaType {
            case MediaType.ociIndex, MediaType.dockerManifestList:
                let bytes = try readBlob(d, what: "index")
                let sub = try JSONDocument.decode(ImageIndex.self, from: bytes, file: "\(display): index \(d.digest)")
                try walk(sub, refs: names, depth: depth + 1, into: &out)
            case MediaType.ociManifest, MediaType.dockerManifest:
                out.append(SourceCandidate(refs: names, platform: d.platform, kind: .oci(d), id: d.digest.description))
            default:
                continue // artifacts, signatures, attestations: not runnable images
            }
        }
    }

    /// The platform of a candidate, from its descriptor or its config.
    func platform(of c: SourceCandidate) throws -> Platform {
        if let p = c.platform { return p }
        let config = try resolve(c).config
        return Platform(os: config.os ?? "unknown", architecture: config.architecture ?? "unknown", variant: config.variant)
    }

    /// Picks the image named `ref` (if given) for `platform`; the error lists what is there.
    func select(ref: String?, platform: Platform) throws -> ResolvedImage {
        let all = try candidates()
        if all.isEmpty { throw SwiftBoxError("\(display): holds no image") }
        func listing(_ cs: [SourceCandidate]) -> String {
            cs.map { "  " + $0.describe(platform: try? self.platform(of: $0)) }.joined(separator: "\n")
        }
        var named = all
        if let ref {
            named = all.filter { $0.refs.contains(ref) || $0.refs.contains(where: { $0.hasSuffix("/" + ref) }) }
            if named.isEmpty {
                throw SwiftBoxError("\(display): no image named \"\(ref)\"; available:\n\(listing(all))")
            }
        }
        let fitting = try named.filter { try self.platform(of: $0).satisfies(platform) }
        if fitting.isEmpty {
            throw SwiftBoxError("\(display): no image for platform \(platform)\(ref.map { " named \"\($0)\"" } ?? ""); available:\n\(listing(named))")
        }
        let distinct = Set(fitting.map(\.id))
        if distinct.count > 1 {
            throw SwiftBoxError("\(display): \(distinct.count) images match platform \(platform)\(ref.map { " and name \"\($0)\"" } ?? ""); choose one with --ref:\n\(listing(fitting))")
        }
        var chosen = try resolve(fitting[0])
        chosen.refs = fitting.flatMap(\.refs).reduce(into: [String]()) { if !$0.contains($1) { $0.append($1) } }
        return chosen
    }

    /// Reads and verifies a candidate's manifest and config.
    func resolve(_ c: SourceCandidate) throws -> ResolvedImage {
        switch c.kind {
        case .oci(let d):
            let bytes = try readBlob(d, what: "manifest")
            let m = try JSONDocument.decode(ImageManifest.self, from: bytes, file: "\(display): manifest \(d.digest)")
            let configBytes = try readBlob(m.config, what: "config")
            let config = try JSONDocument.decode(ImageConfiguration.self, from: configBytes, file: "\(display): config \(m.config.digest)")
            guard let diffIDs = config.rootfs?.diff_ids else {
                throw SwiftBoxError("\(display): config \(m.config.digest): $.rootfs.diff_ids is missing")
            }
            if diffIDs.count != m.layers.count {
                throw SwiftBoxError("\(display): manifest \(d.digest) has \(m.layers.count) layers but its config lists \(diffIDs.count) diff_ids")
            }
            var layers: [ResolvedLayer] = []
            for (i, l) in m.layers.enumerated() {
                guard let comp = MediaType.layerCompression(l.mediaType) else {
                    throw SwiftBoxError("\(display): manifest \(d.digest): $.layers[\(i)]: unknown layer media type \"\(l.mediaType)\"")
                }
                let path = blobPath(l.digest)
                if !FS.exists(path) {
                    throw SwiftBoxError("\(display): layer \(l.digest) named by manifest \(d.digest) is missing (no file blobs/sha256/\(l.digest.hex))", errno: ENOENT)
                }
                layers.append(ResolvedLayer(blobPath: path, mediaType: l.mediaType, compression: comp,
                                            expected: (l.digest, l.size), diffID: diffIDs[i]))
            }
            let platform = d.platform ?? Platform(os: config.os ?? "unknown", architecture: config.architecture ?? "unknown",
                                                  variant: config.variant)
            return ResolvedImage(refs: c.refs, platform: platform, manifestBytes: bytes,
                                 manifestMediaType: m.mediaType ?? d.mediaType, configBytes: configBytes,
                                 configDigest: m.config.digest, configMediaType: m.config.mediaType, config: config,
                                 layers: layers)
        case .docker(let e):
            let configPath = try file(e.Config)
            guard FS.exists(configPath) else {
                throw SwiftBoxError("\(display): manifest.json names config \"\(e.Config)\", which is missing", errno: ENOENT)
            }
            let configBytes = try FS.read(configPath)
            if configBytes.count > ImageSource.maxJSONBytes {
                throw SwiftBoxError("\(display): config \(e.Config) is larger than \(ImageSource.maxJSONBytes) bytes")
            }
            let digest = Digest.of(configBytes)
            if let named = ImageSource.digestInName(e.Config), named != digest {
                throw SwiftBoxError("\(display): config \(e.Config): digest mismatch: the file hashes to \(digest)")
            }
            let config = try JSONDocument.decode(ImageConfiguration.self, from: configBytes, file: "\(display): \(e.Config)")
            guard let diffIDs = config.rootfs?.diff_ids else {
                throw SwiftBoxError("\(display): \(e.Config): $.rootfs.diff_ids is missing")
            }
            if diffIDs.count != e.Layers.count {
                throw SwiftBoxError("\(display): manifest.json lists \(e.Layers.count) layers but \(e.Config) lists \(diffIDs.count) diff_ids")
            }
            var layers: [ResolvedLayer] = []
            for (i, name) in e.Layers.enumerated() {
                let path = try file(name)
                guard FS.exists(path) else {
                    throw SwiftBoxError("\(display): layer \"\(name)\" named by manifest.json is missing", errno: ENOENT)
                }
                let size = Int64(FS.info(path)?.st_size ?? 0)
                layers.append(ResolvedLayer(blobPath: path, mediaType: MediaType.dockerLayer, compression: .detect,
                                            expected: ImageSource.digestInName(name).map { ($0, size) },
                                            diffID: diffIDs[i]))
            }
            let platform = Platform(os: config.os ?? "unknown", architecture: config.architecture ?? "unknown",
                                    variant: config.variant)
            return ResolvedImage(refs: c.refs, platform: platform, manifestBytes: nil,
                                 manifestMediaType: MediaType.ociManifest, configBytes: configBytes,
                                 configDigest: digest, configMediaType: MediaType.ociConfig, config: config, layers: layers)
        }
    }

    /// The digest a Docker archive file name carries (`<hex>.json`, `<hex>.tar`,
    /// `blobs/sha256/<hex>`), if any.
    static func digestInName(_ name: String) -> Digest? {
        var base = FS.basename(name)
        for ext in [".json", ".tar"] where base.hasSuffix(ext) { base = String(base.dropLast(ext.count)) }
        return Digest("sha256:" + base)
    }

    /// Unpacks an image archive (an OCI archive or a Docker archive, plain or
    /// compressed) into `staging`: regular files, directories and symlinks
    /// only, every name checked like a layer's.
    static func extractArchive(_ path: String, into staging: String, limits: UnpackLimits) throws {
        guard let a = archive_read_new() else { throw SwiftBoxError("\(path): libarchive: out of memory") }
        defer { archive_read_free(a) }
        archive_read_support_filter_gzip(a)
        archive_read_support_filter_zstd(a)
        archive_read_support_filter_xz(a)
        archive_read_support_format_tar(a)
        if archive_read_open_filename(a, path, 1 << 20) != ARCHIVE_OK {
            throw SwiftBoxError("\(path): cannot read the archive: \(LayerWriter.archiveError(a))")
        }
        let tree = try RootedTree(path: staging)
        let writer = LayerWriter(tree: tree, layout: .flattened, label: path, limits: limits, isLayer: false)
        var entry: OpaquePointer?
        while true {
            let r = archive_read_next_header(a, &entry)
            if r == ARCHIVE_EOF { break }
            if r < ARCHIVE_WARN {
                throw SwiftBoxError("\(path): not a readable image archive: \(LayerWriter.archiveError(a))")
            }
            try writer.apply(entry!, from: a)
        }
        try writer.finish()
    }
}
