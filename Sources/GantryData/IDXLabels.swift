// MNIST-format IDX label files: magic 0x00000801 (unsigned bytes, 1 dimension), the count,
// then one byte per image, the class of the image at the same index of the images file.
import Glibc

/// The labels of an IDX images file, read from its companion file
/// (`train-images-idx3-ubyte[.gz]` → `train-labels-idx1-ubyte[.gz]`).
public struct IDXLabels: Equatable {
    public static let magic: UInt32 = 0x0000_0801

    /// The file read.
    public let path: String
    /// One class per image.
    public let labels: [UInt8]
    /// "0", "1", … up to the largest label, at least "0"…"9" (the digits).
    public var classNames: [String] { (0...max(9, Int(labels.max() ?? 0))).map(String.init) }

    /// Reads `path` (raw or gzip), which must hold exactly `imageCount` labels (the images
    /// file's count) in at most `maximumBytes`.
    public init(path: String, imageCount: Int, maximumBytes: Int = .max) throws {
        labels = try IDXFile.withStream(path) { stream in
            try Self.parse(&stream, path: path, imageCount: imageCount, maximumBytes: maximumBytes)
        }
        self.path = path
    }

    /// Parses the bytes of an (uncompressed) labels file; `source` names it in errors and
    /// becomes `path`. The checks and messages are those of `init(path:imageCount:)`.
    public init(bytes: [UInt8], source: String, imageCount: Int) throws {
        var stream = MemoryStream(bytes: bytes)
        labels = try Self.parse(&stream, path: source, imageCount: imageCount, maximumBytes: .max)
        path = source
    }

    static func parse(_ stream: inout some IDXByteStream, path: String, imageCount: Int, maximumBytes: Int) throws -> [UInt8] {
        let count = try IDXFile.readHeader(&stream, path: path, magic: magic, dimensions: 1)[0]
        guard count == imageCount else { throw DatasetError.labelCount(path: path, labels: count, images: imageCount) }
        return try IDXFile.readPayload(&stream, path: path, headerBytes: 8, payload: count, contents: "\(count) labels",
                                       maximumBytes: maximumBytes)
    }

    /// The labels file that goes with the images file `imagesPath`, if one is there: the same
    /// name with `-images-idx3-ubyte` (or MNIST's other spelling `-images.idx3-ubyte`) turned
    /// into `-labels-idx1-ubyte`, gzip or not, in the same directory.
    public static func companion(ofImages imagesPath: String) -> String? {
        let slash = imagesPath.lastIndex(of: "/").map { imagesPath.index(after: $0) } ?? imagesPath.startIndex
        let directory = imagesPath[..<slash], name = imagesPath[slash...]
        let gzip = name.hasSuffix(".gz")
        let stem = gzip ? name.dropLast(3) : name
        for (images, labels) in [("-images-idx3-ubyte", "-labels-idx1-ubyte"), ("-images.idx3-ubyte", "-labels.idx1-ubyte")]
        where stem.hasSuffix(images) {
            let base = String(directory + stem.dropLast(images.count)) + labels
            // The same compression as the images first, then the other.
            for candidate in gzip ? [base + ".gz", base] : [base, base + ".gz"] where access(candidate, F_OK) == 0 {
                return candidate
            }
        }
        return nil
    }
}
