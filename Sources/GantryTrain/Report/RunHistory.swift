/// A run directory as the report reads it: config.json, every numeric field of
/// metrics.jsonl as a series over steps, and the sample pictures.
///
/// The records are read as plain JSON objects, not as `MetricsRecord`, so that the lines of
/// older runs (fewer fields) and of newer ones (more fields) read alike: a field a record
/// lacks is a gap in that series, and a field the report does not know becomes a plot of
/// its own.
public struct RunHistory {
    public let directory: String
    let config: RunConfig
    /// Each numeric field by key, in order of step; a nested object's fields are joined to
    /// its key with a dot ("seconds.data").
    public let fields: [String: [PlotPoint]]
    /// The keys of `fields`, sorted.
    public var fieldNames: [String] { fields.keys.sorted() }
    public let recordCount: Int
    /// The newest record's numeric fields.
    public let newest: [String: Double]
    public let samples: [SampleFile]

    /// Keys of a record that are not quantities to plot: the x axis, and a clock reading.
    static let notPlotted: Set<String> = ["step", "wall_time"]

    public var lastStep: Int { max(Int(fields.values.compactMap { $0.last?.x }.max() ?? 0), resumptions.map(\.step).max() ?? 0) }
    public var totalSteps: Int { config.resumes.last?.totalSteps ?? config.totalSteps }
    var resumptions: [Resumption] { config.resumes }

    /// Reads `directory`; a missing or malformed file is a GantryError naming it.
    public init(directory: String) throws {
        guard isDirectory(directory) else {
            throw GantryError("\(directory) is not a run directory: no such directory (give the --out of a gantry train run)")
        }
        self.directory = directory
        config = try Self.readConfig("\(directory)/config.json")
        let records = try Self.readRecords("\(directory)/metrics.jsonl")
        recordCount = records.count
        var fields: [String: [PlotPoint]] = [:]
        for record in records {
            for (key, value) in record.values {
                fields[key, default: []].append(PlotPoint(x: Double(record.step), y: value))
            }
        }
        self.fields = fields
        newest = records.last?.values ?? [:]
        samples = directoryEntries("\(directory)/samples").compactMap { SampleFile(name: $0, directory: "\(directory)/samples") }
    }

    private static func readConfig(_ path: String) throws -> RunConfig {
        let bytes = try AtomicFile.read(path)
        do {
            return try JSONCoding.decode(RunConfig.self, from: bytes)
        } catch let error as DecodingError {
            throw GantryError("\(path) is not a Gantry config.json: \(describe(error))")
        }
    }

    /// One record: its step and its numeric fields, flattened.
    private struct Record {
        var step: Int
        var values: [String: Double]
    }

    private static func readRecords(_ path: String) throws -> [Record] {
        let lines = try AtomicFile.read(path).split(separator: 10, omittingEmptySubsequences: false)
        var records: [Record] = []
        records.reserveCapacity(lines.count)
        for (index, line) in lines.enumerated() where !line.allSatisfy({ $0 == 32 || $0 == 13 }) {
            guard case .object(let object)? = try? JSONValue(parsing: line) else {
                throw GantryError("\(path) line \(index + 1) is not a JSON object")
            }
            guard let step = object["step"]?.integer else {
                throw GantryError("\(path) line \(index + 1) has no integer \"step\"")
            }
            var values: [String: Double] = [:]
            flatten(object, prefix: "", into: &values)
            records.append(Record(step: step, values: values))
        }
        // Lines are appended in step order; a stable sort only guards against a file put
        // together by hand, since the plots need ascending steps.
        return records.enumerated().sorted { ($0.element.step, $0.offset) < ($1.element.step, $1.offset) }.map(\.element)
    }

    /// The finite numbers of `object`, nested objects' under "key.inner"; strings, booleans
    /// and arrays are not plotted.
    private static func flatten(_ object: [String: JSONValue], prefix: String, into values: inout [String: Double]) {
        for (key, value) in object where !notPlotted.contains(prefix + key) {
            if case .object(let inner) = value {
                flatten(inner, prefix: prefix + key + ".", into: &values)
            } else if let number = value.number, number.isFinite {
                values[prefix + key] = number
            }
        }
    }
}

/// One picture of samples/: `step-NNNNNN.png`.
public struct SampleFile: Equatable {
    public let step: Int
    public let path: String

    init?(name: String, directory: String) {
        guard name.hasPrefix("step-"), name.hasSuffix(".png"),
              let step = Int(name.dropFirst(5).dropLast(4)) else { return nil }
        self.step = step
        path = "\(directory)/\(name)"
    }
}

/// A decoding error in one short clause: which key, what is wrong.
private func describe(_ error: DecodingError) -> String {
    func keyPath(_ path: [CodingKey]) -> String {
        path.map { $0.intValue.map(String.init) ?? snakeCase($0.stringValue) }.joined(separator: ".")
    }
    switch error {
    case .keyNotFound(let key, let context):
        return "missing \"\(keyPath(context.codingPath + [key]))\""
    case .typeMismatch(_, let context), .valueNotFound(_, let context):
        return "\"\(keyPath(context.codingPath))\" has the wrong type"
    case .dataCorrupted(let context):
        return context.codingPath.isEmpty ? "not valid JSON" : "\"\(keyPath(context.codingPath))\" is malformed"
    @unknown default:
        return "unreadable"
    }
}

/// `worldSize` → `world_size`: the key as the file spells it.
private func snakeCase(_ name: String) -> String {
    name.reduce(into: "") { text, character in
        if character.isUppercase { text += "_" + character.lowercased() } else { text.append(character) }
    }
}
