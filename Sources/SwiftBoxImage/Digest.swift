import CArchive
import SwiftBoxLinux

/// A content digest as OCI descriptors write it: `sha256:<64 lowercase hex>`.
///
/// Only sha256 is accepted. Parsing is strict because the hex part becomes a
/// file name in the store and in image layouts: nothing but 64 hex digits may
/// ever reach a path.
public struct Digest: Hashable, Codable, Sendable, CustomStringConvertible, Comparable {
    /// The 64 lowercase hex digits.
    public let hex: String

    /// Parses `sha256:<hex>`; nil for anything else.
    public init?(_ text: String) {
        guard text.hasPrefix("sha256:") else { return nil }
        let hex = text.dropFirst(7)
        guard hex.utf8.count == 64, hex.utf8.allSatisfy({ ($0 >= 0x30 && $0 <= 0x39) || ($0 >= 0x61 && $0 <= 0x66) })
        else { return nil }
        self.hex = String(hex)
    }

    /// Parses a digest, throwing an error that names `what` when it is malformed.
    public static func parse(_ text: String, what: String) throws -> Digest {
        if let d = Digest(text) { return d }
        if text.contains(":") && !text.hasPrefix("sha256:") {
            throw SwiftBoxError("\(what): unsupported digest algorithm in \"\(text)\" (only sha256 is supported)")
        }
        throw SwiftBoxError("\(what): \"\(text)\" is not a valid digest (expected sha256: and 64 lowercase hex digits)")
    }

    init(hexDigest: String) { self.hex = hexDigest }

    /// `sha256:<hex>`.
    public var description: String { "sha256:" + hex }
    /// The first 12 hex digits, as `image ls` shows an id.
    public var short: String { String(hex.prefix(12)) }

    public init(from decoder: Decoder) throws {
        let c = try decoder.singleValueContainer()
        let s = try c.decode(String.self)
        guard let d = Digest(s) else {
            throw DecodingError.dataCorruptedError(
                in: c, debugDescription: "\"\(s)\" is not a sha256 digest (expected sha256: and 64 lowercase hex digits)")
        }
        self = d
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.singleValueContainer()
        try c.encode(description)
    }

    public static func < (a: Digest, b: Digest) -> Bool { a.hex < b.hex }

    /// The digest of a byte buffer.
    public static func of(_ bytes: [UInt8]) -> Digest {
        var h = SHA256()
        h.update(bytes)
        return h.finalize()
    }
}

/// Incremental SHA-256 (nettle's implementation, which uses the CPU's SHA
/// instructions where present).
struct SHA256 {
    private var ctx = sha256_ctx()

    /// A fresh hash state.
    init() { nettle_sha256_init(&ctx) }

    /// Feeds bytes.
    mutating func update(_ bytes: UnsafeRawBufferPointer) {
        guard let base = bytes.baseAddress, bytes.count > 0 else { return }
        nettle_sha256_update(&ctx, bytes.count, base.assumingMemoryBound(to: UInt8.self))
    }

    /// Feeds bytes.
    mutating func update(_ bytes: [UInt8]) {
        bytes.withUnsafeBytes { update($0) }
    }

    /// The digest of everything fed so far (the state is reset afterwards).
    mutating func finalize() -> Digest {
        var out = [UInt8](repeating: 0, count: 32)
        nettle_sha256_digest(&ctx, 32, &out)
        let digits: [UInt8] = Array("0123456789abcdef".utf8)
        var hex = [UInt8]()
        hex.reserveCapacity(64)
        for b in out { hex.append(digits[Int(b >> 4)]); hex.append(digits[Int(b & 15)]) }
        return Digest(hexDigest: String(decoding: hex, as: UTF8.self))
    }
}
