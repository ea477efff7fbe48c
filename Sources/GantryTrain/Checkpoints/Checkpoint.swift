import GantryNN

/// A training checkpoint (docs/checkpoint-format.md): the header, both networks with their
/// Adam state, the moving average of G if the run keeps one, and the recent metrics, in the
/// sections of a CheckpointFile.
public struct Checkpoint {
    public var header: CheckpointHeader
    public var generator: NetworkSnapshot
    public var discriminator: NetworkSnapshot
    /// `--g-ema-kimg`: the moving average of G; nil when the run keeps none (and before
    /// format version 4).
    public var generatorEMA: GeneratorEMASnapshot?
    /// The latest metrics records, so that a resumed run keeps its recent history.
    public var recentMetrics: [MetricsRecord]

    public init(header: CheckpointHeader, generator: NetworkSnapshot, discriminator: NetworkSnapshot,
                recentMetrics: [MetricsRecord] = [], generatorEMA: GeneratorEMASnapshot? = nil) {
        self.header = header
        self.generator = generator
        self.discriminator = discriminator
        self.recentMetrics = recentMetrics
        self.generatorEMA = generatorEMA
    }

    /// The G that samples, evaluation and export use: the moving average when the checkpoint
    /// holds one, unless `raw` asks for the trained G (`--raw-g`).
    public func generatorWeights(raw: Bool) -> any NetworkWeights {
        if !raw, let generatorEMA { return generatorEMA }
        return generator
    }

    /// The model this checkpoint was trained as.
    public func modelKind() throws -> ModelKind {
        guard let kind = ModelKind(rawValue: header.model) else {
            throw GantryError("checkpoint is for unknown model '\(printable(header.model))'")
        }
        return kind
    }

    /// The networks this checkpoint holds: its model, shaped by its training options.
    public func architecture(source: String) throws -> Architecture {
        Architecture(try modelKind(), options: try header.trainingOptions(source: source))
    }

    // MARK: Encoding

    public func encode() throws -> [UInt8] {
        var sections: [(name: String, payload: [UInt8])] = [("header", try JSONCoding.encode(header))]
        for (prefix, snapshot) in [("G", generator), ("D", discriminator)] {
            sections.append(("\(prefix).parameters", Self.bytes(of: snapshot.parameters)))
            sections.append(("\(prefix).state", Self.bytes(of: snapshot.state)))
            sections.append(("\(prefix).adam.step", Self.bytes(of: [Int64(snapshot.adamStep)])))
            sections.append(("\(prefix).adam.m", Self.bytes(of: snapshot.adamFirstMoment)))
            sections.append(("\(prefix).adam.v", Self.bytes(of: snapshot.adamSecondMoment)))
        }
        if let generatorEMA {
            sections.append(("G_ema.parameters", Self.bytes(of: generatorEMA.parameters)))
            sections.append(("G_ema.state", Self.bytes(of: generatorEMA.state)))
            sections.append(("G_ema.images", Self.bytes(of: [Int64(generatorEMA.images)])))
        }
        sections.append(("metrics", try JSONCoding.encode(recentMetrics)))
        return CheckpointFile.encode(sections)
    }

    /// Writes atomically (temporary file, fsync, rename): `path` is either the old complete
    /// file or the new complete one, never a partial one.
    public func write(to path: String) throws {
        try AtomicFile.write(try encode(), to: path)
    }

    // MARK: Decoding

    public static func load(_ path: String) throws -> Checkpoint {
        try decode(read(path), source: path)
    }

    /// The bytes of the checkpoint file `path`, checked as a container first (CheckpointFile.read)
    /// and refused unread if larger than any model's checkpoint can be.
    public static func read(_ path: String) throws -> [UInt8] {
        try CheckpointFile.read(path, limit: largestFileBytes)
    }

    /// No checkpoint is larger: the float sections of the largest model (G's moving average
    /// included), and room to spare for the header and metrics JSON.
    static let largestFileBytes: Int = ModelKind.allCases.map { kind in
        let counts = Architecture.largest(kind).parameterCounts
        let floats = 3 * (counts.generator.parameters + counts.discriminator.parameters)
            + counts.generator.state + counts.discriminator.state
            + counts.generator.parameters + counts.generator.state
        return 4 * floats
    }.max()! + (64 << 20)

    /// Parses and validates every section: CRCs, the header, and array sizes against the model.
    public static func decode(_ bytes: [UInt8], source: String) throws -> Checkpoint {
        let file = try CheckpointFile.parse(bytes, source: source)
        if let bad = file.sections.first(where: { !$0.crcIsValid }) {
            throw GantryError("\(source) is corrupt: section \(printable(bad.name)) fails its CRC32 check")
        }
        func payload(_ name: String) throws -> [UInt8] {
            guard let section = file.section(name) else { throw GantryError("\(source) lacks the section \(name)") }
            return section.payload
        }
        let header: CheckpointHeader
        let recentMetrics: [MetricsRecord]
        do {
            header = try JSONCoding.decode(CheckpointHeader.self, from: try payload("header"))
            recentMetrics = try JSONCoding.decode([MetricsRecord].self, from: try payload("metrics"))
        } catch let error as GantryError {
            throw error
        } catch {
            throw GantryError("\(source) has an unreadable header or metrics section: \(printable("\(error)", limit: 500))")
        }
        guard let kind = ModelKind(rawValue: header.model) else {
            throw GantryError("\(source) is for unknown model '\(printable(header.model))'")
        }
        let shape = kind.sampleShape
        let problems = [
            header.step < 0 ? "a negative step (\(header.step))" : nil,
            header.worldSize < 1 ? "a world size of \(header.worldSize)" : nil,
            header.globalBatch < 1 ? "a global batch of \(header.globalBatch)" : nil,
            header.sampler.batchCounter < 0 || header.sampler.epoch < 0 ? "a negative sampler position" : nil,
            header.noiseDimension != kind.noiseDimension ? "noise of \(header.noiseDimension) dimensions for \(kind.rawValue)" : nil,
            header.sampleShape != [shape.channels, shape.height, shape.width]
                ? "sample shape \(header.sampleShape) for \(kind.rawValue)" : nil,
        ].compactMap { $0 }
        if let problem = problems.first {
            throw GantryError("\(source) has an inconsistent header: \(problem)")
        }
        // The options shape the networks (widths, maxout, packing): sizes follow from both.
        let expected = Architecture(kind, options: try header.trainingOptions(source: source)).parameterCounts

        func floats(_ name: String, count: Int) throws -> [Float] {
            let values: [Float] = try Self.values(try payload(name), section: name, source: source)
            guard values.count == count else {
                throw GantryError("\(source): section \(name) holds \(values.count) floats; model \(kind.rawValue) has \(count)")
            }
            // Training never saves a NaN or an infinity (a non-finite step stops first), so
            // one here is damage that would poison every step after it.
            if let index = values.firstIndex(where: { !$0.isFinite }) {
                throw GantryError("\(source): section \(name) holds a non-finite value (\(values[index]) at index \(index))")
            }
            return values
        }
        /// The single non-negative Int64 of section `name` (a count).
        func count(_ name: String) throws -> Int {
            let values: [Int64] = try Self.values(try payload(name), section: name, source: source)
            guard values.count == 1, values[0] >= 0 else { throw GantryError("\(source): section \(name) is malformed") }
            return Int(values[0])
        }
        func snapshot(_ prefix: String, parameters: Int, state: Int) throws -> NetworkSnapshot {
            NetworkSnapshot(parameters: try floats("\(prefix).parameters", count: parameters),
                            state: try floats("\(prefix).state", count: state),
                            adamStep: try count("\(prefix).adam.step"),
                            adamFirstMoment: try floats("\(prefix).adam.m", count: parameters),
                            adamSecondMoment: try floats("\(prefix).adam.v", count: parameters))
        }
        // G's moving average, in format version 4 and only when the run kept one: its
        // parameters section says whether the others must be there.
        let generatorEMA = try file.section("G_ema.parameters").map { _ in
            GeneratorEMASnapshot(parameters: try floats("G_ema.parameters", count: expected.generator.parameters),
                                 state: try floats("G_ema.state", count: expected.generator.state),
                                 images: try count("G_ema.images"))
        }
        return Checkpoint(header: header,
                          generator: try snapshot("G", parameters: expected.generator.parameters, state: expected.generator.state),
                          discriminator: try snapshot("D", parameters: expected.discriminator.parameters,
                                                      state: expected.discriminator.state),
                          recentMetrics: recentMetrics, generatorEMA: generatorEMA)
    }

    static func bytes<T>(of values: [T]) -> [UInt8] {
        values.withUnsafeBytes { Array($0) }
    }

    static func values<T>(_ bytes: [UInt8], section: String, source: String) throws -> [T] {
        let size = MemoryLayout<T>.stride
        guard bytes.count % size == 0 else {
            throw GantryError("\(source): section \(section) ends inside a value (\(bytes.count) bytes)")
        }
        return [T](unsafeUninitializedCapacity: bytes.count / size) { buffer, count in
            bytes.withUnsafeBytes { UnsafeMutableRawBufferPointer(buffer).copyMemory(from: $0) }
            count = bytes.count / size
        }
    }
}
