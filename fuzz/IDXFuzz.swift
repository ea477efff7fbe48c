// libFuzzer target for the MNIST IDX readers (GantryData's IDXImages and IDXLabels).
//
// Each input goes four ways, and any crash, trap, hang or sanitizer report is a bug:
//  1. the parser itself, IDXImages(bytes:source:); an accepted file must have consistent
//     fields, and its first and last images must be writable into a batch in [-1, 1];
//  2. the input written to a file and opened with IDXImages(path:) (zlib's gzopen/gzread):
//     gzip inputs (the .gz seeds and their mutants) exercise zlib's decoder and the error
//     handling around it; a non-gzip input must give exactly what the parser gave;
//  3. the input gzip-compressed to a file and opened the same way, which must also give
//     exactly what the parser gave: same images, or the same error (except that a header
//     claiming more than the compressed file can hold is refused as such, where the parser,
//     knowing the exact size, says "truncated");
//  4. the input as the labels file beside an images file (x-labels-idx1-ubyte next to
//     x-images-idx3-ubyte), read with the images by IDXImages(path:): a non-gzip input must
//     give what IDXLabels(bytes:source:imageCount:) gives (the same labels, one per image,
//     or the same error). The image count is the one the input declares (at most 4096),
//     or one more when its last byte is a multiple of 8, so that both the count check and
//     the payload are reached.
//
// Tool mode, used by fuzz/run.sh to make seeds (runs instead of fuzzing):
//   GANTRY_FUZZ_WRITE_SEEDS=DIR idx-fuzzer
// writes small valid IDX files, raw and gzip.
import CZlib
import GantryData
import Glibc

let scratch = makeScratchDirectory("idx-fuzz")
let rawPath = scratch + "/input"
let gzipPath = scratch + "/input.gz"
let imagesPath = scratch + "/x-images-idx3-ubyte"
let labelsPath = scratch + "/x-labels-idx1-ubyte"

/// The outcome of reading, comparable across the three routes.
enum Outcome: Equatable {
    case images(path: String, count: Int, shape: SampleShape, pixels: [UInt8])
    case refused(DatasetError)
}

func outcome(_ read: () throws -> IDXImages) -> Outcome {
    switch reading(read, refusal: DatasetError.self) {
    case let .success(images):
        check(images)
        return .images(path: images.path, count: images.count, shape: images.shape, pixels: images.pixels)
    case let .failure(error):
        return .refused(error)
    }
}

func check(_ images: IDXImages) {
    let plane = images.shape.spatial
    precondition(images.count > 0 && images.shape.channels == 1 && images.shape.height > 0 && images.shape.width > 0,
                 "accepted an IDX file with count \(images.count) and shape \(images.shape)")
    precondition(images.pixels.count == images.count * plane,
                 "\(images.pixels.count) pixel bytes for \(images.count) images of \(images.shape)")
    var sample = [Float](repeating: .nan, count: plane)
    for index in Set([0, images.count - 1]) {
        images.write(sample: index, into: &sample, channelStride: plane)
        precondition(sample.allSatisfy { $0 >= -1 && $0 <= 1 }, "image \(index) has values outside [-1, 1]")
    }
}

func report(_ route: String, _ outcome: Outcome, _ size: Int) {
    guard fuzzVerbose else { return }
    switch outcome {
    case let .images(_, count, shape, _): print("\(route): accepted (\(size) bytes): \(count) images of \(shape)")
    case let .refused(error): print("\(route): refused (\(size) bytes): \(error)")
    }
}

@_cdecl("LLVMFuzzerTestOneInput")
public func idxFuzzOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let bytes = fuzzInput(data, size)

    // 1. The parser.
    let parsed = outcome { try IDXImages(bytes: bytes, source: rawPath) }
    report("parser", parsed, bytes.count)

    // 2. The same bytes as a file. zlib reads a file that starts with the gzip magic 1f 8b
    //    as gzip, anything else as is.
    writeFile(rawPath, bytes)
    let fromFile = outcome { try IDXImages(path: rawPath) }
    report("file", fromFile, bytes.count)
    if !bytes.starts(with: [0x1f, 0x8b]) {
        precondition(fromFile == parsed, "IDXImages(path:) and IDXImages(bytes:) disagree: \(fromFile) vs \(parsed)")
    }

    // 4. (before 3, which may return early) The bytes as a labels file.
    checkLabels(bytes)

    // 3. The bytes gzip-compressed (level 1: fast).
    guard let file = gzopen(gzipPath, "wb1") else { fatalError("fuzz harness: gzopen \(gzipPath) failed") }
    if !bytes.isEmpty {
        precondition(gzwrite(file, bytes, UInt32(bytes.count)) == Int32(bytes.count), "fuzz harness: gzwrite failed")
    }
    precondition(gzclose(file) == Z_OK, "fuzz harness: gzclose failed")
    let fromGzip = outcome { try IDXImages(path: gzipPath) }
    let expected = outcome { try IDXImages(bytes: bytes, source: gzipPath) }
    // Reading gzip may refuse a header before the parser's "truncated": its claim is more
    // than the compressed file can hold at deflate's greatest ratio.
    if case .refused(.invalidHeader(_, let reason)) = fromGzip, reason.contains("gzip data"),
       case .refused(.truncated) = expected {
        return 0
    }
    precondition(fromGzip == expected, "gzip reading disagrees with the parser: \(fromGzip) vs \(expected)")
    return 0
}

func checkLabels(_ bytes: [UInt8]) {
    let declared = bytes.count >= 8 ? bytes[4..<8].reduce(0) { $0 << 8 | Int($1) } : 1
    let imageCount = max(1, min(declared, 4096)) + (bytes.last.map { $0 % 8 == 0 } == true ? 1 : 0)
    writeFile(imagesPath, idx(count: imageCount, rows: 1, columns: 1))
    writeFile(labelsPath, bytes)
    let parsed = reading({ try IDXLabels(bytes: bytes, source: labelsPath, imageCount: imageCount).labels as [UInt8]? },
                         refusal: DatasetError.self)
    let beside = reading({
        let images = try IDXImages(path: imagesPath)
        if let labels = images.labels {
            precondition(images.isLabelled && images.classNames.count >= 10 && labels.labels.count == images.count
                         && images.label(ofSample: images.count - 1) == Int(labels.labels[images.count - 1]),
                         "labels accepted inconsistently: \(labels.labels.count) for \(images.count) images")
        }
        return images.labels?.labels
    }, refusal: DatasetError.self)
    if fuzzVerbose { print("labels: \(beside) for \(imageCount) images") }
    if !bytes.starts(with: [0x1f, 0x8b]) {
        precondition(beside == parsed, "IDXImages(path:) labels and IDXLabels(bytes:) disagree: \(beside) vs \(parsed)")
    }
}

@_cdecl("LLVMFuzzerInitialize")
public func idxFuzzInitialize(_ argc: UnsafeMutablePointer<CInt>, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>) -> CInt {
    writeSeedsIfAsked(writeSeeds)
    atexit {
        unlink(rawPath)
        unlink(gzipPath)
        unlink(imagesPath)
        unlink(labelsPath)
        rmdir(scratch)
    }
    return 0
}

/// An IDX image file: header, then count·rows·columns pixel bytes (a gradient per image).
func idx(count: Int, rows: Int, columns: Int) -> [UInt8] {
    var bytes: [UInt8] = []
    for word in [IDXImages.magic, UInt32(count), UInt32(rows), UInt32(columns)] {
        bytes += [UInt8(word >> 24), UInt8(word >> 16 & 0xff), UInt8(word >> 8 & 0xff), UInt8(word & 0xff)]
    }
    for i in 0..<count {
        for k in 0..<rows * columns { bytes.append(UInt8((i * 37 + k * 3) % 256)) }
    }
    return bytes
}

func writeSeeds(to directory: String) {
    let files: [(String, [UInt8], gzip: Bool)] = [
        ("generated-5x4x3.idx", idx(count: 5, rows: 4, columns: 3), false),
        ("generated-5x4x3.idx.gz", idx(count: 5, rows: 4, columns: 3), true),
        ("generated-1x1x1.idx", idx(count: 1, rows: 1, columns: 1), false),
        ("generated-2x28x28.idx", idx(count: 2, rows: 28, columns: 28), false),
        ("generated-3x28x28.idx.gz", idx(count: 3, rows: 28, columns: 28), true),
        ("generated-trailing.idx", idx(count: 2, rows: 2, columns: 2) + [0xde, 0xad, 0xbe, 0xef], false),
        ("generated-labels-5.idx1", [0, 0, 8, 1, 0, 0, 0, 5, 7, 2, 1, 0, 4], false),
    ]
    for (name, bytes, gzip) in files {
        let path = "\(directory)/\(name)"
        if gzip {
            guard let file = gzopen(path, "wb9") else { fatalError("cannot write \(path)") }
            precondition(gzwrite(file, bytes, UInt32(bytes.count)) == Int32(bytes.count))
            precondition(gzclose(file) == Z_OK)
        } else {
            writeFile(path, bytes)
        }
        // Every images seed must be accepted, by the route it is meant for.
        if !name.contains("labels"), case .refused(let error) = outcome({ try IDXImages(path: path) }) {
            fatalError("seed \(path) is refused: \(error)")
        }
    }
    print("idx-fuzzer: wrote \(files.count) seeds to \(directory)")
}
