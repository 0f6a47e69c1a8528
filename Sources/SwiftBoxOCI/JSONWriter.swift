/// Writes the small JSON objects of every container start (state.json, the
/// init channel's messages) without Codable, for the reason JSONReader gives.
public protocol JSONWritable {
    /// The value as compact JSON, keys in the order written.
    func json() -> [UInt8]
}

/// Builds one JSON object; nil values are left out, as Codable's
/// `encodeIfPresent` leaves them out.
public struct JSONObjectWriter {
    private var out: [UInt8] = [UInt8(ascii: "{")]
    private var empty = true

    public init() {}

    private mutating func key(_ k: String) {
        if !empty { out.append(UInt8(ascii: ",")) }
        empty = false
        JSONObjectWriter.appendString(k, to: &out)
        out.append(UInt8(ascii: ":"))
    }

    public mutating func add(_ k: String, _ v: String?) {
        guard let v else { return }
        key(k)
        JSONObjectWriter.appendString(v, to: &out)
    }

    public mutating func add(_ k: String, _ v: Bool?) {
        guard let v else { return }
        key(k)
        out.append(contentsOf: (v ? "true" : "false").utf8)
    }

    public mutating func add<T: BinaryInteger>(_ k: String, _ v: T?) {
        guard let v else { return }
        key(k)
        out.append(contentsOf: String(v).utf8)
    }

    /// A string map, keys sorted.
    public mutating func add(_ k: String, _ v: [String: String]?) {
        guard let v else { return }
        var o = JSONObjectWriter()
        for (mk, mv) in v.sorted(by: { $0.key < $1.key }) { o.add(mk, mv) }
        addRaw(k, o.finish())
    }

    /// Already encoded JSON.
    public mutating func addRaw(_ k: String, _ json: [UInt8]?) {
        guard let json else { return }
        key(k)
        out.append(contentsOf: json)
    }

    public func finish() -> [UInt8] { out + [UInt8(ascii: "}")] }

    /// `s` as a JSON string: quotes, backslashes and control characters
    /// escaped; everything else (including `/` and non-ASCII) as it is.
    static func appendString(_ s: String, to out: inout [UInt8]) {
        out.append(UInt8(ascii: "\""))
        for c in s.utf8 {
            switch c {
            case UInt8(ascii: "\""): out.append(contentsOf: [0x5C, 0x22])
            case UInt8(ascii: "\\"): out.append(contentsOf: [0x5C, 0x5C])
            case 0x0A: out.append(contentsOf: [0x5C, UInt8(ascii: "n")])
            case 0x0D: out.append(contentsOf: [0x5C, UInt8(ascii: "r")])
            case 0x09: out.append(contentsOf: [0x5C, UInt8(ascii: "t")])
            case 0..<0x20:
                let hex = Array("0123456789abcdef".utf8)
                out.append(contentsOf: [0x5C, UInt8(ascii: "u"), UInt8(ascii: "0"), UInt8(ascii: "0"),
                                        hex[Int(c >> 4)], hex[Int(c & 0xF)]])
            default: out.append(c)
            }
        }
        out.append(UInt8(ascii: "\""))
    }
}
