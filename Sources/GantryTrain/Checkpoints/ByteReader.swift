/// Sequential little-endian reads from a file's bytes, wherever they are (an array in memory,
/// or a file read a piece at a time), with errors that say "truncated". Every claimed length
/// is checked against the size before anything is read or allocated.
struct ByteReader {
    let size: Int
    let source: String
    var offset: Int
    /// `count` bytes at an offset; only asked for ranges that lie inside `size`.
    private let fetch: (_ offset: Int, _ count: Int) throws -> [UInt8]

    init(bytes: [UInt8], source: String, offset: Int = 0) {
        size = bytes.count
        self.source = source
        self.offset = offset
        fetch = { Array(bytes[$0..<($0 + $1)]) }
    }

    init(file: RegularFile, source: String, offset: Int = 0) {
        size = file.size
        self.source = source
        self.offset = offset
        fetch = { try file.bytes(at: $0, count: $1) }
    }

    var remaining: Int { size - offset }

    func truncated(_ what: String) -> GantryError {
        GantryError("\(source) is truncated: it ends inside \(what) (the file has \(size) bytes)")
    }

    mutating func take(_ count: Int, _ what: String) throws -> [UInt8] {
        guard count >= 0, count <= remaining else { throw truncated(what) }
        defer { offset += count }
        return try fetch(offset, count)
    }

    /// Moves past `count` bytes without reading them.
    mutating func skip(_ count: Int, _ what: String) throws {
        guard count >= 0, count <= remaining else { throw truncated(what) }
        offset += count
    }

    mutating func read<T: FixedWidthInteger>() throws -> T {
        let slice = try take(MemoryLayout<T>.size, "the header of a section")
        var value: T = 0
        withUnsafeMutableBytes(of: &value) { $0.copyBytes(from: slice) }
        return T(littleEndian: value)
    }
}
