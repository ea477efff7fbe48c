import CZlib

/// The container format of a checkpoint: magic, version, then named sections, each with the
/// CRC32 (zlib) of its payload. It knows nothing of what the sections mean (see Checkpoint).
///
/// Layout (little-endian): the magic "GANTRYCK", a UInt32 format version, a UInt32 section
/// count, then per section a UInt16 name length and UTF-8 name, a UInt64 payload length, the
/// payload's CRC32 as UInt32, and the payload.
public struct CheckpointFile {
    public static let magic = Array("GANTRYCK".utf8)
    /// The version written; every version from 1 up to it is read (docs/checkpoint-format.md).
    public static let formatVersion: UInt32 = 2

    public struct Section {
        public let name: String
        public let payload: [UInt8]
        public let storedCRC: UInt32
        public var computedCRC: UInt32 { CheckpointFile.crc32(payload) }
        public var crcIsValid: Bool { storedCRC == computedCRC }
    }

    public let version: UInt32
    public let sections: [Section]

    public func section(_ name: String) -> Section? { sections.first { $0.name == name } }

    public static func encode(_ sections: [(name: String, payload: [UInt8])]) -> [UInt8] {
        var out = magic
        append(formatVersion, to: &out)
        append(UInt32(sections.count), to: &out)
        for (name, payload) in sections {
            let nameBytes = Array(name.utf8)
            append(UInt16(nameBytes.count), to: &out)
            out += nameBytes
            append(UInt64(payload.count), to: &out)
            append(crc32(payload), to: &out)
            out += payload
        }
        return out
    }

    /// Splits `bytes` into sections. Throws for what makes the file unreadable as a whole
    /// (wrong magic, unknown version, truncation); a section whose CRC fails is returned with
    /// `crcIsValid == false` so that `gantry inspect` can show it.
    public static func parse(_ bytes: [UInt8], source: String) throws -> CheckpointFile {
        guard bytes.count >= magic.count, Array(bytes[0..<magic.count]) == magic else {
            throw GantryError("\(source) is not a Gantry checkpoint (wrong magic bytes)")
        }
        var reader = ByteReader(bytes: bytes, source: source, offset: magic.count)
        let version: UInt32 = try reader.read()
        guard version <= formatVersion, version > 0 else {
            throw GantryError("\(source) has checkpoint format version \(version); this Gantry reads versions up to \(formatVersion): update Gantry to read it")
        }
        let count: UInt32 = try reader.read()
        var sections: [Section] = []
        for index in 0..<count {
            let nameLength: UInt16 = try reader.read()
            let name = String(decoding: try reader.take(Int(nameLength), "the name of section \(index)"), as: UTF8.self)
            let length: UInt64 = try reader.read()
            let crc: UInt32 = try reader.read()
            guard length <= UInt64(bytes.count) else { throw reader.truncated("section \(name)") }
            sections.append(Section(name: name, payload: try reader.take(Int(length), "section \(name)"), storedCRC: crc))
        }
        guard reader.offset == bytes.count else {
            throw GantryError("\(source) has \(bytes.count - reader.offset) unexpected bytes after its last section")
        }
        return CheckpointFile(version: version, sections: sections)
    }

    static func crc32(_ bytes: [UInt8]) -> UInt32 {
        bytes.withUnsafeBufferPointer { UInt32(CZlib.crc32(0, $0.baseAddress, UInt32($0.count))) }
    }

    static func append<T: FixedWidthInteger>(_ value: T, to bytes: inout [UInt8]) {
        withUnsafeBytes(of: value.littleEndian) { bytes += $0 }
    }
}
