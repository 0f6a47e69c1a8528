import SwiftBoxLinux

/// A JSON reader without Codable, for the documents every container start
/// reads (`config.json`, in the runtime and again in container init).
///
/// Why not Codable: the first decode of each type in a process makes the Swift
/// runtime check its generic requirements (`CodingKeys: CodingKey`, `[T]:
/// Decodable`, …) by scanning every protocol-conformance record of the binary,
/// once per type and protocol. For a config that was 2 ms of the runtime's
/// start and as much again in init, more than parsing the bytes. Types that
/// adopt `JSONReadable` are decoded by `JSONDocument` with this reader instead;
/// errors read as Codable's did: file, JSON path, line and what was expected.
public protocol JSONReadable {
    init(json: JSONObject) throws
}

/// One parsed JSON value and where it starts in the document.
public struct JSONNode: Sendable {
    public indirect enum Kind: Sendable {
        case null
        case bool(Bool)
        /// The number's text, checked against JSON's grammar; converted on use.
        case number(String)
        case string(String)
        case array([JSONNode])
        case object([(key: String, value: JSONNode)])
    }
    public var kind: Kind
    /// Byte offset of the value in the document (for line numbers in errors).
    public var offset: Int

    /// How an error names this value's kind ("found a string").
    var found: String {
        switch kind {
        case .null: return "null"
        case .bool: return "a boolean"
        case .number(let n): return "a number (\(n))"
        case .string: return "a string"
        case .array: return "an array"
        case .object: return "an object"
        }
    }

    /// The value as a `JSONValue` (for parts carried without interpretation).
    public var value: JSONValue {
        switch kind {
        case .null: return .null
        case .bool(let b): return .bool(b)
        case .number(let n): return .number(Double(n) ?? 0)
        case .string(let s): return .string(s)
        case .array(let a): return .array(a.map(\.value))
        case .object(let o):
            var d: [String: JSONValue] = [:]
            for (k, v) in o { d[k] = v.value }
            return .object(d)
        }
    }
}

/// The document a reader came from: names it and finds lines for errors.
public final class JSONSource: Sendable {
    public let file: String
    let bytes: [UInt8]
    /// Set for container init: sections only the runtime uses are not read
    /// (see `Linux.init(json:)`).
    public let parentHandled: Bool

    init(file: String, bytes: [UInt8], parentHandled: Bool) {
        self.file = file; self.bytes = bytes; self.parentHandled = parentHandled
    }

    func line(at offset: Int) -> Int {
        var line = 1
        var i = 0
        let end = min(offset, bytes.count)
        while i < end { if bytes[i] == 0x0A { line += 1 }; i += 1 }
        return line
    }

    func error(_ path: String, at offset: Int, _ message: String) -> SwiftBoxError {
        SwiftBoxError("\(file): \(path) (line \(line(at: offset))): \(message)")
    }
}

/// A JSON object being read into a type; `path` is its JSON path (`$.process`).
public struct JSONObject {
    public let source: JSONSource
    public let path: String
    let node: JSONNode
    let fields: [(key: String, value: JSONNode)]

    init(_ node: JSONNode, path: String, source: JSONSource) throws {
        guard case .object(let f) = node.kind else {
            throw source.error(path, at: node.offset, "expected an object, found \(node.found)")
        }
        self.node = node; self.fields = f; self.path = path; self.source = source
    }

    /// The document's top-level object.
    public static func parse(_ bytes: [UInt8], file: String, parentHandled: Bool = false) throws -> JSONObject {
        let source = JSONSource(file: file, bytes: bytes, parentHandled: parentHandled)
        var p = JSONParser(bytes: bytes)
        let root: JSONNode
        do { root = try p.document() } catch let e as JSONParser.Failure {
            throw SwiftBoxError("\(file): not valid JSON: \(e.message) (line \(source.line(at: e.offset)))")
        }
        return try JSONObject(root, path: "$", source: source)
    }

    /// The value of `key`; nil when it is absent or null (as Codable's decodeIfPresent).
    public func node(_ key: String) -> JSONNode? {
        var found: JSONNode?
        for f in fields where f.key == key { found = f.value } // the last of duplicates, as JSONDecoder
        if let n = found, case .null = n.kind { return nil }
        return found
    }

    func sub(_ key: String) -> String { path + "." + key }

    func fail(_ key: String, _ n: JSONNode, expected: String) -> SwiftBoxError {
        source.error(sub(key), at: n.offset, "expected \(expected), found \(n.found)")
    }

    /// Throws the error Codable gave for a missing required field.
    func missing(_ key: String) -> SwiftBoxError {
        source.error(path, at: node.offset, "missing required field \"\(key)\"")
    }

    public func string(_ key: String) throws -> String? {
        guard let n = node(key) else { return nil }
        return try JSONScalar.string(n, path: sub(key), source: source)
    }

    public func string(required key: String) throws -> String {
        guard let s = try string(key) else { throw missing(key) }
        return s
    }

    public func bool(_ key: String) throws -> Bool? {
        guard let n = node(key) else { return nil }
        guard case .bool(let b) = n.kind else { throw fail(key, n, expected: "a boolean") }
        return b
    }

    public func bool(required key: String) throws -> Bool {
        guard let b = try bool(key) else { throw missing(key) }
        return b
    }

    public func integer<T: FixedWidthInteger>(_ key: String, _ type: T.Type) throws -> T? {
        guard let n = node(key) else { return nil }
        return try JSONScalar.integer(n, type, path: sub(key), source: source)
    }

    public func integer<T: FixedWidthInteger>(required key: String, _ type: T.Type) throws -> T {
        guard let v = try integer(key, type) else { throw missing(key) }
        return v
    }

    public func object<T>(_ key: String, _ make: (JSONObject) throws -> T) throws -> T? {
        guard let n = node(key) else { return nil }
        return try make(JSONObject(n, path: sub(key), source: source))
    }

    public func object<T>(required key: String, _ make: (JSONObject) throws -> T) throws -> T {
        guard let v = try object(key, make) else { throw missing(key) }
        return v
    }

    /// An array of objects, each read by `make`.
    public func objects<T>(_ key: String, _ make: (JSONObject) throws -> T) throws -> [T]? {
        try array(key) { n, p in try make(JSONObject(n, path: p, source: source)) }
    }

    public func strings(_ key: String) throws -> [String]? {
        try array(key) { n, p in try JSONScalar.string(n, path: p, source: source) }
    }

    public func strings(required key: String) throws -> [String] {
        guard let v = try strings(key) else { throw missing(key) }
        return v
    }

    public func integers<T: FixedWidthInteger>(_ key: String, _ type: T.Type) throws -> [T]? {
        try array(key) { n, p in try JSONScalar.integer(n, type, path: p, source: source) }
    }

    /// An array whose elements `make` reads from their node and JSON path.
    public func array<T>(_ key: String, _ make: (JSONNode, String) throws -> T) throws -> [T]? {
        guard let n = node(key) else { return nil }
        guard case .array(let items) = n.kind else { throw fail(key, n, expected: "an array") }
        var out: [T] = []
        out.reserveCapacity(items.count)
        let base = sub(key)
        for (i, item) in items.enumerated() {
            if case .null = item.kind {
                throw source.error(base + "[\(i)]", at: item.offset, "expected a value, found null")
            }
            out.append(try make(item, base + "[\(i)]"))
        }
        return out
    }

    /// An object whose values `make` reads, keyed by name.
    public func map<T>(_ key: String, _ make: (JSONNode, String) throws -> T) throws -> [String: T]? {
        guard let n = node(key) else { return nil }
        guard case .object(let entries) = n.kind else { throw fail(key, n, expected: "an object") }
        var out: [String: T] = [:]
        let base = sub(key)
        for (k, v) in entries {
            if case .null = v.kind { throw source.error(base + "." + k, at: v.offset, "expected a value, found null") }
            out[k] = try make(v, base + "." + k)
        }
        return out
    }

    public func stringMap(_ key: String) throws -> [String: String]? {
        try map(key) { n, p in try JSONScalar.string(n, path: p, source: source) }
    }

    public func objectMap<T>(_ key: String, _ make: (JSONObject) throws -> T) throws -> [String: T]? {
        try map(key) { n, p in try make(JSONObject(n, path: p, source: source)) }
    }

    /// Any value, carried as `JSONValue`.
    public func value(_ key: String) -> JSONValue? { node(key)?.value }
}

/// Scalar conversions with Codable's checks (type, integer range, no fraction).
public enum JSONScalar {
    public static func string(_ n: JSONNode, path: String, source: JSONSource) throws -> String {
        guard case .string(let s) = n.kind else {
            throw source.error(path, at: n.offset, "expected a string, found \(n.found)")
        }
        return s
    }

    public static func integer<T: FixedWidthInteger>(_ n: JSONNode, _ type: T.Type, path: String,
                                                     source: JSONSource) throws -> T {
        guard case .number(let text) = n.kind else {
            throw source.error(path, at: n.offset, "expected a number (\(T.self)), found \(n.found)")
        }
        if let v = T(text) { return v }
        // 1e3 or 10.0 are whole numbers JSONDecoder accepts; 1.5 or 1e30 do not fit.
        if let d = Double(text), d.rounded() == d, let v = T(exactly: d) { return v }
        throw source.error(path, at: n.offset, "number \(text) does not fit in \(T.self)")
    }
}
