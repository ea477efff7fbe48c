/// Sequential little-endian reads from a byte array, with errors that say "truncated".
struct ByteReader {
    let bytes: [UInt8]
    let source: String
    var offset = 0

    func truncated(_ what: String) -> GantryError {
        GantryError("\(source) is truncated: it ends inside \(what) (the file has \(bytes.count) bytes)")
    }

    mutating func take(_ count: Int, _ what: String) throws -> [UInt8] {
        guard count >= 0, count <= bytes.count - offset else { throw truncated(what) }
        defer { offset += count }
        return Array(bytes[offset..<(offset + count)])
    }

    mutating func read<T: FixedWidthInteger>() throws -> T {
        let slice = try take(MemoryLayout<T>.size, "the header of a section")
        var value: T = 0
        withUnsafeMutableBytes(of: &value) { $0.copyBytes(from: slice) }
        return T(littleEndian: value)
    }
}
