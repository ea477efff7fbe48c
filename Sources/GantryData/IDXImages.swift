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
    public var residentBytes: Int { pixels.count }

    /// Reads `path`: an IDX file (raw or gzip), or a directory holding one of `standardNames`,
    /// whose pixels may take at most `maximumBytes`.
    public init(path: String, maximumBytes: Int = .max) throws {
        let file = try Self.resolve(path)
        // Non-blocking, so that a FIFO without a writer cannot hang the open; fstat on the
        // descriptor then refuses anything but a regular file before a byte is read.
        let fd = open(file, O_RDONLY | O_NONBLOCK | O_CLOEXEC)
        guard fd >= 0 else { throw DatasetError.unreadable(path: file, reason: String(cString: strerror(errno))) }
        var info = stat()
        guard fstat(fd, &info) == 0, info.st_mode & S_IFMT == S_IFREG else {
            close(fd)
            throw DatasetError.unreadable(path: file, reason: "not a regular file")
        }
        guard let handle = gzdopen(fd, "rb") else {
            close(fd)
            throw DatasetError.unreadable(path: file, reason: String(cString: strerror(errno)))
        }
        defer { gzclose(handle) }
        gzbuffer(handle, 1 << 17)
        var stream = GzipStream(file: handle, path: file, fileSize: Int(info.st_size))
        try self.init(parsing: &stream, source: file, maximumBytes: maximumBytes)
    }

    /// Parses the bytes of an (uncompressed) IDX file. `source` names it in errors and
    /// becomes `path`. The checks and messages are those of `init(path:)`, which runs the
    /// same parser over the file's (decompressed) bytes.
    public init(bytes: [UInt8], source: String) throws {
        var stream = MemoryStream(bytes: bytes)
        try self.init(parsing: &stream, source: source)
    }

    private init(parsing stream: inout some IDXByteStream, source: String, maximumBytes: Int = .max) throws {
        let (count, rows, columns, pixels) = try Self.parse(&stream, path: source, maximumBytes: maximumBytes)
        self.path = source
        name = "idx:" + source
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

    /// The parser, reading the stream front to back: the header is checked before any pixel
    /// is read, so a wrong or absurd file fails fast without reading it whole.
    static func parse(_ stream: inout some IDXByteStream, path: String, maximumBytes: Int = .max) throws
        -> (count: Int, rows: Int, columns: Int, pixels: [UInt8]) {
        let header = Array(try stream.read(upTo: 16))
        let headerBytes = header.count
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

        guard payload <= maximumBytes else {
            throw DatasetError.invalidHeader(path: path, reason: "\(count) images of \(rows)x\(columns) need \(payload) bytes, "
                + "more than the \(maximumBytes) bytes of memory a rank may use here (GANTRY_MEMORY_LIMIT, docs/reliability.md)")
        }
        // The header's claim against what the file can hold, before anything is allocated.
        let declaredBytes = 16 + payload
        switch stream.length {
        case .exactly(let size):
            guard size >= declaredBytes else {
                throw DatasetError.truncated(path: path, expectedBytes: declaredBytes, foundBytes: size)
            }
            guard size - declaredBytes <= maxTrailingBytes else {
                throw DatasetError.trailingData(path: path, declaredBytes: declaredBytes, limit: maxTrailingBytes)
            }
        case let .atMost(bound, compressedBytes):
            guard declaredBytes <= bound else {
                throw DatasetError.invalidHeader(path: path, reason: "\(count) images of \(rows)x\(columns) (\(declaredBytes) bytes) "
                    + "cannot come from \(compressedBytes) bytes of gzip data, which decompress to at most \(bound)")
            }
        }

        // Grow as data arrives rather than trusting the header with one huge allocation: the
        // header's size (up to 64 MB) is reserved only once a first full megabyte has arrived,
        // so a short file that claims billions of pixels costs no more than that megabyte.
        let chunk = 1 << 20
        var pixels = [UInt8]()
        pixels.reserveCapacity(min(payload, chunk))
        while pixels.count < payload {
            let wanted = min(chunk, payload - pixels.count)
            let got = try stream.read(upTo: wanted)
            if pixels.count == chunk { pixels.reserveCapacity(min(payload, 64 << 20)) }
            pixels.append(contentsOf: got)
            if got.count < wanted { break }  // end of file
        }
        guard pixels.count == payload else {
            throw DatasetError.truncated(path: path, expectedBytes: declaredBytes, foundBytes: 16 + pixels.count)
        }
        // Read on to the end: only there does zlib check the gzip CRC, which is how a
        // flipped bit in a .gz is caught. A little trailing data is ignored; more is refused
        // as soon as it passes the limit, so a gzip stream of endless zeros is not read whole.
        var trailing = 0
        while true {
            let got = try stream.read(upTo: chunk).count
            trailing += got
            guard trailing <= maxTrailingBytes else {
                throw DatasetError.trailingData(path: path, declaredBytes: declaredBytes, limit: maxTrailingBytes)
            }
            if got < chunk { break }
        }
        return (count, rows, columns, pixels)
    }
}

/// How long an IDX byte stream can be, known before reading it.
enum StreamLength {
    /// A raw file or bytes in memory.
    case exactly(Int)
    /// Gzip: deflate expands at most 1032:1, so `compressedBytes` decompress to at most `bound`.
    case atMost(bound: Int, compressedBytes: Int)

    static func gzip(compressedBytes: Int) -> StreamLength {
        let (bound, overflow) = compressedBytes.multipliedReportingOverflow(by: 1032)
        return .atMost(bound: overflow ? Int.max : bound, compressedBytes: compressedBytes)
    }
}

/// Bytes beyond the header's images that a reader ignores (some tools pad files); more
/// means the header's count is wrong or another file was appended.
let maxTrailingBytes = 1 << 20

/// A forward-only source of bytes for the IDX parser: `read(upTo:)` returns fewer bytes than
/// asked only at the end of the data, and throws for a read error.
protocol IDXByteStream {
    var length: StreamLength { get }
    mutating func read(upTo count: Int) throws -> ArraySlice<UInt8>
}

/// An in-memory file.
struct MemoryStream: IDXByteStream {
    let bytes: [UInt8]
    var offset = 0
    var length: StreamLength { .exactly(bytes.count) }

    mutating func read(upTo count: Int) -> ArraySlice<UInt8> {
        let end = offset + min(count, bytes.count - offset)
        defer { offset = end }
        return bytes[offset..<end]
    }
}

/// A file opened with zlib's gzopen: gzip or plain, decompressed as it is read.
struct GzipStream: IDXByteStream {
    let file: gzFile
    let path: String
    let fileSize: Int
    let length: StreamLength
    private var buffer: [UInt8] = []

    init(file: gzFile, path: String, fileSize: Int) {
        self.file = file
        self.path = path
        self.fileSize = fileSize
        // gzdirect looks at the first bytes: 1 when the file is not gzip and is read as is.
        length = gzdirect(file) == 1 ? .exactly(fileSize) : .gzip(compressedBytes: fileSize)
    }

    /// gzread itself loops until the count is reached or the file ends, so fewer bytes than
    /// asked means end of file. zlib errors (corrupt or cut-off gzip data) are thrown.
    mutating func read(upTo count: Int) throws -> ArraySlice<UInt8> {
        if buffer.count < count {  // gzread fills what it returns: no need to zero the buffer
            buffer = [UInt8](unsafeUninitializedCapacity: count) { _, initialized in initialized = count }
        }
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
        // At the end, zlib silently skips whatever follows the last gzip member if it is not
        // gzip data; more than the trailing limit of it is refused like trailing pixels.
        // (gzoffset counts the input zlib has buffered, so it never overstates the excess.)
        if Int(got) < count, case .atMost = length, fileSize - Int(gzoffset(file)) > maxTrailingBytes {
            throw DatasetError.gzipCorrupt(path: path, reason: "more than \(maxTrailingBytes) bytes that are not gzip data follow the compressed stream")
        }
        return buffer[0..<Int(got)]
    }
}
