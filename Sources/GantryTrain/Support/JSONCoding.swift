import FoundationEssentials


/// How every JSON file Gantry writes is spelled (config.json, metrics.jsonl, checkpoint
/// headers, `--json` reports): keys are the Swift property names in snake_case
/// (`globalBatch` is `global_batch`), sorted, with slashes unescaped. Reading converts
/// snake_case back, and leaves keys without underscores as they are, so the camelCase keys
/// of the first checkpoint headers still read.
public enum JSONCoding {
    public static func encode<Value: Encodable>(_ value: Value, pretty: Bool = false) throws -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.keyEncodingStrategy = .convertToSnakeCase
        encoder.outputFormatting = pretty ? [.sortedKeys, .withoutEscapingSlashes, .prettyPrinted]
            : [.sortedKeys, .withoutEscapingSlashes]
        return Array(try encoder.encode(value))
    }

    /// One line of text (for `--json` output and metrics.jsonl).
    public static func line<Value: Encodable>(_ value: Value) throws -> String {
        String(decoding: try encode(value), as: UTF8.self)
    }

    public static func decode<Value: Decodable>(_ type: Value.Type, from bytes: some Sequence<UInt8>) throws -> Value {
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        return try decoder.decode(type, from: Data(bytes))
    }
}
