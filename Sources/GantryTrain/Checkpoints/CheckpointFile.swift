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
    public static let formatVersion: UInt32 = 4

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
        var reader = ByteReader(bytes: bytes, source: source)
        let (version, table) = try readTable(&reader)
        let sections = table.map {
            Section(name: $0.name, payload: Array(bytes[$0.offset..<($0.offset + $0.length)]), storedCRC: $0.crc)
        }
        return CheckpointFile(version: version, sections: sections)
    }

    /// The bytes of the checkpoint file `path`, read only once its magic, version and section
    /// table (read piece by piece, seeking past each payload) agree with the file's size, and
    /// the size is at most `limit`: a FIFO, a device or a large file of another kind is
    /// refused without reading it.
    public static func read(_ path: String, limit: Int = .max) throws -> [UInt8] {
        let file = try RegularFile(path: path)
        var reader = ByteReader(file: file, source: path)
        _ = try readTable(&reader)
        guard file.size <= limit else {
            throw GantryError("\(path) has \(file.size) bytes, more than a Gantry checkpoint can hold (\(limit)); it is not one")
        }
        return try file.readAll()
    }

    /// Where one section's payload lies in the file.
    struct TableEntry {
        let name: String
        let offset: Int
        let length: Int
        let crc: UInt32
    }

    /// Reads the magic, the version and every section's header, skipping the payloads;
    /// each claimed length is checked against what is left of the file.
    static func readTable(_ reader: inout ByteReader) throws -> (version: UInt32, entries: [TableEntry]) {
        let source = reader.source
        // Said outright: an empty file must not pass for "no checkpoint" (a fresh run) anywhere.
        guard reader.size > 0 else { throw GantryError("\(source) is empty (0 bytes), not a Gantry checkpoint") }
        guard reader.size >= magic.count, try reader.take(magic.count, "the magic") == magic else {
            throw GantryError("\(source) is not a Gantry checkpoint (wrong magic bytes)")
        }
        let version: UInt32 = try reader.read()
        guard version <= formatVersion, version > 0 else {
            throw GantryError("\(source) has checkpoint format version \(version); this Gantry reads versions up to \(formatVersion): update Gantry to read it")
        }
        let count: UInt32 = try reader.read()
        // A section takes at least its 14 header bytes: more than fit is a lie, not a loop.
        let sectionHeaderBytes = 2 + 8 + 4
        guard Int(count) <= reader.remaining / sectionHeaderBytes else {
            throw reader.truncated("the section table (it claims \(count) sections)")
        }
        var entries: [TableEntry] = []
        entries.reserveCapacity(Int(count))
        for index in 0..<count {
            let nameLength: UInt16 = try reader.read()
            let name = String(decoding: try reader.take(Int(nameLength), "the name of section \(index)"), as: UTF8.self)
            let length: UInt64 = try reader.read()
            let crc: UInt32 = try reader.read()
            let shown = printable(name)
            guard length <= UInt64(reader.remaining) else { throw reader.truncated("section \(shown)") }
            entries.append(TableEntry(name: name, offset: reader.offset, length: Int(length), crc: crc))
            try reader.skip(Int(length), "section \(shown)")
        }
        guard reader.remaining == 0 else {
            throw GantryError("\(source) has \(reader.remaining) unexpected bytes after its last section")
        }
        return (version, entries)
    }

    static func crc32(_ bytes: [UInt8]) -> UInt32 {
        bytes.withUnsafeBufferPointer { UInt32(CZlib.crc32(0, $0.baseAddress, UInt32($0.count))) }
    }

    static func append<T: FixedWidthInteger>(_ value: T, to bytes: inout [UInt8]) {
        withUnsafeBytes(of: value.littleEndian) { bytes += $0 }
    }
}
