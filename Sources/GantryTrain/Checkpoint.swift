import Foundation
import CZlib
import GantryNN

/// What a checkpoint says about the run it came from (the "header" section, JSON).
public struct CheckpointHeader: Codable {
    public var model: String
    public var dataset: String
    public var sampleShape: [Int]
    public var noiseDimension: Int
    /// Iterations completed; training resumes at this step.
    public var step: Int
    public var epoch: Int
    public var worldSize: Int
    public var globalBatch: Int
    public var seed: UInt64
    public var gantryVersion: String
    public var options: TrainingOptions
}

/// One network's trainable parameters, BatchNorm running statistics and Adam state.
public struct NetworkSnapshot {
    public var parameters: [Float]
    public var state: [Float]
    public var adamStep: Int
    public var adamFirstMoment: [Float]
    public var adamSecondMoment: [Float]

    public init(parameters: [Float], state: [Float], adamStep: Int, adamFirstMoment: [Float], adamSecondMoment: [Float]) {
        self.parameters = parameters
        self.state = state
        self.adamStep = adamStep
        self.adamFirstMoment = adamFirstMoment
        self.adamSecondMoment = adamSecondMoment
    }

    public init(network: Network, optimizer: Adam) {
        parameters = network.parameters.array
        state = network.state.array
        adamStep = optimizer.step
        adamFirstMoment = optimizer.firstMoment.array
        adamSecondMoment = optimizer.secondMoment.array
    }

    /// Copies the parameters and state into `network` (any batch size) and, if given, the
    /// moments into `optimizer`.
    public func restore(into network: Network, optimizer: Adam? = nil) {
        network.parameters.load(parameters)
        network.state.load(state)
        guard let optimizer else { return }
        optimizer.step = adamStep
        optimizer.firstMoment.load(adamFirstMoment)
        optimizer.secondMoment.load(adamSecondMoment)
    }
}

/// A training checkpoint: format version 1, documented in docs/checkpoint-format.md.
///
/// Layout (little-endian): the magic "GANTRYCK", a UInt32 format version, a UInt32 section
/// count, then per section a UInt16 name length and UTF-8 name, a UInt64 payload length, the
/// payload's CRC32 (zlib) as UInt32, and the payload. Float arrays are raw Float32.
public struct Checkpoint {
    public static let magic = Array("GANTRYCK".utf8)
    public static let formatVersion: UInt32 = 1

    public var header: CheckpointHeader
    public var generator: NetworkSnapshot
    public var discriminator: NetworkSnapshot

    public init(header: CheckpointHeader, generator: NetworkSnapshot, discriminator: NetworkSnapshot) {
        self.header = header
        self.generator = generator
        self.discriminator = discriminator
    }

    /// The model this checkpoint was trained as.
    public func modelKind() throws -> ModelKind {
        guard let kind = ModelKind(rawValue: header.model) else {
            throw GantryError("checkpoint is for unknown model '\(header.model)'")
        }
        return kind
    }

    // MARK: Encoding

    public func encode() throws -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        var sections: [(String, [UInt8])] = [("header", Array(try encoder.encode(header)))]
        for (prefix, snapshot) in [("G", generator), ("D", discriminator)] {
            sections.append(("\(prefix).parameters", Self.bytes(of: snapshot.parameters)))
            sections.append(("\(prefix).state", Self.bytes(of: snapshot.state)))
            sections.append(("\(prefix).adam.step", Self.bytes(of: [Int64(snapshot.adamStep)])))
            sections.append(("\(prefix).adam.m", Self.bytes(of: snapshot.adamFirstMoment)))
            sections.append(("\(prefix).adam.v", Self.bytes(of: snapshot.adamSecondMoment)))
        }
        var out = Self.magic
        Self.append(Self.formatVersion, to: &out)
        Self.append(UInt32(sections.count), to: &out)
        for (name, payload) in sections {
            let nameBytes = Array(name.utf8)
            Self.append(UInt16(nameBytes.count), to: &out)
            out += nameBytes
            Self.append(UInt64(payload.count), to: &out)
            Self.append(Self.crc32(payload), to: &out)
            out += payload
        }
        return out
    }

    /// Writes atomically (temporary file, fsync, rename): `path` is either the old complete
    /// file or the new complete one, never a partial one.
    public func write(to path: String) throws {
        try AtomicFile.write(try encode(), to: path)
    }

    // MARK: Decoding

    public static func load(_ path: String) throws -> Checkpoint {
        try decode(AtomicFile.read(path), source: path)
    }

    public static func decode(_ bytes: [UInt8], source: String) throws -> Checkpoint {
        var reader = ByteReader(bytes: bytes, source: source)
        guard bytes.count >= magic.count, Array(bytes[0..<magic.count]) == magic else {
            throw GantryError("\(source) is not a Gantry checkpoint (wrong magic bytes)")
        }
        reader.offset = magic.count
        let version: UInt32 = try reader.read()
        guard version == formatVersion else {
            throw GantryError("\(source) has checkpoint format version \(version); this Gantry reads version \(formatVersion)")
        }
        let count: UInt32 = try reader.read()
        var sections: [String: [UInt8]] = [:]
        for _ in 0..<count {
            let nameLength: UInt16 = try reader.read()
            let name = String(decoding: try reader.take(Int(nameLength)), as: UTF8.self)
            let length: UInt64 = try reader.read()
            let expectedCRC: UInt32 = try reader.read()
            guard length <= UInt64(bytes.count) else { throw reader.truncated("section \(name)") }
            let payload = try reader.take(Int(length))
            guard crc32(payload) == expectedCRC else {
                throw GantryError("\(source) is corrupt: section \(name) fails its CRC32 check")
            }
            sections[name] = payload
        }

        func section(_ name: String) throws -> [UInt8] {
            guard let payload = sections[name] else { throw GantryError("\(source) lacks the section \(name)") }
            return payload
        }
        let header: CheckpointHeader
        do {
            header = try JSONDecoder().decode(CheckpointHeader.self, from: Data(try section("header")))
        } catch let error as GantryError {
            throw error
        } catch {
            throw GantryError("\(source) has an unreadable header: \(error)")
        }
        guard let kind = ModelKind(rawValue: header.model) else {
            throw GantryError("\(source) is for unknown model '\(header.model)'")
        }

        func snapshot(_ prefix: String, _ network: Network) throws -> NetworkSnapshot {
            func floats(_ name: String, count: Int) throws -> [Float] {
                let values: [Float] = try Self.values(try section("\(prefix).\(name)"))
                guard values.count == count else {
                    throw GantryError("\(source): section \(prefix).\(name) holds \(values.count) floats; model \(kind.rawValue) needs \(count)")
                }
                return values
            }
            let steps: [Int64] = try Self.values(try section("\(prefix).adam.step"))
            guard steps.count == 1 else { throw GantryError("\(source): section \(prefix).adam.step is malformed") }
            return NetworkSnapshot(parameters: try floats("parameters", count: network.parameters.count),
                                   state: try floats("state", count: network.state.count),
                                   adamStep: Int(steps[0]),
                                   adamFirstMoment: try floats("adam.m", count: network.parameters.count),
                                   adamSecondMoment: try floats("adam.v", count: network.parameters.count))
        }
        return Checkpoint(header: header,
                          generator: try snapshot("G", kind.makeGenerator(batch: 1)),
                          discriminator: try snapshot("D", kind.makeDiscriminator(batch: 1)))
    }

    // MARK: Finding checkpoints

    /// The checkpoint file named by `path`: the file itself, or the newest
    /// `checkpoints/step-NNNNNN.gckpt` of a run directory.
    public static func resolve(_ path: String) throws -> String {
        guard fileExists(path) else { throw GantryError("no checkpoint at \(path): no such file or directory") }
        guard isDirectory(path) else { return path }
        let directory = isDirectory("\(path)/checkpoints") ? "\(path)/checkpoints" : path
        guard let newest = directoryEntries(directory).filter({ $0.hasPrefix("step-") && $0.hasSuffix(".gckpt") }).last else {
            throw GantryError("no checkpoint (step-*.gckpt) in \(directory)")
        }
        return "\(directory)/\(newest)"
    }

    public static func fileName(step: Int) -> String {
        "step-\(padded(step)).gckpt"
    }

    // MARK: Bytes

    static func crc32(_ bytes: [UInt8]) -> UInt32 {
        bytes.withUnsafeBufferPointer { UInt32(CZlib.crc32(0, $0.baseAddress, UInt32($0.count))) }
    }

    static func bytes<T>(of values: [T]) -> [UInt8] {
        values.withUnsafeBytes { Array($0) }
    }

    static func values<T>(_ bytes: [UInt8]) throws -> [T] {
        let size = MemoryLayout<T>.stride
        guard bytes.count % size == 0 else { throw GantryError("a checkpoint section has a partial value") }
        return [T](unsafeUninitializedCapacity: bytes.count / size) { buffer, count in
            bytes.withUnsafeBytes { raw in
                UnsafeMutableRawBufferPointer(buffer).copyMemory(from: raw)
            }
            count = bytes.count / size
        }
    }

    static func append<T: FixedWidthInteger>(_ value: T, to bytes: inout [UInt8]) {
        withUnsafeBytes(of: value.littleEndian) { bytes += $0 }
    }
}

/// Sequential little-endian reads from a byte array, with errors that say "truncated".
struct ByteReader {
    let bytes: [UInt8]
    let source: String
    var offset = 0

    func truncated(_ what: String) -> GantryError {
        GantryError("\(source) is truncated: it ends inside \(what) (\(bytes.count) bytes)")
    }

    mutating func take(_ count: Int) throws -> [UInt8] {
        guard count >= 0, offset + count <= bytes.count else { throw truncated("byte \(offset)") }
        defer { offset += count }
        return Array(bytes[offset..<(offset + count)])
    }

    mutating func read<T: FixedWidthInteger>() throws -> T {
        let slice = try take(MemoryLayout<T>.size)
        var value: T = 0
        withUnsafeMutableBytes(of: &value) { $0.copyBytes(from: slice) }
        return T(littleEndian: value)
    }
}
