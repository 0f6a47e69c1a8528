import FoundationEssentials
#if canImport(Glibc)
import Glibc
#endif
import SwiftBoxLinux

/// Decodes JSON files into Codable types with errors that name the file, the
/// JSON path and the line, e.g.
/// `config.json: $.process.args: expected an array of strings, found a string (line 12)`.
public enum JSONDocument {
    /// Decodes `T` from the file at `path`.
    public static func load<T: Decodable>(_ type: T.Type, from path: String) throws -> T {
        try decode(type, from: read(path), file: path)
    }

    /// Reads `T` from the file at `path` with `JSONReader`, not Codable.
    public static func load<T: Decodable & JSONReadable>(_ type: T.Type, from path: String) throws -> T {
        try decode(type, from: read(path), file: path)
    }

    static func read(_ path: String) throws -> [UInt8] {
        do { return try FS.read(path) } catch let e as SwiftBoxError {
            if e.errno == ENOENT { throw SwiftBoxError("\(path): no such file", errno: ENOENT) }
            throw e
        }
    }

    /// Reads `T` from bytes with `JSONReader` (no Codable, see JSONReader.swift);
    /// `userInfo[.parentHandled]` set skips what only the runtime reads.
    public static func decode<T: Decodable & JSONReadable>(_ type: T.Type, from bytes: [UInt8], file: String,
                                                          userInfo: [CodingUserInfoKey: any Sendable] = [:]) throws -> T {
        try T(json: JSONObject.parse(bytes, file: file, parentHandled: userInfo[.parentHandled] != nil))
    }

    /// Decodes `T` from bytes; `file` names the source in errors.
    public static func decode<T: Decodable>(_ type: T.Type, from bytes: [UInt8], file: String,
                                            userInfo: [CodingUserInfoKey: any Sendable] = [:]) throws -> T {
        do {
            let decoder = JSONDecoder()
            if !userInfo.isEmpty { decoder.userInfo = userInfo }
            return try decoder.decode(type, from: Data(bytes))
        } catch let error as DecodingError {
            throw SwiftBoxError(describe(error, file: file, bytes: bytes))
        }
    }

    /// Encodes a value as JSON (sorted keys, optionally pretty).
    public static func encode<T: Encodable>(_ value: T, pretty: Bool = false) throws -> [UInt8] {
        let enc = JSONEncoder()
        enc.outputFormatting = pretty ? [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
                                      : [.sortedKeys, .withoutEscapingSlashes]
        return Array(try enc.encode(value))
    }

    /// A `$.a.b[0]` rendering of a coding path.
    public static func path(_ codingPath: [CodingKey]) -> String {
        var out = "$"
        for key in codingPath {
            if let i = key.intValue { out += "[\(i)]" } else { out += "." + key.stringValue }
        }
        return out
    }

    static func describe(_ error: DecodingError, file: String, bytes: [UInt8]) -> String {
        func at(_ p: [CodingKey]) -> String {
            let line = JSONLocator.line(of: p.map { $0.intValue.map(JSONLocator.Step.index) ?? .key($0.stringValue) }, in: bytes)
            return "\(file): \(path(p))" + (line.map { " (line \($0))" } ?? "")
        }
        switch error {
        case .typeMismatch(let t, let ctx):
            var found = ""
            if let r = ctx.debugDescription.firstRange(of: "but found ") {
                found = ", found " + ctx.debugDescription[r.upperBound...].replacing(" instead.", with: "")
            }
            return "\(at(ctx.codingPath)): expected \(typeName(t))\(found)"
        case .valueNotFound(let t, let ctx):
            return "\(at(ctx.codingPath)): expected \(typeName(t)), found null"
        case .keyNotFound(let key, let ctx):
            return "\(at(ctx.codingPath)): missing required field \"\(key.stringValue)\""
        case .dataCorrupted(let ctx):
            if ctx.codingPath.isEmpty {
                let detail = (ctx.underlyingError as? CustomStringConvertible)?.description ?? ctx.debugDescription
                return "\(file): not valid JSON: \(detail)"
            }
            return "\(at(ctx.codingPath)): \(ctx.debugDescription)"
        @unknown default:
            return "\(file): \(error)"
        }
    }

    static func typeName(_ t: Any.Type) -> String {
        let n = String(describing: t)
        switch n {
        case "String": return "a string"
        case "Bool": return "a boolean"
        case "Int", "Int64", "Int32", "UInt", "UInt64", "UInt32", "UInt16", "Double": return "a number (\(n))"
        default:
            if n.hasPrefix("Array") { return "an array" }
            if n.hasPrefix("Dictionary") { return "an object" }
            return "an object (\(n))"
        }
    }
}

/// Finds the line on which the value at a JSON path starts, by a small scan of
/// the document (JSONDecoder does not report positions for type errors).
public enum JSONLocator {
    public enum Step: Equatable { case key(String), index(Int) }

    /// The 1-based line of the value at `path`, or nil if it is not present.
    public static func line(of path: [Step], in bytes: [UInt8]) -> Int? {
        var s = Scanner(bytes: bytes)
        s.skipSpace()
        return s.find(path[...])
    }

    struct Scanner {
        let bytes: [UInt8]
        var i = 0
        var line = 1

        mutating func skipSpace() {
            while i < bytes.count {
                let c = bytes[i]
                if c == 0x0A { line += 1 }
                if c == 0x20 || c == 0x0A || c == 0x0D || c == 0x09 { i += 1 } else { break }
            }
        }

        mutating func string() -> String? {
            guard i < bytes.count, bytes[i] == 0x22 else { return nil }
            i += 1
            var out: [UInt8] = []
            while i < bytes.count, bytes[i] != 0x22 {
                if bytes[i] == 0x5C { i += 1 }
                if i < bytes.count { out.append(bytes[i]) }
                i += 1
            }
            i += 1
            return String(decoding: out, as: UTF8.self)
        }

        /// Skips one value; returns false on malformed input.
        mutating func skipValue() -> Bool {
            skipSpace()
            guard i < bytes.count else { return false }
            switch bytes[i] {
            case 0x22: return string() != nil
            case 0x7B, 0x5B:
                let close: UInt8 = bytes[i] == 0x7B ? 0x7D : 0x5D
                let isObject = bytes[i] == 0x7B
                i += 1
                skipSpace()
                if i < bytes.count, bytes[i] == close { i += 1; return true }
                while i < bytes.count {
                    skipSpace()
                    if isObject { guard string() != nil else { return false }; skipSpace(); i += 1 }
                    guard skipValue() else { return false }
                    skipSpace()
                    guard i < bytes.count else { return false }
                    if bytes[i] == close { i += 1; return true }
                    i += 1
                }
                return false
            default:
                while i < bytes.count, ![0x2C, 0x7D, 0x5D, 0x20, 0x0A, 0x0D, 0x09].contains(bytes[i]) { i += 1 }
                return true
            }
        }

        mutating func find(_ path: ArraySlice<Step>) -> Int? {
            skipSpace()
            guard let step = path.first else { return line }
            guard i < bytes.count else { return nil }
            switch step {
            case .key(let want):
                guard bytes[i] == 0x7B else { return nil }
                i += 1
                while true {
                    skipSpace()
                    guard let key = string() else { return nil }
                    skipSpace(); i += 1 // colon
                    if key == want { return find(path.dropFirst()) }
                    guard skipValue() else { return nil }
                    skipSpace()
                    guard i < bytes.count, bytes[i] == 0x2C else { return nil }
                    i += 1
                }
            case .index(let want):
                guard bytes[i] == 0x5B else { return nil }
                i += 1
                var k = 0
                while true {
                    skipSpace()
                    if k == want { return find(path.dropFirst()) }
                    guard skipValue() else { return nil }
                    skipSpace()
                    guard i < bytes.count, bytes[i] == 0x2C else { return nil }
                    i += 1; k += 1
                }
            }
        }
    }
}
