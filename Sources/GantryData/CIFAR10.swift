// CIFAR-10's binary version (https://www.cs.toronto.edu/~kriz/cifar.html): the training set
// is five files data_batch_1.bin … data_batch_5.bin of 10,000 records each, a record being
// one label byte (0-9) then 3072 pixel bytes: the 1024 red values of the 32×32 image row by
// row, then the 1024 green, then the 1024 blue. batches.meta.txt names the classes, one a line.
import Glibc

/// `cifar10:DIR`: CIFAR-10's training batches as 3×32×32 colour images in [-1, 1], labelled.
/// Kept as bytes, like `IDXImages`; the record layout is already Gantry's channel-major one.
public struct CIFAR10: Dataset {
    public static let side = 32
    public static let imageBytes = 3 * side * side
    /// A label byte and an image.
    public static let recordBytes = 1 + imageBytes
    public static let batchNames = (1...5).map { "data_batch_\($0).bin" }
    public static let metaName = "batches.meta.txt"
    public static let classCount = 10

    public let directory: String
    public var name: String { "cifar10:" + directory }
    public let count: Int
    public var shape: SampleShape { SampleShape(channels: 3, height: Self.side, width: Self.side) }
    /// The images, one after the other (labels taken out).
    public let pixels: [UInt8]
    public let labels: [UInt8]
    /// From batches.meta.txt when it is there, else "0"…"9".
    public let classNames: [String]
    public var residentBytes: Int { pixels.count + labels.count }

    /// Reads the five training batches in `directory`, which may take at most `maximumBytes`:
    /// every file's size is checked before any is read.
    public init(directory: String, maximumBytes: Int = .max) throws {
        guard try ReadOnlyFile.status(directory).st_mode & S_IFMT == S_IFDIR else {
            throw DatasetError.unreadable(path: directory, reason: "not a directory (cifar10: takes the directory of the batch files)")
        }
        let files = Self.batchNames.map { directory + "/" + $0 }
        var sizes: [Int] = []
        for file in files {
            let info = try ReadOnlyFile.status(file)
            // (ReadOnlyFile.read checks again on the open descriptor.)
            guard info.st_mode & S_IFMT == S_IFREG else { throw DatasetError.unreadable(path: file, reason: "not a regular file") }
            let size = Int(info.st_size)
            try Self.checkSize(size, path: file)
            sizes.append(size)
        }
        let records = sizes.reduce(0, +) / Self.recordBytes
        guard records * Self.recordBytes <= maximumBytes else {
            throw DatasetError.overMemoryLimit(path: directory, contents: "\(records) images of 3x32x32",
                                               bytes: records * Self.recordBytes, limit: maximumBytes)
        }
        var pixels: [UInt8] = [], labels: [UInt8] = []
        pixels.reserveCapacity(records * Self.imageBytes)
        labels.reserveCapacity(records)
        for (file, size) in zip(files, sizes) {
            try Self.decode(batch: try ReadOnlyFile.read(file, size: size), path: file, pixels: &pixels, labels: &labels)
        }
        self.directory = directory
        count = records
        self.pixels = pixels
        self.labels = labels
        classNames = try Self.readClassNames(directory + "/" + Self.metaName)
    }

    /// A batch file's size: whole records, at least one.
    static func checkSize(_ size: Int, path: String) throws {
        guard size > 0 else { throw DatasetError.noImages(path: path) }
        guard size % recordBytes == 0 else {
            throw DatasetError.invalidRecords(path: path, reason: "its \(size) bytes are not a whole number of \(recordBytes)-byte records "
                + "(a label byte and 3x32x32 pixels)")
        }
    }

    /// Appends the records of one batch file's `bytes` to `pixels` and `labels`, checking
    /// its size and its labels.
    public static func decode(batch bytes: [UInt8], path: String, pixels: inout [UInt8], labels: inout [UInt8]) throws {
        try checkSize(bytes.count, path: path)
        for record in 0..<bytes.count / recordBytes {
            let start = record * recordBytes, label = bytes[start]
            guard label < classCount else {
                throw DatasetError.invalidRecords(path: path, reason: "record \(record) (counting from 0) has label \(label); CIFAR-10's labels are 0-9")
            }
            labels.append(label)
            pixels.append(contentsOf: bytes[start + 1 ..< start + recordBytes])
        }
    }

    /// The class names of batches.meta.txt: ten non-empty lines (blank lines are skipped);
    /// "0"…"9" when there is no such file.
    static func readClassNames(_ path: String) throws -> [String] {
        guard access(path, F_OK) == 0 else { return (0..<classCount).map(String.init) }
        let (fd, size) = try ReadOnlyFile.open(path)
        close(fd)
        guard size <= 1 << 16 else { throw DatasetError.invalidRecords(path: path, reason: "\(size) bytes is too long for ten class names") }
        return try parseClassNames(try ReadOnlyFile.read(path, size: size), path: path)
    }

    public static func parseClassNames(_ bytes: [UInt8], path: String) throws -> [String] {
        let names = bytes.split(separator: UInt8(ascii: "\n")).map {
            String(decoding: $0, as: UTF8.self).trimmed()
        }.filter { !$0.isEmpty }
        guard names.count == classCount, names.allSatisfy({ $0.unicodeScalars.allSatisfy { $0.value >= 0x20 && $0.value != 0x7f } }) else {
            throw DatasetError.invalidRecords(path: path, reason: "it must name CIFAR-10's \(classCount) classes, one a line, "
                + "in printable characters; it holds \(names.count) non-empty lines")
        }
        return names
    }

    public func label(ofSample index: Int) -> Int? { Int(labels[index]) }

    public func write(sample index: Int, into destination: UnsafeMutablePointer<Float>, channelStride: Int) {
        precondition(index >= 0 && index < count, "CIFAR-10 image index \(index) out of 0..<\(count)")
        let plane = shape.spatial
        pixels.withUnsafeBufferPointer { bytes in
            let image = bytes.baseAddress! + index * Self.imageBytes
            for channel in 0..<3 {
                let source = image + channel * plane, target = destination + channel * channelStride
                for i in 0..<plane { target[i] = Float(source[i]) * (2 / 255) - 1 }
            }
        }
    }
}

private extension String {
    /// Without leading and trailing blanks (and the \r of a CRLF line); GantryData does
    /// without Foundation.
    func trimmed() -> String {
        let blank: (Character) -> Bool = { $0 == " " || $0 == "\t" || $0 == "\r" }
        guard let first = firstIndex(where: { !blank($0) }), let last = lastIndex(where: { !blank($0) }) else { return "" }
        return String(self[first...last])
    }
}

extension CIFAR10 {
    /// The CIFAR-10 records of `dataset`'s samples `indices` (a 3×32×32 dataset, labelled
    /// with at most 10 classes; an unlabelled one gets label 0), each value in [-1, 1]
    /// rounded to the nearest byte: how the tests (and anyone who wants to) write batch files
    /// from another dataset, e.g. `color32:idx:data/mnist5k`.
    public static func records(of dataset: any Dataset, indices: Range<Int>) -> [UInt8] {
        precondition(dataset.shape == SampleShape(channels: 3, height: side, width: side), "CIFAR-10 records hold 3x32x32 images, not \(dataset.shape)")
        precondition(dataset.classNames.count <= classCount, "CIFAR-10 records hold labels 0-9, \(dataset.name) has \(dataset.classNames.count) classes")
        var bytes: [UInt8] = []
        bytes.reserveCapacity(indices.count * recordBytes)
        var image = [Float](repeating: 0, count: imageBytes)
        for index in indices {
            image.withUnsafeMutableBufferPointer { dataset.write(sample: index, into: $0.baseAddress!, channelStride: side * side) }
            bytes.append(UInt8(dataset.label(ofSample: index) ?? 0))
            bytes += image.map { UInt8((min(max($0, -1), 1) + 1) * 127.5 + 0.5) }
        }
        return bytes
    }

    /// `dataset` as CIFAR-10's files (`gantry prepare --format cifar10`): its samples in order,
    /// split as evenly as can be over the five training batches (the first ones take one more),
    /// and batches.meta.txt when it names exactly ten classes. Every batch gets at least one
    /// record, so the dataset needs five samples or more.
    public static func files(of dataset: any Dataset) -> [(name: String, bytes: [UInt8])] {
        precondition(dataset.count >= batchNames.count, "CIFAR-10 batches need at least \(batchNames.count) samples, \(dataset.name) has \(dataset.count)")
        var files: [(name: String, bytes: [UInt8])] = []
        var first = 0
        for (b, name) in batchNames.enumerated() {
            let count = dataset.count / batchNames.count + (b < dataset.count % batchNames.count ? 1 : 0)
            files.append((name, records(of: dataset, indices: first ..< first + count)))
            first += count
        }
        if dataset.classNames.count == classCount {
            files.append((metaName, Array((dataset.classNames.joined(separator: "\n") + "\n").utf8)))
        }
        return files
    }
}
