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

/// The outcome of reading, comparable across the routes.
enum Outcome: Equatable {
    case images(pixels: [UInt8], labels: [UInt8], classNames: [String])
    case refused(DatasetError)
}

func outcome(_ read: () throws -> Outcome) -> Outcome {
    do {
        return try read()
    } catch let error as DatasetError {
        _ = error.description
        return .refused(error)
    } catch {
        fatalError("the CIFAR-10 reader threw something other than a DatasetError: \(error)")
    }
}

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
    outcome {
        let dataset = try CIFAR10(directory: directory)
        check(dataset)
        return .images(pixels: dataset.pixels, labels: dataset.labels, classNames: dataset.classNames)
    }
}

func report(_ route: String, _ outcome: Outcome, _ size: Int) {
    guard fuzzVerbose else { return }
    switch outcome {
    case let .images(_, labels, names): print("\(route): accepted (\(size) bytes): \(labels.count) images, classes \(names)")
    case let .refused(error): print("\(route): refused (\(size) bytes): \(error)")
    }
}

@_cdecl("LLVMFuzzerTestOneInput")
public func cifarFuzzOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let bytes = fuzzInput(data, size)
    let digits = (0..<10).map(String.init)

    // 1. The bytes as one batch, in memory.
    let first = batches + "/" + CIFAR10.batchNames[0]
    let decoded = outcome {
        var pixels: [UInt8] = [], labels: [UInt8] = []
        try CIFAR10.decode(batch: bytes, path: first, pixels: &pixels, labels: &labels)
        return .images(pixels: pixels, labels: labels, classNames: digits)
    }
    report("batch", decoded, bytes.count)

    // 2. The bytes as all five batch files.
    for name in CIFAR10.batchNames { writeFile(batches + "/" + name, bytes) }
    let fromFiles = read(batches)
    report("files", fromFiles, bytes.count)
    switch decoded {
    case let .images(pixels, labels, names):
        let five = Outcome.images(pixels: Array([[UInt8]](repeating: pixels, count: 5).joined()),
                                  labels: Array([[UInt8]](repeating: labels, count: 5).joined()), classNames: names)
        precondition(fromFiles == five, "CIFAR10(directory:) and CIFAR10.decode disagree: \(fromFiles)")
    case .refused:
        precondition(fromFiles == decoded, "CIFAR10(directory:) and CIFAR10.decode disagree: \(fromFiles) vs \(decoded)")
    }

    // 3. The bytes as batches.meta.txt.
    let parsed = outcome { .images(pixels: [], labels: [], classNames: try CIFAR10.parseClassNames(bytes, path: metaPath)) }
    writeFile(metaPath, bytes)
    let withMeta = read(named)
    report("meta", withMeta, bytes.count)
    switch (withMeta, parsed) {
    case let (.images(_, _, names), .images(_, _, expected)):
        precondition(names == expected, "batches.meta.txt read \(names), parsed \(expected)")
        precondition(names.allSatisfy { !$0.isEmpty && $0.unicodeScalars.allSatisfy { $0.value >= 0x20 && $0.value != 0x7f } },
                     "accepted a class name that is empty or not printable: \(names)")
    default:
        precondition(withMeta == parsed, "batches.meta.txt read and parsed disagree: \(withMeta) vs \(parsed)")
    }
    return 0
}

@_cdecl("LLVMFuzzerInitialize")
public func cifarFuzzInitialize(_ argc: UnsafeMutablePointer<CInt>, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>) -> CInt {
    if let directory = environment("GANTRY_FUZZ_WRITE_SEEDS") {
        writeSeeds(to: directory)
        fflush(stdout)
        _exit(0)  // not exit(): LeakSanitizer would count the live locals of this frame as leaks
    }
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
