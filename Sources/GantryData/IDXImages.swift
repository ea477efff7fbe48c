// MNIST-format IDX image files (LeCun's format): a big-endian header — magic
// 0x00000803 (unsigned bytes, 3 dimensions), then count, rows, cols — followed by
// count·rows·cols pixel bytes. zlib's gzread reads gzip and plain files alike, so the
// .gz download works without unpacking.
import CZlib
import Glibc

/// The images of an IDX file, kept as bytes (a quarter of the memory of floats) and
/// scaled to [-1, 1] when written into a batch.
public struct IDXImages: Dataset {
    public static let magic: UInt32 = 0x0000_0803
    /// The names looked for, in order, when the path is a directory.
    public static let standardNames = ["train-images-idx3-ubyte", "train-images-idx3-ubyte.gz",
                                       "train-images.idx3-ubyte"]

    /// The file actually read.
    public let path: String
    public let name: String
    public let count: Int
    public let shape: SampleShape
    public let pixels: [UInt8]

    /// Reads `path`: an IDX file (raw or gzip), or a directory holding one of `standardNames`.
    public init(path: String) throws {
        let file = try Self.resolve(path)
        let (count, rows, columns, pixels) = try Self.read(file)
        self.path = file
        name = "idx:" + file
        self.count = count
        shape = SampleShape(channels: 1, height: rows, width: columns)
        self.pixels = pixels
    }

    public func write(sample index: Int, into destination: UnsafeMutablePointer<Float>, channelStride: Int) {
        precondition(index >= 0 && index < count, "IDX image index \(index) out of 0..<\(count)")
        let plane = shape.spatial
        pixels.withUnsafeBufferPointer { bytes in
            let source = bytes.baseAddress! + index * plane
            for i in 0..<plane {
                destination[i] = Float(source[i]) * (2 / 255) - 1
            }
        }
    }

    /// A directory is searched for the standard names; a file must exist.
    static func resolve(_ path: String) throws -> String {
        var info = stat()
        guard stat(path, &info) == 0 else {
            if errno == ENOENT || errno == ENOTDIR { throw DatasetError.missingFile(path: path) }
            throw DatasetError.unreadable(path: path, reason: String(cString: strerror(errno)))
        }
        guard info.st_mode & S_IFMT == S_IFDIR else { return path }
        let directory = path.hasSuffix("/") ? String(path.dropLast()) : path
        for candidate in standardNames.map({ directory + "/" + $0 }) where access(candidate, F_OK) == 0 {
            return candidate
        }
        throw DatasetError.noFileInDirectory(directory: path, tried: standardNames)
    }

    static func read(_ path: String) throws -> (count: Int, rows: Int, columns: Int, pixels: [UInt8]) {
        guard let file = gzopen(path, "rb") else {
            throw DatasetError.unreadable(path: path, reason: String(cString: strerror(errno)))
        }
        defer { gzclose(file) }
        gzbuffer(file, 1 << 17)

        var header = [UInt8](repeating: 0, count: 16)
        let headerBytes = try readChunk(file, path, into: &header, count: 16)
        func word(_ i: Int) -> UInt32 {
            header[4 * i ..< 4 * i + 4].reduce(0) { $0 << 8 | UInt32($1) }
        }
        // Check the magic as soon as 4 bytes are there: a wrong file is named as such,
        // not as "truncated".
        if headerBytes >= 4, word(0) != magic {
            throw DatasetError.wrongMagic(path: path, found: word(0), expected: magic)
        }
        guard headerBytes == 16 else {
            throw DatasetError.truncated(path: path, expectedBytes: 16, foundBytes: headerBytes)
        }
        let count = Int(word(1)), rows = Int(word(2)), columns = Int(word(3))
        guard count > 0 else { throw DatasetError.noImages(path: path) }
        guard rows > 0, columns > 0 else {
            throw DatasetError.invalidHeader(path: path, reason: "image size \(rows)x\(columns)")
        }
        let (plane, overflow1) = rows.multipliedReportingOverflow(by: columns)
        let (payload, overflow2) = count.multipliedReportingOverflow(by: plane)
        guard !overflow1, !overflow2, payload <= Int(Int32.max) * 64 else {
            throw DatasetError.invalidHeader(path: path, reason: "\(count) images of \(rows)x\(columns) is implausibly large")
        }

        // Grow as data arrives rather than trusting the header with one huge allocation.
        var pixels = [UInt8]()
        pixels.reserveCapacity(min(payload, 64 << 20))
        var chunk = [UInt8](repeating: 0, count: 1 << 20)
        while pixels.count < payload {
            let wanted = min(chunk.count, payload - pixels.count)
            let got = try readChunk(file, path, into: &chunk, count: wanted)
            pixels.append(contentsOf: chunk[0..<got])
            if got < wanted { break }  // end of file
        }
        guard pixels.count == payload else {
            throw DatasetError.truncated(path: path, expectedBytes: 16 + payload, foundBytes: 16 + pixels.count)
        }
        // Read on to the end: only there does zlib check the gzip CRC, which is how a
        // flipped bit in a .gz is caught. Extra trailing bytes are ignored.
        while try readChunk(file, path, into: &chunk, count: chunk.count) == chunk.count {}
        return (count, rows, columns, pixels)
    }

    /// gzread into `buffer[0..<count]`; gzread itself loops until the count is reached or
    /// the file ends, so fewer bytes than asked means end of file. Returns the bytes read.
    /// zlib errors (corrupt or cut-off gzip data) are thrown.
    private static func readChunk(_ file: gzFile, _ path: String, into buffer: inout [UInt8], count: Int) throws -> Int {
        let got = buffer.withUnsafeMutableBytes { gzread(file, $0.baseAddress, UInt32(count)) }
        var code: Int32 = Z_OK
        let message = gzerror(file, &code)
        if got < 0 || (code != Z_OK && code != Z_STREAM_END) {
            let reason = message.map { String(cString: $0) } ?? "zlib error \(code)"
            if code == Z_ERRNO {
                throw DatasetError.unreadable(path: path, reason: String(cString: strerror(errno)))
            }
            throw DatasetError.gzipCorrupt(path: path, reason: reason)
        }
        return Int(got)
    }
}
