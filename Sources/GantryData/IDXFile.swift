// LeCun's IDX format, shared by MNIST's image and label files: a big-endian header — a
// magic number (0x0000_08 for unsigned bytes, then the number of dimensions), one 32-bit
// size per dimension — followed by the product of the sizes in bytes. zlib's gzread reads
// gzip and plain files alike, so the .gz downloads work without unpacking.
import CZlib
import Glibc

/// Reading an IDX file front to back: `open` the file, `readHeader`, check the sizes (the
/// caller knows what they mean), then `readPayload`. The header is checked before any byte
/// of the payload is read, so a wrong or absurd file fails fast without being read whole.
enum IDXFile {
    /// Opens `path` (ReadOnlyFile) as a stream, gzip or plain, and runs `body` on it.
    static func withStream<T>(_ path: String, _ body: (inout GzipStream) throws -> T) throws -> T {
        let (fd, size) = try ReadOnlyFile.open(path)
        guard let handle = gzdopen(fd, "rb") else {
            close(fd)
            throw DatasetError.unreadable(path: path, reason: String(cString: strerror(errno)))
        }
        defer { gzclose(handle) }
        gzbuffer(handle, 1 << 17)
        var stream = GzipStream(file: handle, path: path, fileSize: size)
        return try body(&stream)
    }

    /// The header's sizes, one per dimension, after checking the magic.
    static func readHeader(_ stream: inout some IDXByteStream, path: String, magic: UInt32, dimensions: Int) throws -> [Int] {
        let headerBytes = 4 + 4 * dimensions
        let header = Array(try stream.read(upTo: headerBytes))
        func word(_ i: Int) -> UInt32 {
            header[4 * i ..< 4 * i + 4].reduce(0) { $0 << 8 | UInt32($1) }
        }
        // Check the magic as soon as 4 bytes are there: a wrong file is named as such,
        // not as "truncated".
        if header.count >= 4, word(0) != magic {
            throw DatasetError.wrongMagic(path: path, found: word(0), expected: magic)
        }
        guard header.count == headerBytes else {
            throw DatasetError.truncated(path: path, expectedBytes: headerBytes, foundBytes: header.count)
        }
        return (1...dimensions).map { Int(word($0)) }
    }

    /// The `payload` bytes after a header of `headerBytes`; `contents` ("5 images of 28x28")
    /// names them in errors. Refused before anything is read: more than `maximumBytes`, or
    /// more than the file can hold.
    static func readPayload(_ stream: inout some IDXByteStream, path: String, headerBytes: Int, payload: Int,
                            contents: String, maximumBytes: Int) throws -> [UInt8] {
        guard payload <= maximumBytes else {
            throw DatasetError.invalidHeader(path: path, reason: "\(contents) need \(payload) bytes, \(memoryLimitText(maximumBytes))")
        }
        // The header's claim against what the file can hold, before anything is allocated.
        let declaredBytes = headerBytes + payload
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
                throw DatasetError.invalidHeader(path: path, reason: "\(contents) (\(declaredBytes) bytes) "
                    + "cannot come from \(compressedBytes) bytes of gzip data, which decompress to at most \(bound)")
            }
        }

        // Grow as data arrives rather than trusting the header with one huge allocation: the
        // header's size (up to 64 MB) is reserved only once a first full megabyte has arrived,
        // so a short file that claims billions of bytes costs no more than that megabyte.
        let chunk = 1 << 20
        var bytes = [UInt8]()
        bytes.reserveCapacity(min(payload, chunk))
        while bytes.count < payload {
            let wanted = min(chunk, payload - bytes.count)
            let got = try stream.read(upTo: wanted)
            if bytes.count == chunk { bytes.reserveCapacity(min(payload, 64 << 20)) }
            bytes.append(contentsOf: got)
            if got.count < wanted { break }  // end of file
        }
        guard bytes.count == payload else {
            throw DatasetError.truncated(path: path, expectedBytes: declaredBytes, foundBytes: headerBytes + bytes.count)
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
        return bytes
    }
}

// MARK: - Byte streams

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
