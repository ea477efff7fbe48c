// libFuzzer target for the CIFAR-10 batch reader (GantryData's CIFAR10).
//
// Each input goes three ways, and any crash, trap, hang or sanitizer report is a bug:
//  1. as a batch file's bytes, CIFAR10.decode(batch:path:...): an accepted batch is whole
//     records with labels 0-9, and its first and last images write into a batch in [-1, 1];
//  2. as each of the five batch files of a directory read with CIFAR10(directory:), which
//     must give exactly what route 1 gave: five times its images and labels, or the same
//     error (naming data_batch_1.bin, the first file read);
//  3. as batches.meta.txt beside five valid one-record batches: the file must give what
//     CIFAR10.parseClassNames gives for the bytes (ten printable names, or the same error),
//     and no batches.meta.txt gives "0"…"9".
//
// Tool mode, used by fuzz/run.sh to make seeds (runs instead of fuzzing):
//   GANTRY_FUZZ_WRITE_SEEDS=DIR cifar-fuzzer
// writes small valid batch files and a batches.meta.txt.
import GantryData
import Glibc

let scratch = makeScratchDirectory("cifar-fuzz")
/// Route 2's directory: the input as all five batches.
let batches = scratch + "/batches"
/// Route 3's directory: valid batches, the input as batches.meta.txt.
let named = scratch + "/named"
let metaPath = named + "/" + CIFAR10.metaName

/// What a route read: comparable across the routes.
struct Contents: Equatable {
    var pixels: [UInt8] = [], labels: [UInt8] = [], classNames: [String]
}
typealias Outcome = Result<Contents, DatasetError>

func check(_ dataset: CIFAR10) {
    precondition(dataset.count > 0 && dataset.pixels.count == dataset.count * CIFAR10.imageBytes
                 && dataset.labels.count == dataset.count, "accepted \(dataset.count) images with \(dataset.pixels.count) pixel bytes")
    precondition(dataset.labels.allSatisfy { $0 < 10 } && dataset.classNames.count == 10, "labels or class names out of range")
    var sample = [Float](repeating: .nan, count: CIFAR10.imageBytes)
    for index in Set([0, dataset.count - 1]) {
        dataset.write(sample: index, into: &sample, channelStride: 1024)
        precondition(sample.allSatisfy { $0 >= -1 && $0 <= 1 }, "image \(index) has values outside [-1, 1]")
    }
}

func read(_ directory: String) -> Outcome {
    reading({
        let dataset = try CIFAR10(directory: directory)
        check(dataset)
        return Contents(pixels: dataset.pixels, labels: dataset.labels, classNames: dataset.classNames)
    }, refusal: DatasetError.self)
}

func report(_ route: String, _ outcome: Outcome, _ size: Int) {
    guard fuzzVerbose else { return }
    switch outcome {
    case let .success(contents): print("\(route): accepted (\(size) bytes): \(contents.labels.count) images, classes \(contents.classNames)")
    case let .failure(error): print("\(route): refused (\(size) bytes): \(error)")
    }
}

@_cdecl("LLVMFuzzerTestOneInput")
public func cifarFuzzOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let bytes = fuzzInput(data, size)
    let digits = (0..<10).map(String.init)

    // 1. The bytes as one batch, in memory.
    let first = batches + "/" + CIFAR10.batchNames[0]
    let decoded = reading({
        var contents = Contents(classNames: digits)
        try CIFAR10.decode(batch: bytes, path: first, pixels: &contents.pixels, labels: &contents.labels)
        return contents
    }, refusal: DatasetError.self)
    report("batch", decoded, bytes.count)

    // 2. The bytes as all five batch files.
    for name in CIFAR10.batchNames { writeFile(batches + "/" + name, bytes) }
    let fromFiles = read(batches)
    report("files", fromFiles, bytes.count)
    // Five batches of the same records, or the same refusal.
    let expected = decoded.map { one in
        Contents(pixels: Array([[UInt8]](repeating: one.pixels, count: 5).joined()),
                 labels: Array([[UInt8]](repeating: one.labels, count: 5).joined()), classNames: one.classNames)
    }
    precondition(fromFiles == expected, "CIFAR10(directory:) and CIFAR10.decode disagree: \(fromFiles) vs \(expected)")

    // 3. The bytes as batches.meta.txt.
    let parsed = reading({ try CIFAR10.parseClassNames(bytes, path: metaPath) }, refusal: DatasetError.self)
    writeFile(metaPath, bytes)
    let withMeta = read(named)
    report("meta", withMeta, bytes.count)
    precondition(withMeta.map(\.classNames) == parsed, "batches.meta.txt read and parsed disagree: \(withMeta) vs \(parsed)")
    if case let .success(names) = parsed {
        precondition(names.allSatisfy { !$0.isEmpty && $0.unicodeScalars.allSatisfy { $0.value >= 0x20 && $0.value != 0x7f } },
                     "accepted a class name that is empty or not printable: \(names)")
    }
    return 0
}

@_cdecl("LLVMFuzzerInitialize")
public func cifarFuzzInitialize(_ argc: UnsafeMutablePointer<CInt>, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>) -> CInt {
    writeSeedsIfAsked(writeSeeds)
    for directory in [batches, named] { precondition(mkdir(directory, 0o700) == 0, "fuzz harness: mkdir \(directory) failed") }
    for name in CIFAR10.batchNames { writeFile(named + "/" + name, record(label: 3, shade: 7)) }
    atexit {
        for name in CIFAR10.batchNames {
            unlink(batches + "/" + name)
            unlink(named + "/" + name)
        }
        unlink(metaPath)
        rmdir(batches)
        rmdir(named)
        rmdir(scratch)
    }
    return 0
}

/// One CIFAR-10 record: the label, then a gradient over the 3072 pixel bytes.
func record(label: UInt8, shade: Int) -> [UInt8] {
    [label] + (0..<CIFAR10.imageBytes).map { UInt8((shade + $0 * 3) % 256) }
}

func writeSeeds(to directory: String) {
    let names = "airplane\nautomobile\nbird\ncat\ndeer\ndog\nfrog\nhorse\nship\ntruck\n\n"
    let files: [(String, [UInt8])] = [
        ("one-record.bin", record(label: 0, shade: 1)),
        ("two-records.bin", record(label: 9, shade: 5) + record(label: 4, shade: 200)),
        ("batches.meta.txt", Array(names.utf8)),
    ]
    for (name, bytes) in files {
        writeFile("\(directory)/\(name)", bytes)
    }
    print("cifar-fuzzer: wrote \(files.count) seeds to \(directory)")
}
