import Dispatch
import SwiftBoxLinux
import SwiftBoxOCI
#if canImport(Glibc)
import Glibc
#endif

extension ImageStore {
    /// Loads an image from an OCI image layout directory, an OCI archive or a
    /// Docker archive (`docker save`, `skopeo copy … docker-archive:`).
    ///
    /// Picks the image named `options.ref` (if given) for `options.platform`;
    /// verifies every blob's digest and size and every layer's diffID; unpacks
    /// the layers the store does not have yet, in parallel, each once per
    /// diffID. `name` (or the source's own names) then refers to the image.
    /// On any error nothing is stored.
    @discardableResult
    public func load(path: String, name: String? = nil, options: LoadOptions = LoadOptions()) throws -> Image {
        let lock = try lock(exclusive: true)
        defer { lock.release() }
        let source = FS.absolute(path)
        guard let st = FS.info(source) else {
            throw SwiftBoxError("cannot load image from \(path): no such file or directory", errno: ENOENT)
        }
        let work = try makeStaging("load")
        defer { try? removeTree(work) }
        let src: ImageSource
        if (st.st_mode & S_IFMT) == S_IFDIR {
            src = try ImageSource(dir: source, display: path)
        } else {
            let dir = work + "/source"
            try FS.mkdirAll(dir, mode: 0o700)
            try ImageSource.extractArchive(source, into: dir, limits: limits)
            src = try ImageSource(dir: dir, display: path)
        }
        let resolved = try src.select(ref: options.ref, platform: options.platform)
        let layers = try readLayers(resolved.layers, source: path, work: work, progress: options.progress)

        // Everything is verified: move it into place.
        for l in layers {
            if let blob = l.stagedBlob, rename(blob, blobPath(l.record.digest)) != 0 {
                throw SwiftBoxError.system("store blob \(l.record.digest)")
            }
            if let dir = l.stagedLayer, rename(dir, layerPath(l.record.diffID)) != 0 {
                // Another load committed the same diffID first: theirs is as good.
                guard errno == EEXIST || errno == ENOTEMPTY else { throw SwiftBoxError.system("store layer \(l.record.diffID)") }
            }
        }
        try storeBlob(resolved.configBytes, digest: resolved.configDigest, work: work)
        let manifestBytes: [UInt8]
        if let bytes = resolved.manifestBytes {
            manifestBytes = bytes
        } else {
            let m = ImageManifest(
                mediaType: MediaType.ociManifest,
                config: Descriptor(mediaType: resolved.configMediaType, digest: resolved.configDigest,
                                   size: Int64(resolved.configBytes.count)),
                layers: layers.map { Descriptor(mediaType: $0.record.mediaType, digest: $0.record.digest, size: $0.record.size) })
            manifestBytes = try JSONDocument.encode(m)
        }
        let manifestDigest = Digest.of(manifestBytes)
        try storeBlob(manifestBytes, digest: manifestDigest, work: work)

        var names = name.map { [$0] } ?? resolved.refs
        let existing = try images()
        if let old = existing.first(where: { $0.id == resolved.configDigest }) {
            names = old.names + names.filter { !old.names.contains($0) }
        }
        let image = Image(
            id: resolved.configDigest, names: names,
            manifest: Descriptor(mediaType: resolved.manifestMediaType, digest: manifestDigest, size: Int64(manifestBytes.count)),
            configDescriptor: Descriptor(mediaType: resolved.configMediaType, digest: resolved.configDigest,
                                         size: Int64(resolved.configBytes.count)),
            config: resolved.config, layers: layers.map(\.record), platform: resolved.platform,
            loaded: Clock.timestamp(), source: source)
        // A name belongs to one image: the newest load takes it.
        for var other in existing where other.id != image.id && other.names.contains(where: names.contains) {
            other.names.removeAll(where: names.contains)
            try write(other)
        }
        try write(image)
        return image
    }

    struct ReadLayer {
        var record: Image.Layer
        var stagedBlob: String?
        var stagedLayer: String?
    }

    /// Reads every layer (in parallel), verifying digests; unpacks those the
    /// store lacks into staging directories under `work`.
    func readLayers(_ layers: [ResolvedLayer], source: String, work: String,
                    progress: (@Sendable (LoadProgress) -> Void)?) throws -> [ReadLayer] {
        let count = layers.count
        var firstOfDiffID: [Digest: Int] = [:]
        for (i, l) in layers.enumerated() where firstOfDiffID[l.diffID] == nil { firstOfDiffID[l.diffID] = i }
        let tracker = ProgressTracker(layers: layers.map { Int64(FS.info($0.blobPath)?.st_size ?? 0) }, callback: progress)
        let results = UnsafeMutableBufferPointer<Result<ReadLayer, Error>?>.allocate(capacity: count)
        results.initialize(repeating: nil)
        defer { results.deallocate() }
        DispatchQueue.concurrentPerform(iterations: count) { i in
            results[i] = Result {
                try self.readLayer(layers[i], index: i, count: count, unpack: firstOfDiffID[layers[i].diffID] == i,
                                   source: source, work: work, tracker: tracker)
            }
        }
        tracker.finish()
        return try results.map { try $0!.get() }
    }

    private func readLayer(_ layer: ResolvedLayer, index: Int, count: Int, unpack: Bool, source: String, work: String,
                           tracker: ProgressTracker) throws -> ReadLayer {
        let label = "\(source): layer \(index + 1)/\(count) (\(layer.expected?.digest.description ?? FS.basename(layer.blobPath)))"
        let needLayer = unpack && !FS.exists(layerPath(layer.diffID))
        let knownBlob = layer.expected.map { FS.exists(blobPath($0.digest)) } ?? false
        if let exp = layer.expected, knownBlob && !needLayer {
            // Both already stored (verified when they were): only check the source's size.
            let size = Int64(FS.info(layer.blobPath)?.st_size ?? -1)
            if size != exp.size {
                throw SwiftBoxError("\(label): size mismatch: the descriptor says \(exp.size) bytes, the blob has \(size)")
            }
            tracker.done(index)
            return ReadLayer(record: Image.Layer(digest: exp.digest, mediaType: layer.mediaType, size: exp.size,
                                                 diffID: layer.diffID))
        }
        if let exp = layer.expected, let st = FS.info(layer.blobPath), Int64(st.st_size) != exp.size {
            throw SwiftBoxError("\(label): size mismatch: the descriptor says \(exp.size) bytes, the blob has \(st.st_size)")
        }
        let stagedBlob = knownBlob ? nil : work + "/blob-\(index)"
        let stagedLayer = needLayer ? work + "/layer-\(index)" : nil
        let decoder = try LayerDecoder(path: layer.blobPath, label: label, compression: layer.compression,
                                       limits: limits, copyTo: stagedBlob)
        decoder.progress = { tracker.update(index, $0) }
        var writer: LayerWriter?
        if let stagedLayer {
            if mkdir(stagedLayer, 0o755) != 0 { throw SwiftBoxError.system("create \(stagedLayer)") }
            writer = LayerWriter(tree: try RootedTree(path: stagedLayer), layout: .overlay, label: label, limits: limits)
        }
        let got: LayerDigests
        do {
            got = try decoder.run(into: writer)
        } catch let e as SwiftBoxError {
            // A corrupt or truncated blob usually also fails its digest: say so.
            let (digest, size) = decoder.blobDigestAfterFailure()
            if let exp = layer.expected, digest != exp.digest || size != exp.size {
                throw SwiftBoxError("\(label): digest mismatch: the blob (\(size) bytes) hashes to \(digest), not \(exp.digest) (corrupt or truncated); while reading it: \(e.message)")
            }
            throw e
        }
        if let exp = layer.expected {
            if got.blobSize != exp.size {
                throw SwiftBoxError("\(label): size mismatch: the descriptor says \(exp.size) bytes, \(got.blobSize) were read")
            }
            if got.blob != exp.digest {
                throw SwiftBoxError("\(label): digest mismatch: the blob hashes to \(got.blob), the descriptor says \(exp.digest)")
            }
        }
        if got.diffID != layer.diffID {
            throw SwiftBoxError("\(label): diffID mismatch: the uncompressed layer hashes to \(got.diffID), the config's rootfs.diff_ids says \(layer.diffID)")
        }
        var mediaType = layer.mediaType
        if layer.compression == .detect {
            switch got.compression {
            case .none: mediaType = MediaType.ociLayer
            case .gzip: mediaType = MediaType.ociLayerGzip
            case .zstd: mediaType = MediaType.ociLayerZstd
            case .detect: throw SwiftBoxError("\(label): compressed with something other than gzip or zstd")
            }
        }
        tracker.done(index)
        return ReadLayer(record: Image.Layer(digest: got.blob, mediaType: mediaType, size: got.blobSize, diffID: got.diffID),
                         stagedBlob: stagedBlob, stagedLayer: stagedLayer)
    }

    /// Stores a small verified blob (config, manifest) if it is not there yet.
    func storeBlob(_ bytes: [UInt8], digest: Digest, work: String) throws {
        let dest = blobPath(digest)
        if FS.exists(dest) { return }
        let tmp = work + "/blob-" + digest.hex
        try FS.write(tmp, bytes, create: true)
        if rename(tmp, dest) != 0 { throw SwiftBoxError.system("store blob \(digest)") }
    }
}

/// Sums the progress of parallel layer reads and reports it at most every 100 ms.
final class ProgressTracker: @unchecked Sendable {
    private let mutex = Mutex()
    private var read: [Int64]
    private let sizes: [Int64]
    private var done = 0
    private var last = 0.0
    private let start = Clock.now()
    private let callback: (@Sendable (LoadProgress) -> Void)?

    init(layers: [Int64], callback: (@Sendable (LoadProgress) -> Void)?) {
        sizes = layers
        read = Array(repeating: 0, count: layers.count)
        self.callback = callback
    }

    func update(_ i: Int, _ bytes: Int64) {
        guard callback != nil else { return }
        report(force: false) { read[i] = bytes }
    }

    func done(_ i: Int) {
        report(force: false) { read[i] = sizes[i]; done += 1 }
    }

    func finish() { report(force: true) {} }

    private func report(force: Bool, _ change: () -> Void) {
        guard let callback else { return }
        let snapshot: LoadProgress? = mutex.locked {
            change()
            let now = Clock.now()
            if !force && now - last < 0.1 { return nil }
            last = now
            return LoadProgress(layersDone: done, layerCount: sizes.count, bytesRead: read.reduce(0, +),
                                bytesTotal: sizes.reduce(0, +), elapsed: now - start)
        }
        if let snapshot { callback(snapshot) }
    }
}
