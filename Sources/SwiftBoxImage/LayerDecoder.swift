import CArchive
import SwiftBoxLinux
#if canImport(Glibc)
import Glibc
#endif

/// What reading a layer blob found: its digest and size as stored, and the
/// digest and size of the uncompressed tar (the diffID).
struct LayerDigests {
    var blob: Digest
    var blobSize: Int64
    var diffID: Digest
    var tarSize: Int64
    var compression: LayerCompression
}

/// Reads one layer blob in a single pass: the compressed bytes are hashed
/// (and optionally copied into the store), decompressed by libarchive, the
/// uncompressed stream hashed again for the diffID, and the tar entries handed
/// to a `LayerWriter`. Nothing is trusted before both digests are checked by
/// the caller; an unpack into a staging directory is discarded otherwise.
final class LayerDecoder {
    let path: String
    let label: String
    let compression: LayerCompression
    let limits: UnpackLimits
    private let fd: Int32
    private var copyFD: Int32 = -1
    private var blobHash = SHA256()
    private var blobSize: Int64 = 0
    private var tarHash = SHA256()
    private var tarSize: Int64 = 0
    private let inBuf: UnsafeMutableRawPointer
    private let midBuf: UnsafeMutableRawPointer
    private static let bufSize = 1 << 20
    private var outer: OpaquePointer?
    private var failure: SwiftBoxError?
    /// Called with the number of compressed bytes read so far.
    var progress: ((Int64) -> Void)?

    /// Opens `path`; `copyTo` receives an exact copy of the blob.
    init(path: String, label: String, compression: LayerCompression, limits: UnpackLimits, copyTo: String? = nil) throws {
        self.path = path; self.label = label; self.compression = compression; self.limits = limits
        fd = open(path, O_RDONLY | O_CLOEXEC)
        if fd < 0 { throw SwiftBoxError.system("\(label): open \(path)") }
        inBuf = .allocate(byteCount: LayerDecoder.bufSize, alignment: 16)
        midBuf = .allocate(byteCount: LayerDecoder.bufSize, alignment: 16)
        if let copyTo {
            copyFD = open(copyTo, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
            if copyFD < 0 { close(fd); throw SwiftBoxError.system("\(label): create \(copyTo)") }
        }
    }

    deinit {
        close(fd)
        if copyFD >= 0 { close(copyFD) }
        inBuf.deallocate()
        midBuf.deallocate()
    }

    /// Decodes the whole blob, passing each tar entry to `writer` (nil: only
    /// hash). Returns the digests; the caller compares them with the descriptor.
    func run(into writer: LayerWriter?) throws -> LayerDigests {
        guard let outer = archive_read_new() else { throw SwiftBoxError("\(label): libarchive: out of memory") }
        self.outer = outer
        defer { archive_read_free(outer) }
        switch compression {
        case .none: break
        case .gzip: archive_read_support_filter_gzip(outer)
        case .zstd: archive_read_support_filter_zstd(outer)
        case .detect:
            archive_read_support_filter_gzip(outer)
            archive_read_support_filter_zstd(outer)
            archive_read_support_filter_xz(outer)
            archive_read_support_filter_bzip2(outer)
        }
        archive_read_support_format_raw(outer)
        let me = Unmanaged.passUnretained(self).toOpaque()
        var decodeError: SwiftBoxError?
        var detected = compression
        if archive_read_open(outer, me, nil, { _, client, buffer in
            let d = Unmanaged<LayerDecoder>.fromOpaque(client!).takeUnretainedValue()
            return d.readSource(buffer!)
        }, nil) != ARCHIVE_OK {
            decodeError = failure ?? SwiftBoxError("\(label): \(LayerWriter.archiveError(outer))")
        } else {
            var rawEntry: OpaquePointer?
            let r = archive_read_next_header(outer, &rawEntry)
            if r == ARCHIVE_EOF {
                decodeError = SwiftBoxError("\(label): the blob is empty (not a tar layer)")
            } else if r < ARCHIVE_WARN {
                decodeError = failure ?? SwiftBoxError("\(label): \(LayerWriter.archiveError(outer))")
            } else {
                if compression == .detect {
                    switch archive_filter_code(outer, 0) {
                    case ARCHIVE_FILTER_GZIP: detected = .gzip
                    case ARCHIVE_FILTER_ZSTD: detected = .zstd
                    case ARCHIVE_FILTER_NONE: detected = LayerCompression.none
                    default: detected = .detect
                    }
                }
                // A limit or read failure inside a callback surfaces as a vague
                // libarchive error: report the real cause.
                do { try readTar(writer) } catch let e as SwiftBoxError { decodeError = failure ?? e }
            }
        }
        // Whatever happened, hash the rest of the file so a mismatch can be named.
        drainSource()
        let blob = blobHash.finalize()
        let tar = tarHash.finalize()
        finalBlob = blob
        if let decodeError {
            throw decodeError
        }
        if copyFD >= 0 {
            if close(copyFD) != 0 { copyFD = -1; throw SwiftBoxError.system("\(label): write blob copy") }
            copyFD = -1
        }
        return LayerDigests(blob: blob, blobSize: blobSize, diffID: tar, tarSize: tarSize, compression: detected)
    }

    /// The digest of the bytes read so far plus the rest of the file (after a failure).
    func blobDigestAfterFailure() -> (Digest, Int64) {
        if let finalBlob { return (finalBlob, blobSize) }
        drainSource()
        let d = blobHash.finalize()
        finalBlob = d
        return (d, blobSize)
    }
    private var finalBlob: Digest?

    private func readTar(_ writer: LayerWriter?) throws {
        guard let inner = archive_read_new() else { throw SwiftBoxError("\(label): libarchive: out of memory") }
        defer { archive_read_free(inner) }
        archive_read_support_format_tar(inner)
        let me = Unmanaged.passUnretained(self).toOpaque()
        if archive_read_open(inner, me, nil, { a, client, buffer in
            let d = Unmanaged<LayerDecoder>.fromOpaque(client!).takeUnretainedValue()
            return d.readDecompressed(a!, buffer!)
        }, nil) != ARCHIVE_OK {
            throw failure ?? SwiftBoxError("\(label): not a tar archive: \(LayerWriter.archiveError(inner))")
        }
        var entry: OpaquePointer?
        while true {
            let r = archive_read_next_header(inner, &entry)
            if r == ARCHIVE_EOF { break }
            if r < ARCHIVE_WARN || entry == nil {
                throw failure ?? SwiftBoxError("\(label): \(LayerWriter.archiveError(inner))", errno: EIO)
            }
            if let writer {
                try writer.apply(entry!, from: inner)
            } else {
                // Hash only: still read every entry's data so the stream is consumed.
                if archive_read_data_skip(inner) < ARCHIVE_WARN {
                    throw failure ?? SwiftBoxError("\(label): \(LayerWriter.archiveError(inner))", errno: EIO)
                }
            }
            if let failure { throw failure }
        }
        if let failure { throw failure }
        try writer?.finish()
        // The diffID covers the whole uncompressed stream, padding after the
        // end-of-archive blocks included.
        while true {
            let n = archive_read_data(outer, midBuf, LayerDecoder.bufSize)
            if n < 0 { throw failure ?? SwiftBoxError("\(label): \(LayerWriter.archiveError(outer!))", errno: EIO) }
            if n == 0 { break }
            try countTar(n)
            tarHash.update(UnsafeRawBufferPointer(start: midBuf, count: n))
        }
    }

    private func countTar(_ n: Int) throws {
        tarSize += Int64(n)
        if tarSize > limits.maxLayerBytes {
            let e = SwiftBoxError("\(label): expands to more than \(limits.maxLayerBytes) bytes (limit reached; a decompression bomb?)")
            failure = e
            throw e
        }
    }

    /// libarchive (tar reader) asks for more uncompressed bytes.
    private func readDecompressed(_ inner: OpaquePointer, _ buffer: UnsafeMutablePointer<UnsafeRawPointer?>) -> Int {
        if failure != nil { return -1 }
        let n = archive_read_data(outer, midBuf, LayerDecoder.bufSize)
        if n < 0 {
            failure = SwiftBoxError("\(label): \(LayerWriter.archiveError(outer!))", errno: EIO)
            return -1
        }
        do { try countTar(n) } catch {
            return -1
        }
        tarHash.update(UnsafeRawBufferPointer(start: midBuf, count: n))
        buffer.pointee = UnsafeRawPointer(midBuf)
        return n
    }

    /// libarchive (decompressor) asks for more blob bytes.
    private func readSource(_ buffer: UnsafeMutablePointer<UnsafeRawPointer?>) -> Int {
        while true {
            let n = read(fd, inBuf, LayerDecoder.bufSize)
            if n < 0 && errno == EINTR { continue }
            if n < 0 {
                failure = SwiftBoxError.system("\(label): read \(path)")
                return -1
            }
            consumed(n)
            buffer.pointee = UnsafeRawPointer(inBuf)
            return n
        }
    }

    private func consumed(_ n: Int) {
        guard n > 0 else { return }
        blobHash.update(UnsafeRawBufferPointer(start: inBuf, count: n))
        blobSize += Int64(n)
        if copyFD >= 0 {
            var done = 0
            while done < n {
                let w = write(copyFD, inBuf + done, n - done)
                if w < 0 {
                    if errno == EINTR { continue }
                    failure = SwiftBoxError.system("\(label): write blob copy")
                    close(copyFD); copyFD = -1
                    break
                }
                done += w
            }
        }
        progress?(blobSize)
    }

    private func drainSource() {
        while true {
            let n = read(fd, inBuf, LayerDecoder.bufSize)
            if n < 0 && errno == EINTR { continue }
            if n <= 0 { return }
            consumed(n)
        }
    }
}
