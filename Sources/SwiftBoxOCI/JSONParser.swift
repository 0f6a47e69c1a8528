// The byte-level parser behind JSONReader (see JSONReader.swift).

/// A strict JSON (RFC 8259) parser over bytes.
struct JSONParser {
    struct Failure: Error { var message: String; var offset: Int }

    let bytes: [UInt8]
    var i = 0
    var depth = 0

    init(bytes: [UInt8]) { self.bytes = bytes }

    mutating func document() throws -> JSONNode {
        let v = try value()
        skipSpace()
        if i < bytes.count { throw Failure(message: "unexpected text after the document", offset: i) }
        return v
    }

    mutating func skipSpace() {
        while i < bytes.count {
            let c = bytes[i]
            if c == 0x20 || c == 0x0A || c == 0x0D || c == 0x09 { i += 1 } else { return }
        }
    }

    mutating func value() throws -> JSONNode {
        skipSpace()
        guard i < bytes.count else { throw Failure(message: "unexpected end of the document", offset: i) }
        let start = i
        switch bytes[i] {
        case UInt8(ascii: "{"): return JSONNode(kind: try object(), offset: start)
        case UInt8(ascii: "["): return JSONNode(kind: try array(), offset: start)
        case UInt8(ascii: "\""): return JSONNode(kind: .string(try string()), offset: start)
        case UInt8(ascii: "t"): try literal("true"); return JSONNode(kind: .bool(true), offset: start)
        case UInt8(ascii: "f"): try literal("false"); return JSONNode(kind: .bool(false), offset: start)
        case UInt8(ascii: "n"): try literal("null"); return JSONNode(kind: .null, offset: start)
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return JSONNode(kind: .number(try number()), offset: start)
        default: throw Failure(message: "unexpected character '\(Unicode.Scalar(bytes[i]))'", offset: i)
        }
    }

    mutating func literal(_ word: String) throws {
        var k = i
        for c in word.utf8 {
            guard k < bytes.count, bytes[k] == c else { throw Failure(message: "invalid literal", offset: i) }
            k += 1
        }
        i = k
    }

    mutating func nest() throws {
        depth += 1
        if depth > 512 { throw Failure(message: "nested too deeply", offset: i) }
    }

    mutating func object() throws -> JSONNode.Kind {
        try nest()
        defer { depth -= 1 }
        i += 1
        var fields: [(key: String, value: JSONNode)] = []
        skipSpace()
        if i < bytes.count, bytes[i] == UInt8(ascii: "}") { i += 1; return .object(fields) }
        while true {
            skipSpace()
            guard i < bytes.count, bytes[i] == UInt8(ascii: "\"") else { throw Failure(message: "expected a key in quotes", offset: i) }
            let key = try string()
            skipSpace()
            guard i < bytes.count, bytes[i] == UInt8(ascii: ":") else { throw Failure(message: "expected ':' after key \"\(key)\"", offset: i) }
            i += 1
            fields.append((key, try value()))
            skipSpace()
            guard i < bytes.count else { throw Failure(message: "unexpected end of the document in an object", offset: i) }
            if bytes[i] == UInt8(ascii: ",") { i += 1; continue }
            if bytes[i] == UInt8(ascii: "}") { i += 1; return .object(fields) }
            throw Failure(message: "expected ',' or '}' in an object", offset: i)
        }
    }

    mutating func array() throws -> JSONNode.Kind {
        try nest()
        defer { depth -= 1 }
        i += 1
        var items: [JSONNode] = []
        skipSpace()
        if i < bytes.count, bytes[i] == UInt8(ascii: "]") { i += 1; return .array(items) }
        while true {
            items.append(try value())
            skipSpace()
            guard i < bytes.count else { throw Failure(message: "unexpected end of the document in an array", offset: i) }
            if bytes[i] == UInt8(ascii: ",") { i += 1; continue }
            if bytes[i] == UInt8(ascii: "]") { i += 1; return .array(items) }
            throw Failure(message: "expected ',' or ']' in an array", offset: i)
        }
    }

    mutating func number() throws -> String {
        let start = i
        func digits() -> Int {
            let s = i
            while i < bytes.count, bytes[i] >= UInt8(ascii: "0"), bytes[i] <= UInt8(ascii: "9") { i += 1 }
            return i - s
        }
        if bytes[i] == UInt8(ascii: "-") { i += 1 }
        guard i < bytes.count else { throw Failure(message: "invalid number", offset: start) }
        if bytes[i] == UInt8(ascii: "0") { i += 1 } else if digits() == 0 { throw Failure(message: "invalid number", offset: start) }
        if i < bytes.count, bytes[i] == UInt8(ascii: ".") {
            i += 1
            if digits() == 0 { throw Failure(message: "invalid number", offset: start) }
        }
        if i < bytes.count, bytes[i] == UInt8(ascii: "e") || bytes[i] == UInt8(ascii: "E") {
            i += 1
            if i < bytes.count, bytes[i] == UInt8(ascii: "+") || bytes[i] == UInt8(ascii: "-") { i += 1 }
            if digits() == 0 { throw Failure(message: "invalid number", offset: start) }
        }
        return String(decoding: bytes[start..<i], as: UTF8.self)
    }

    mutating func string() throws -> String {
        let start = i
        i += 1
        // Fast path: no escapes.
        var j = i
        while j < bytes.count {
            let c = bytes[j]
            if c == UInt8(ascii: "\"") {
                let s = try validated(bytes[i..<j], at: start)
                i = j + 1
                return s
            }
            if c == UInt8(ascii: "\\") { break }
            if c < 0x20 { throw Failure(message: "control character in a string", offset: j) }
            j += 1
        }
        var out: [UInt8] = Array(bytes[i..<j])
        i = j
        while i < bytes.count {
            let c = bytes[i]
            if c == UInt8(ascii: "\"") {
                i += 1
                return try validated(out[...], at: start)
            }
            if c < 0x20 { throw Failure(message: "control character in a string", offset: i) }
            if c != UInt8(ascii: "\\") { out.append(c); i += 1; continue }
            i += 1
            guard i < bytes.count else { break }
            let e = bytes[i]
            i += 1
            switch e {
            case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): out.append(e)
            case UInt8(ascii: "b"): out.append(0x08)
            case UInt8(ascii: "f"): out.append(0x0C)
            case UInt8(ascii: "n"): out.append(0x0A)
            case UInt8(ascii: "r"): out.append(0x0D)
            case UInt8(ascii: "t"): out.append(0x09)
            case UInt8(ascii: "u"):
                var scalar = try hex4()
                if (0xD800..<0xDC00).contains(scalar) {
                    // A high surrogate must be followed by \u and a low one.
                    guard i + 1 < bytes.count, bytes[i] == UInt8(ascii: "\\"), bytes[i + 1] == UInt8(ascii: "u") else {
                        throw Failure(message: "unpaired surrogate in a \\u escape", offset: i)
                    }
                    i += 2
                    let low = try hex4()
                    guard (0xDC00..<0xE000).contains(low) else { throw Failure(message: "unpaired surrogate in a \\u escape", offset: i) }
                    scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
                } else if (0xDC00..<0xE000).contains(scalar) {
                    throw Failure(message: "unpaired surrogate in a \\u escape", offset: i)
                }
                guard let u = Unicode.Scalar(scalar) else { throw Failure(message: "invalid \\u escape", offset: i) }
                out.append(contentsOf: Array(String(Character(u)).utf8))
            default: throw Failure(message: "invalid escape '\\\(Unicode.Scalar(e))'", offset: i - 1)
            }
        }
        throw Failure(message: "unterminated string", offset: start)
    }

    mutating func hex4() throws -> UInt32 {
        guard i + 4 <= bytes.count else { throw Failure(message: "invalid \\u escape", offset: i) }
        var v: UInt32 = 0
        for _ in 0..<4 {
            let c = bytes[i]
            let d: UInt8
            switch c {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): d = c - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): d = c - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): d = c - UInt8(ascii: "A") + 10
            default: throw Failure(message: "invalid \\u escape", offset: i)
            }
            v = v << 4 | UInt32(d)
            i += 1
        }
        return v
    }

    /// The bytes as a String, refusing invalid UTF-8 (as JSONDecoder does).
    func validated<C: Collection>(_ b: C, at offset: Int) throws -> String where C.Element == UInt8 {
        guard let s = String(validating: b, as: UTF8.self) else { throw Failure(message: "invalid UTF-8 in a string", offset: offset) }
        return s
    }
}
