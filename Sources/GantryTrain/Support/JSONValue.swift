import FoundationEssentials


/// A JSON value whose shape no Swift type declares: a metrics.jsonl line read back for
/// plotting, a checkpoint header shown whole by `inspect --json`, the objects of `--json`
/// reports, a safetensors header. Keys stay exactly as written (no snake_case conversion,
/// unlike `JSONCoding`'s typed values); output has sorted keys and unescaped slashes, as
/// every JSON file Gantry writes.
public enum JSONValue: Codable, Equatable {
    case null
    case bool(Bool)
    case integer(Int)
    /// An integer above `Int.max` (a 64-bit seed), kept exact.
    case unsignedInteger(UInt64)
    case number(Double)
    case string(String)
    case array([JSONValue])
    case object([String: JSONValue])

    /// Parses one JSON document.
    public init(parsing bytes: some Sequence<UInt8>) throws {
        self = try JSONDecoder().decode(JSONValue.self, from: Data(bytes))
    }

    /// `value` as `JSONCoding` writes it (snake_case keys), as a tree.
    public init(encoding value: some Encodable) throws {
        try self.init(parsing: JSONCoding.encode(value))
    }

    /// The JSON text, on one line unless `pretty`.
    public func encoded(pretty: Bool = false) throws -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = pretty ? [.sortedKeys, .withoutEscapingSlashes, .prettyPrinted]
            : [.sortedKeys, .withoutEscapingSlashes]
        return Array(try encoder.encode(self))
    }

    /// An object's member; nil for a missing key or a value that is no object.
    public subscript(key: String) -> JSONValue? {
        if case .object(let members) = self { return members[key] }
        return nil
    }

    /// An integer, or nil.
    public var integer: Int? {
        if case .integer(let value) = self { return value }
        return nil
    }

    /// Any number (an integer too), or nil; booleans are not numbers.
    public var number: Double? {
        switch self {
        case .integer(let value): return Double(value)
        case .unsignedInteger(let value): return Double(value)
        case .number(let value): return value
        default: return nil
        }
    }

    public init(from decoder: Decoder) throws {
        let container = try decoder.singleValueContainer()
        // Each failed attempt throws, which costs: numbers first (most of a metrics line),
        // then an integral number once more as an integer. JSON's `true` is no number.
        if container.decodeNil() {
            self = .null
        } else if let value = try? container.decode(Double.self) {
            if value != value.rounded() {
                self = .number(value)
            } else if let integer = try? container.decode(Int.self) {
                self = .integer(integer)
            } else if let integer = try? container.decode(UInt64.self) {
                self = .unsignedInteger(integer)
            } else {
                self = .number(value)  // 1e300: integral, but no integer type holds it
            }
        } else if let value = try? container.decode(Bool.self) {
            self = .bool(value)
        } else if let value = try? container.decode(String.self) {
            self = .string(value)
        } else if let value = try? container.decode([JSONValue].self) {
            self = .array(value)
        } else {
            self = .object(try container.decode([String: JSONValue].self))
        }
    }

    public func encode(to encoder: Encoder) throws {
        var container = encoder.singleValueContainer()
        switch self {
        case .null: try container.encodeNil()
        case .bool(let value): try container.encode(value)
        case .integer(let value): try container.encode(value)
        case .unsignedInteger(let value): try container.encode(value)
        case .number(let value): try container.encode(value)
        case .string(let value): try container.encode(value)
        case .array(let value): try container.encode(value)
        case .object(let value): try container.encode(value)
        }
    }
}
