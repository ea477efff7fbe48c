// The dataset abstraction the trainer sees: a finite, indexable set of samples that
// can be written straight into the trainer's channel-major batch buffer.

/// The shape of one sample: channels × height × width (a 2-D point is 2 × 1 × 1).
/// GantryData has its own type so it does not depend on GantryNN.
public struct SampleShape: Equatable, Sendable, CustomStringConvertible {
    public var channels: Int
    public var height: Int
    public var width: Int

    public init(channels: Int, height: Int = 1, width: Int = 1) {
        self.channels = channels
        self.height = height
        self.width = width
    }

    /// Floats in one channel plane of one sample.
    public var spatial: Int { height * width }
    /// Floats in one sample.
    public var count: Int { channels * height * width }
    public var description: String { "\(channels)x\(height)x\(width)" }
}

/// A finite set of samples, addressed by index.
///
/// `write` must be a pure function of the index (no hidden cursor), so that any rank can
/// produce any sample of a global batch and get the same floats as every other rank would.
public protocol Dataset {
    var name: String { get }
    var count: Int { get }
    var shape: SampleShape { get }
    /// Bytes the dataset holds in memory for as long as it is open (a file's images; a
    /// dataset drawn on demand holds next to nothing), for the memory budget.
    var residentBytes: Int { get }
    /// Writes sample `index`: channel c's height × width plane (row-major) starts at
    /// `destination + c * channelStride`. Images are scaled to [-1, 1].
    func write(sample index: Int, into destination: UnsafeMutablePointer<Float>, channelStride: Int)
    /// The names of the classes when the samples are labelled ("0"…"9" for digits, the
    /// sub-folder names of a `folder:` tree), empty when they are not.
    var classNames: [String] { get }
    /// The class of sample `index`, an index into `classNames`; nil for an unlabelled dataset.
    func label(ofSample index: Int) -> Int?
}

extension Dataset {
    /// Drawn on demand: nothing held.
    public var residentBytes: Int { 0 }

    /// Unlabelled unless the dataset says otherwise.
    public var classNames: [String] { [] }
    public func label(ofSample index: Int) -> Int? { nil }
    /// Whether `label(ofSample:)` gives a class for every sample.
    public var isLabelled: Bool { !classNames.isEmpty }

    /// Writes the samples `indices` as a channel-major (C, n, H, W) batch: sample j's
    /// channel c starts at (c·n + j)·H·W, the layout of GantryNN's activations.
    public func writeBatch(indices: some Collection<Int>, into destination: UnsafeMutablePointer<Float>) {
        writeBatch(indices: ArraySlice(indices), into: destination)
    }

    /// The same for a slice of indices (a rank's part of a global batch), without allocating:
    /// the trainer calls it every step on an `any Dataset`, where the generic version runs
    /// unspecialised and allocates for every sample it iterates over.
    public func writeBatch(indices: ArraySlice<Int>, into destination: UnsafeMutablePointer<Float>) {
        let plane = shape.spatial
        let channelStride = indices.count * plane
        for (j, index) in indices.enumerated() {
            write(sample: index, into: destination + j * plane, channelStride: channelStride)
        }
    }
}

/// Everything that can go wrong choosing, opening or sampling a dataset. Each case
/// prints as one sentence naming the file (or spec) and the problem.
public enum DatasetError: Error, CustomStringConvertible, Equatable {
    case unknownDataset(spec: String, valid: [String])
    case missingFile(path: String)
    case noFileInDirectory(directory: String, tried: [String])
    case unreadable(path: String, reason: String)
    case wrongMagic(path: String, found: UInt32, expected: UInt32)
    case truncated(path: String, expectedBytes: Int, foundBytes: Int)
    case noImages(path: String)
    case invalidHeader(path: String, reason: String)
    case unsupportedBase(spec: String, reason: String)
    case gzipCorrupt(path: String, reason: String)
    case trailingData(path: String, declaredBytes: Int, limit: Int)
    case batchLargerThanDataset(datasetCount: Int, globalBatch: Int)
    case labelCount(path: String, labels: Int, images: Int)
    case invalidRecords(path: String, reason: String)
    case overMemoryLimit(path: String, contents: String, bytes: Int, limit: Int)
    case badImage(path: String, reason: String)
    case unusableFolder(path: String, reason: String)
    case corrupt(path: String, reason: String)

    public var description: String {
        switch self {
        case let .unknownDataset(spec, valid):
            return "Unknown dataset '\(spec)'; valid datasets are: \(valid.joined(separator: ", "))."
        case let .missingFile(path):
            return "Dataset file '\(path)' does not exist."
        case let .noFileInDirectory(directory, tried):
            return "No IDX image file in directory '\(directory)'; tried \(tried.joined(separator: ", "))."
        case let .unreadable(path, reason):
            return "Dataset file '\(path)' is not readable: \(reason)."
        case let .wrongMagic(path, found, expected):
            let kind = [IDXImages.magic: "an IDX file of unsigned-byte images", IDXLabels.magic: "an IDX file of unsigned-byte labels"]
            return "Dataset file '\(path)' has wrong magic number \(hex(found)) (expected \(hex(expected)), "
                + "\(kind[expected] ?? "the magic of this format"))."
        case let .truncated(path, expectedBytes, foundBytes):
            return "Dataset file '\(path)' is truncated: expected \(expectedBytes) bytes, found \(foundBytes)."
        case let .noImages(path):
            return "Dataset file '\(path)' contains zero images."
        case let .invalidHeader(path, reason):
            return "Dataset file '\(path)' has an invalid header: \(reason)."
        case let .unsupportedBase(spec, reason):
            return "Dataset '\(spec)' cannot be built: \(reason)."
        case let .gzipCorrupt(path, reason):
            return "Dataset file '\(path)' is a corrupt gzip stream: \(reason)."
        case let .trailingData(path, declaredBytes, limit):
            return "Dataset file '\(path)' holds more than \(limit) bytes beyond the \(declaredBytes) its header declares "
                + "(a wrong image count, or another file appended)."
        case let .batchLargerThanDataset(datasetCount, globalBatch):
            return "The global batch (\(globalBatch)) must be positive and at most the dataset size (\(datasetCount))."
        case let .labelCount(path, labels, images):
            return "Labels file '\(path)' holds \(labels) labels for the \(images) images beside it (one label per image)."
        case let .invalidRecords(path, reason):
            return "Dataset file '\(path)' is not valid: \(reason)."
        case let .overMemoryLimit(path, contents, bytes, limit):
            return "Dataset '\(path)': \(contents) need \(bytes) bytes, \(memoryLimitText(limit))."
        case let .badImage(path, reason):
            return "Image '\(path)' cannot be used: \(reason)."
        case let .unusableFolder(path, reason):
            return "Dataset folder '\(path)' cannot be used: \(reason)."
        case let .corrupt(path, reason):
            return "Dataset file '\(path)' is corrupt: \(reason)."
        }
    }
}

/// What a dataset over the memory limit is more than.
func memoryLimitText(_ limit: Int) -> String {
    "more than the \(limit) bytes of memory a rank may use here (GANTRY_MEMORY_LIMIT, docs/reliability.md)"
}

private func hex(_ value: UInt32) -> String {
    let digits = String(value, radix: 16)
    return "0x" + String(repeating: "0", count: max(0, 8 - digits.count)) + digits
}

/// The dataset names `makeDataset` accepts.
public let datasetNames = ["ring8", "grid25", "glyphs", "idx:PATH", "color32:glyphs", "color32:idx:PATH", "cifar10:DIR", "folder:DIR", "pack:FILE"]

/// Builds a dataset from its command-line spec (docs/data.md): "ring8", "grid25", "glyphs",
/// "idx:PATH" (an IDX image file, raw or gzip, or a directory holding
/// train-images-idx3-ubyte[.gz]; labelled when its labels file is beside it), "color32:SPEC"
/// (a grayscale SPEC coloured to 3×32×32, `Colorized`), "cifar10:DIR" (CIFAR-10's binary
/// training batches), "folder:DIR" (PNG and JPEG images fitted to `sampleShape`,
/// `ImageFolder`) or "pack:FILE" (a file written by `gantry prepare`, memory-mapped,
/// `PackedImages`). `seed` drives the synthetic datasets and the colours; the file readers
/// ignore it. `sampleShape` is the model's: what a folder's images are fitted to (a folder
/// cannot be read without it). `progress` receives a line now and then from a reader that
/// takes a while (decoding a folder).
///
/// `maximumBytes`: the most memory the dataset may hold; a file whose header asks for more
/// is refused before its pixels are read (the memory budget of docs/reliability.md).
public func makeDataset(_ spec: String, seed: UInt64, sampleShape: SampleShape? = nil, maximumBytes: Int = .max,
                        progress: (String) -> Void = { _ in }) throws -> any Dataset {
    switch spec {
    case "ring8": return Mixture2D.ring8(seed: seed)
    case "grid25": return Mixture2D.grid25(seed: seed)
    case "glyphs": return Glyphs(seed: seed)
    default:
        if spec.hasPrefix("idx:"), spec.count > 4 {
            return try IDXImages(path: String(spec.dropFirst(4)), maximumBytes: maximumBytes)
        }
        if spec.hasPrefix("cifar10:"), spec.count > 8 {
            return try CIFAR10(directory: String(spec.dropFirst(8)), maximumBytes: maximumBytes)
        }
        if spec.hasPrefix("color32:"), spec.count > 8 {
            return try Colorized(base: try makeDataset(String(spec.dropFirst(8)), seed: seed, maximumBytes: maximumBytes), seed: seed)
        }
        if spec.hasPrefix("folder:"), spec.count > 7 {
            guard let sampleShape else { throw DatasetError.unsupportedBase(spec: spec, reason: "a folder of images needs the sample shape to fit them to") }
            return try ImageFolder(directory: String(spec.dropFirst(7)), shape: sampleShape, maximumBytes: maximumBytes, progress: progress)
        }
        if spec.hasPrefix("pack:"), spec.count > 5 {
            return try PackedImages(path: String(spec.dropFirst(5)))
        }
        throw DatasetError.unknownDataset(spec: spec, valid: datasetNames)
    }
}
