// The `.gpack` file that `gantry prepare` writes and `pack:FILE` maps (docs/pack-format.md):
// a checksummed header, then the samples as bytes, page-aligned so that they can be used in
// place from a shared read-only mapping. All integers little-endian.
//
//   0  8  magic "GANTRYPK"
//   8  4  format version (1)
//  12  4  CRC32 of bytes 16 ..< pixels offset (every header byte after this field)
//  16  8  sample count N
//  24  4  channels C      28  4  height H      32  4  width W
//  36  4  class count K (0: unlabelled)
//  40  8  chunk bytes B (the pixel bytes each chunk CRC covers)
//  48  8  pixels offset P (a multiple of 4096)
//  56     K class names, each a UInt16 length and UTF-8
//         N labels, UInt32 each (only when K > 0)
//         ceil(N·C·H·W / B) chunk CRC32s, UInt32 each
//         zeros up to P
//   P     N samples of C·H·W bytes: each sample's channel planes, row-major
//
// Nothing follows the pixels.
import CZlib

public struct PackLayout: Equatable {
    public static let magic = Array("GANTRYPK".utf8)
    public static let version: UInt32 = 1
    /// The bytes up to the first class name.
    static let fixedBytes = 56
    /// The pixels start on a page boundary.
    public static let alignment = 4096
    public static let defaultChunkBytes = 4 << 20

    public let count: Int
    public let shape: SampleShape
    public let classNames: [String]
    public let chunkBytes: Int
    /// Where the labels start (meaningful only when there are classes).
    public let labelsOffset: Int
    public let chunkCRCsOffset: Int
    public let pixelsOffset: Int

    public var pixelBytes: Int { count * shape.count }
    public var fileBytes: Int { pixelsOffset + pixelBytes }
    var chunkCount: Int { (pixelBytes + chunkBytes - 1) / chunkBytes }

    // MARK: - Writing

    /// A dataset as a pack: the header and the pixels, written one after the other. Each
    /// sample is read through `write(sample:)` and stored as bytes, so a dataset of bytes
    /// scaled to [-1, 1] (every image dataset) round-trips exactly; `progress` receives a line
    /// now and then.
    public static func encode(_ dataset: any Dataset, chunkBytes: Int = defaultChunkBytes,
                              progress: (String) -> Void = { _ in }) -> (header: [UInt8], pixels: [UInt8]) {
        let shape = dataset.shape
        var pixels = [UInt8](repeating: 0, count: dataset.count * shape.count)
        var sample = [Float](repeating: 0, count: shape.count)
        for index in 0..<dataset.count {
            dataset.write(sample: index, into: &sample, channelStride: shape.spatial)
            for (i, value) in sample.enumerated() {
                // The inverse of byte · 2/255 − 1, rounded: exact for every byte.
                pixels[index * shape.count + i] = UInt8(min(255, max(0, ((value + 1) * 127.5).rounded())))
            }
        }
        let labels = dataset.isLabelled ? (0..<dataset.count).map { dataset.label(ofSample: $0) ?? 0 } : []
        return (header(shape: shape, classNames: dataset.classNames, labels: labels, pixels: pixels, chunkBytes: chunkBytes), pixels)
    }

    /// The header for `pixels` (samples of `shape`), padding included.
    static func header(shape: SampleShape, classNames: [String], labels: [Int], pixels: [UInt8], chunkBytes: Int) -> [UInt8] {
        var bytes = magic
        func append<T: FixedWidthInteger>(_ value: T) { withUnsafeBytes(of: value.littleEndian) { bytes.append(contentsOf: $0) } }
        append(version)
        append(UInt32(0))  // the CRC, filled in last
        append(UInt64(pixels.count / shape.count))
        for dimension in [shape.channels, shape.height, shape.width, classNames.count] { append(UInt32(dimension)) }
        append(UInt64(chunkBytes))
        let pixelsOffsetField = bytes.count
        append(UInt64(0))  // the pixels offset, filled in once the header's size is known
        for name in classNames {
            append(UInt16(name.utf8.count))
            bytes.append(contentsOf: name.utf8)
        }
        for label in labels { append(UInt32(label)) }
        pixels.withUnsafeBytes { raw in
            for start in stride(from: 0, to: raw.count, by: chunkBytes) {
                append(UInt32(checksum(UnsafeRawBufferPointer(rebasing: raw[start..<min(raw.count, start + chunkBytes)]))))
            }
        }
        let pixelsOffset = (bytes.count + alignment - 1) / alignment * alignment
        bytes.append(contentsOf: [UInt8](repeating: 0, count: pixelsOffset - bytes.count))
        withUnsafeBytes(of: UInt64(pixelsOffset).littleEndian) { bytes.replaceSubrange(pixelsOffsetField..<pixelsOffsetField + 8, with: $0) }
        let crc = bytes.withUnsafeBytes { checksum(UnsafeRawBufferPointer(rebasing: $0[16...])) }
        withUnsafeBytes(of: crc.littleEndian) { bytes.replaceSubrange(12..<16, with: $0) }
        return bytes
    }

    // MARK: - Reading

    /// Parses and checks a whole pack file: magic, version, sizes against the file's, the
    /// header's CRC32, the class names and labels, and every chunk's CRC32. `source` names the
    /// file in errors.
    public static func parse(_ file: UnsafeRawBufferPointer, source: String) throws -> PackLayout {
        guard file.count >= magic.count, file.prefix(magic.count).elementsEqual(magic) else {
            throw DatasetError.invalidHeader(path: source, reason: "not a Gantry pack (a pack starts with GANTRYPK; `gantry prepare` writes them)")
        }
        guard file.count >= fixedBytes else { throw DatasetError.truncated(path: source, expectedBytes: fixedBytes, foundBytes: file.count) }
        func load<T: FixedWidthInteger>(_ offset: Int, _: T.Type) -> T { T(littleEndian: file.loadUnaligned(fromByteOffset: offset, as: T.self)) }
        let version = load(8, UInt32.self)
        guard version == Self.version else {
            throw DatasetError.invalidHeader(path: source, reason: "format version \(version); this Gantry reads version \(Self.version) (update Gantry, or prepare the pack again)")
        }
        let count = load(16, UInt64.self), chunkBytes = load(40, UInt64.self), pixelsOffset = load(48, UInt64.self)
        let channels = Int(load(24, UInt32.self)), height = Int(load(28, UInt32.self)), width = Int(load(32, UInt32.self))
        let classCount = Int(load(36, UInt32.self))
        guard count > 0 else { throw DatasetError.noImages(path: source) }
        guard channels > 0, channels <= 4, height > 0, width > 0, height <= 1 << 16, width <= 1 << 16 else {
            throw DatasetError.invalidHeader(path: source, reason: "sample shape \(channels)x\(height)x\(width)")
        }
        let shape = SampleShape(channels: channels, height: height, width: width)
        guard chunkBytes > 0, chunkBytes <= 1 << 30, pixelsOffset >= fixedBytes, pixelsOffset <= file.count,
              pixelsOffset % UInt64(alignment) == 0 else {
            throw DatasetError.invalidHeader(path: source, reason: "chunk size \(chunkBytes) or pixels offset \(pixelsOffset) out of range")
        }
        // Sizes against the file's before anything else is believed.
        let (pixelBytes, overflow) = Int(clamping: count).multipliedReportingOverflow(by: shape.count)
        guard count <= UInt64(Int32.max), !overflow, pixelBytes <= file.count else {
            throw DatasetError.truncated(path: source, expectedBytes: Int(pixelsOffset) + (overflow ? Int.max - Int(pixelsOffset) : pixelBytes), foundBytes: file.count)
        }
        let end = Int(pixelsOffset) + pixelBytes
        guard file.count >= end else { throw DatasetError.truncated(path: source, expectedBytes: end, foundBytes: file.count) }
        guard file.count == end else {
            throw DatasetError.invalidHeader(path: source, reason: "\(file.count - end) bytes follow the \(count) samples its header declares")
        }
        let storedCRC = load(12, UInt32.self)
        guard checksum(UnsafeRawBufferPointer(rebasing: file[16..<Int(pixelsOffset)])) == storedCRC else {
            throw DatasetError.corrupt(path: source, reason: "the header fails its CRC32 check")
        }

        // The header's variable part, now known to be what the writer wrote.
        var offset = fixedBytes
        func room(_ bytes: Int, for what: String) throws {
            guard bytes <= Int(pixelsOffset) - offset else {
                throw DatasetError.invalidHeader(path: source, reason: "\(what) run past the pixels offset \(pixelsOffset)")
            }
        }
        var classNames: [String] = []
        for _ in 0..<classCount {
            try room(2, for: "the class names")
            let length = Int(load(offset, UInt16.self))
            try room(2 + length, for: "the class names")
            guard let name = String(validating: file[offset + 2 ..< offset + 2 + length], as: UTF8.self), !name.isEmpty else {
                throw DatasetError.invalidHeader(path: source, reason: "class name \(classNames.count) is empty or not UTF-8")
            }
            classNames.append(name)
            offset += 2 + length
        }
        let labelsOffset = offset
        if classCount > 0 {
            try room(4 * Int(count), for: "the labels")
            for index in 0..<Int(count) where Int(load(offset + 4 * index, UInt32.self)) >= classCount {
                throw DatasetError.invalidHeader(path: source, reason: "sample \(index) has label \(load(offset + 4 * index, UInt32.self)), not one of the \(classCount) classes")
            }
            offset += 4 * Int(count)
        }
        let layout = PackLayout(count: Int(count), shape: shape, classNames: classNames, chunkBytes: Int(chunkBytes),
                                labelsOffset: labelsOffset, chunkCRCsOffset: offset, pixelsOffset: Int(pixelsOffset))
        try room(4 * layout.chunkCount, for: "the chunk checksums")
        for chunk in 0..<layout.chunkCount {
            let start = layout.pixelsOffset + chunk * layout.chunkBytes
            let bytes = UnsafeRawBufferPointer(rebasing: file[start..<min(end, start + layout.chunkBytes)])
            guard checksum(bytes) == load(layout.chunkCRCsOffset + 4 * chunk, UInt32.self) else {
                let first = chunk * layout.chunkBytes / shape.count, last = (start - layout.pixelsOffset + bytes.count - 1) / shape.count
                throw DatasetError.corrupt(path: source, reason: "the pixels of samples \(first)…\(last) fail their CRC32 check")
            }
        }
        return layout
    }

    /// The label of sample `index` in `file` (a pack with classes).
    func label(ofSample index: Int, in file: UnsafeRawBufferPointer) -> Int {
        Int(UInt32(littleEndian: file.loadUnaligned(fromByteOffset: labelsOffset + 4 * index, as: UInt32.self)))
    }
}

/// zlib's CRC32 (polynomial 0xEDB88320), as the checkpoint format uses.
func checksum(_ bytes: UnsafeRawBufferPointer) -> UInt32 {
    guard let base = bytes.baseAddress else { return UInt32(crc32_z(0, nil, 0)) }
    return UInt32(crc32_z(0, base.assumingMemoryBound(to: UInt8.self), bytes.count))
}
