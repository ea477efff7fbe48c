// libFuzzer target for the pack reader (GantryData's PackLayout.parse and PackedImages, the
// `pack:FILE` dataset; docs/pack-format.md).
//
// Each input goes three ways, and any crash, trap, hang or sanitizer report is a bug:
//  1. PackLayout.parse on the bytes; an accepted pack must have consistent fields;
//  2. the same bytes "resealed": the header CRC and chunk CRCs recomputed by this harness's
//     own reading of the documented layout, so that mutations get past the checksums and
//     reach the checks behind them (class names, labels, sizes);
//  3. the resealed bytes written to a file and opened with PackedImages(path:) (mmap), which
//     must give exactly what route 2 gave, and whose first and last samples must write into
//     a batch within [-1, 1] with labels among the classes.
//
// Tool mode, used by fuzz/run.sh to make seeds (runs instead of fuzzing):
//   GANTRY_FUZZ_WRITE_SEEDS=DIR pack-fuzzer
// writes small packs, labelled and not, of one and several chunks.
import CZlib
import GantryData
import Glibc

let scratch = makeScratchDirectory("pack-fuzz")
let packPath = scratch + "/input.gpack"

enum Outcome: Equatable {
    case accepted(PackLayout)
    case refused(String)
}

func outcome(_ read: () throws -> PackLayout) -> Outcome {
    do {
        let layout = try read()
        precondition(layout.count > 0 && layout.shape.count > 0 && layout.fileBytes >= layout.pixelsOffset,
                     "accepted an inconsistent layout \(layout)")
        return .accepted(layout)
    } catch let error as DatasetError {
        return .refused(error.description)
    } catch {
        fatalError("the pack reader threw something other than a DatasetError: \(error)")
    }
}

func load(_ bytes: [UInt8], _ offset: Int, _ size: Int) -> UInt64 {
    (0..<size).reduce(0) { $0 | UInt64(bytes[offset + $1]) << (8 * $1) }
}

func store32(_ bytes: inout [UInt8], _ offset: Int, _ value: UInt32) {
    for i in 0..<4 { bytes[offset + i] = UInt8(truncatingIfNeeded: value >> (8 * i)) }
}

func crc(_ bytes: ArraySlice<UInt8>) -> UInt32 {
    bytes.withUnsafeBufferPointer { UInt32(crc32_z(0, $0.baseAddress, $0.count)) }
}

/// The input with its checksums made right, when its fixed fields locate them (nil if not).
func resealed(_ input: [UInt8]) -> [UInt8]? {
    guard input.count >= 56 else { return nil }
    var bytes = input
    let count = load(bytes, 16, 8), classes = load(bytes, 36, 4), chunk = load(bytes, 40, 8), pixels = load(bytes, 48, 8)
    let channels = load(bytes, 24, 4), height = load(bytes, 28, 4), width = load(bytes, 32, 4)
    guard pixels >= 56, pixels <= UInt64(bytes.count), chunk > 0, chunk <= 1 << 30, count < 1 << 24,
          channels < 1 << 8, height < 1 << 16, width < 1 << 16 else { return nil }
    let sample = channels * height * width
    let pixelBytes = Int(count * sample)
    guard Int(pixels) + pixelBytes <= bytes.count else { return nil }
    var offset = 56
    for _ in 0..<min(classes, 1 << 16) where offset + 2 <= Int(pixels) {
        offset += 2 + Int(load(bytes, offset, 2))
    }
    if classes > 0 { offset += 4 * Int(count) }
    let chunks = (pixelBytes + Int(chunk) - 1) / Int(chunk)
    guard offset + 4 * chunks <= Int(pixels) else { return nil }
    for i in 0..<chunks {
        let start = Int(pixels) + i * Int(chunk)
        store32(&bytes, offset + 4 * i, crc(bytes[start..<min(Int(pixels) + pixelBytes, start + Int(chunk))]))
    }
    store32(&bytes, 12, crc(bytes[16..<Int(pixels)]))
    return bytes
}

@_cdecl("LLVMFuzzerTestOneInput")
public func packFuzzOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let bytes = fuzzInput(data, size)
    let parsed = outcome { try bytes.withUnsafeBytes { try PackLayout.parse($0, source: "input") } }
    if fuzzVerbose { print("as is: \(parsed)") }
    guard let sealed = resealed(bytes) else { return 0 }
    let resealedOutcome = outcome { try sealed.withUnsafeBytes { try PackLayout.parse($0, source: packPath) } }
    if fuzzVerbose { print("resealed: \(resealedOutcome)") }

    writeFile(packPath, sealed)
    var opened: PackedImages?
    let mapped = outcome {
        let pack = try PackedImages(path: packPath)
        opened = pack
        return pack.layout
    }
    precondition(mapped == resealedOutcome, "PackedImages(path:) and PackLayout.parse disagree: \(mapped) vs \(resealedOutcome)")
    if let pack = opened {
        var sample = [Float](repeating: .nan, count: pack.shape.count)
        for index in Set([0, pack.count - 1]) {
            pack.write(sample: index, into: &sample, channelStride: pack.shape.spatial)
            precondition(sample.allSatisfy { $0 >= -1 && $0 <= 1 }, "sample \(index) outside [-1, 1]")
            if let label = pack.label(ofSample: index) {
                precondition(label >= 0 && label < pack.classNames.count, "sample \(index) has label \(label) of \(pack.classNames.count)")
            }
        }
    }
    return 0
}

/// A few byte images, labelled when `classes` are given.
struct TinyImages: Dataset {
    let count: Int
    let shape: SampleShape
    let classNames: [String]
    var name: String { "tiny" }
    func write(sample index: Int, into destination: UnsafeMutablePointer<Float>, channelStride: Int) {
        for c in 0..<shape.channels {
            for i in 0..<shape.spatial { destination[c * channelStride + i] = Float((index * 31 + c * 7 + i) % 256) * (2 / 255) - 1 }
        }
    }
    func label(ofSample index: Int) -> Int? { classNames.isEmpty ? nil : index % classNames.count }
}

@_cdecl("LLVMFuzzerInitialize")
public func packFuzzInitialize(_ argc: UnsafeMutablePointer<CInt>, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>) -> CInt {
    if let directory = environment("GANTRY_FUZZ_WRITE_SEEDS") {
        let seeds: [(String, TinyImages, Int)] = [
            ("unlabelled-2x1x2x2", TinyImages(count: 2, shape: SampleShape(channels: 1, height: 2, width: 2), classNames: []), 4096),
            ("labelled-3x3x4x4", TinyImages(count: 3, shape: SampleShape(channels: 3, height: 4, width: 4), classNames: ["cat", "dog"]), 4096),
            ("chunks-5x1x3x3", TinyImages(count: 5, shape: SampleShape(channels: 1, height: 3, width: 3), classNames: ["a", "b", "c"]), 16),
        ]
        for (name, dataset, chunkBytes) in seeds {
            let (header, pixels) = PackLayout.encode(dataset, chunkBytes: chunkBytes)
            let bytes = header + pixels
            guard case .accepted = outcome({ try bytes.withUnsafeBytes { try PackLayout.parse($0, source: name) } }) else {
                fatalError("seed \(name) is refused")
            }
            writeFile("\(directory)/\(name).gpack", bytes)
        }
        print("pack-fuzzer: wrote \(seeds.count) seeds to \(directory)")
        fflush(stdout)
        _exit(0)
    }
    atexit {
        unlink(packPath)
        rmdir(scratch)
    }
    return 0
}
