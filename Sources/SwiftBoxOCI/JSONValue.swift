/// Any JSON value, for parts of a document swiftbox carries without interpreting.
public enum JSONValue: Codable, Equatable, Sendable {
    case null
    case bool(Bool)
    case number(Double)
    case string(String)
    case array([JSONValue])
    case object([String: JSONValue])

    public init(from decoder: Decoder) throws {
        let c = try decoder.singleValueContainer()
        if c.decodeNil() { self = .null }
        else if let b = try? c.decode(Bool.self) { self = .bool(b) }
        else if let n = try? c.decode(Double.self) { self = .number(n) }
        else if let s = try? c.decode(String.self) { self = .string(s) }
        else if let a = try? c.decode([JSONValue].self) { self = .array(a) }
        else { self = .object(try c.decode([String: JSONValue].self)) }
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.singleValueContainer()
        switch self {
        case .null: try c.encodeNil()
        case .bool(let b): try c.encode(b)
        case .number(let n): try c.encode(n)
        case .string(let s): try c.encode(s)
        case .array(let a): try c.encode(a)
        case .object(let o): try c.encode(o)
        }
    }
}

extension JSONValue {
    /// `self` with `other` laid over it: objects merge key by key (recursively),
    /// anything else in `other` other than null replaces what was there.
    public func overlaid(by other: JSONValue) -> JSONValue {
        switch (self, other) {
        case (.object(var base), .object(let top)):
            for (k, v) in top where v != .null { base[k] = base[k].map { $0.overlaid(by: v) } ?? v }
            return .object(base)
        case (_, .null): return self
        default: return other
        }
    }
}

extension Resources {
    /// These resources with the fields `changes` sets laid over them, as
    /// `update` records them (runc keeps the merged resources too).
    public func overlaid(by changes: Resources) throws -> Resources {
        let base = try JSONDocument.decode(JSONValue.self, from: JSONDocument.encode(self), file: "resources")
        let top = try JSONDocument.decode(JSONValue.self, from: JSONDocument.encode(changes), file: "resources")
        return try JSONDocument.decode(Resources.self, from: JSONDocument.encode(base.overlaid(by: top)), file: "resources")
    }
}
