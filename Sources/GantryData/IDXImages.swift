// MNIST-format IDX image files (LeCun's format, IDXFile.swift): magic 0x00000803 (unsigned
// bytes, 3 dimensions), then count, rows, cols, then count·rows·cols pixel bytes; with the
// labels file beside them when there is one (IDXLabels.swift).
import Glibc

/// The images of an IDX file, kept as bytes (a quarter of the memory of floats) and
/// scaled to [-1, 1] when written into a batch; labelled when its labels file is there.
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
    /// The companion labels file's contents (`IDXLabels.companion`), nil when there is none.
    public let labels: IDXLabels?
    public let classNames: [String]
    public var residentBytes: Int { pixels.count + (labels?.labels.count ?? 0) }

    /// Reads `path`: an IDX file (raw or gzip), or a directory holding one of `standardNames`,
    /// and its labels file if there is one; pixels and labels may take at most `maximumBytes`.
    public init(path: String, maximumBytes: Int = .max) throws {
        let file = try Self.resolve(path)
        let (count, rows, columns, pixels) = try IDXFile.withStream(file) { stream in
            try Self.parse(&stream, path: file, maximumBytes: maximumBytes)
        }
        let labels = try IDXLabels.companion(ofImages: file).map {
            try IDXLabels(path: $0, imageCount: count, maximumBytes: maximumBytes - pixels.count)
        }
        self.init(source: file, count: count, rows: rows, columns: columns, pixels: pixels, labels: labels)
    }

    /// Parses the bytes of an (uncompressed) IDX file. `source` names it in errors and
    /// becomes `path`. The checks and messages are those of `init(path:)`, which runs the
    /// same parser over the file's (decompressed) bytes.
    /// (No labels: a labels file is found beside an images file.)
    public init(bytes: [UInt8], source: String) throws {
        var stream = MemoryStream(bytes: bytes)
        let (count, rows, columns, pixels) = try Self.parse(&stream, path: source, maximumBytes: .max)
        self.init(source: source, count: count, rows: rows, columns: columns, pixels: pixels, labels: nil)
    }

    private init(source: String, count: Int, rows: Int, columns: Int, pixels: [UInt8], labels: IDXLabels?) {
        path = source
        name = "idx:" + source
        self.count = count
        shape = SampleShape(channels: 1, height: rows, width: columns)
        self.pixels = pixels
        self.labels = labels
        classNames = labels?.classNames ?? []
    }

    public func label(ofSample index: Int) -> Int? {
        labels.map { Int($0.labels[index]) }
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
        guard try ReadOnlyFile.status(path).st_mode & S_IFMT == S_IFDIR else { return path }
        let directory = path.hasSuffix("/") ? String(path.dropLast()) : path
        for candidate in standardNames.map({ directory + "/" + $0 }) where access(candidate, F_OK) == 0 {
            return candidate
        }
        throw DatasetError.noFileInDirectory(directory: path, tried: standardNames)
    }

    /// The parser, reading the stream front to back (IDXFile): the header's sizes are
    /// checked before any pixel is read.
    static func parse(_ stream: inout some IDXByteStream, path: String, maximumBytes: Int) throws
        -> (count: Int, rows: Int, columns: Int, pixels: [UInt8]) {
        let sizes = try IDXFile.readHeader(&stream, path: path, magic: magic, dimensions: 3)
        let count = sizes[0], rows = sizes[1], columns = sizes[2]
        guard count > 0 else { throw DatasetError.noImages(path: path) }
        guard rows > 0, columns > 0 else {
            throw DatasetError.invalidHeader(path: path, reason: "image size \(rows)x\(columns)")
        }
        let (plane, overflow1) = rows.multipliedReportingOverflow(by: columns)
        let (payload, overflow2) = count.multipliedReportingOverflow(by: plane)
        guard !overflow1, !overflow2, payload <= Int(Int32.max) * 64 else {
            throw DatasetError.invalidHeader(path: path, reason: "\(count) images of \(rows)x\(columns) is implausibly large")
        }
        let pixels = try IDXFile.readPayload(&stream, path: path, headerBytes: 16, payload: payload,
                                             contents: "\(count) images of \(rows)x\(columns)", maximumBytes: maximumBytes)
        return (count, rows, columns, pixels)
    }
}
