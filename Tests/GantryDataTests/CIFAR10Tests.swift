import Foundation
import GantryData
import Glibc
import XCTest

final class CIFAR10Tests: XCTestCase {
    private var directory = ""

    override func setUpWithError() throws {
        directory = NSTemporaryDirectory() + "gantry-cifar-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    }

    override func tearDown() {
        try? FileManager.default.removeItem(atPath: directory)
    }

    /// A record: label, then pixel k of channel c = (record·3 + c·5 + k) mod 256.
    private func record(_ number: Int, label: UInt8) -> [UInt8] {
        [label] + (0..<3).flatMap { c in (0..<1024).map { k in UInt8((number * 3 + c * 5 + k) % 256) } }
    }

    /// Batch b holds `perBatch` records numbered on from the previous batches, labelled number mod 10.
    private func writeBatches(perBatch: Int = 3) throws {
        for b in 0..<5 {
            let numbers = b * perBatch ..< (b + 1) * perBatch
            write("data_batch_\(b + 1).bin", numbers.flatMap { record($0, label: UInt8($0 % 10)) })
        }
    }

    private func write(_ name: String, _ bytes: [UInt8]) {
        XCTAssertTrue(FileManager.default.createFile(atPath: directory + "/" + name, contents: Data(bytes)))
    }

    func testReadsTheFiveBatchesWithLabels() throws {
        try writeBatches()
        let dataset = try makeDataset("cifar10:" + directory, seed: 0)
        XCTAssertEqual(dataset.name, "cifar10:" + directory)
        XCTAssertEqual(dataset.count, 15)
        XCTAssertEqual(dataset.shape, SampleShape(channels: 3, height: 32, width: 32))
        XCTAssertEqual(dataset.residentBytes, 15 * 3073)
        XCTAssertEqual(dataset.classNames, (0...9).map(String.init))
        XCTAssertEqual((0..<15).map { dataset.label(ofSample: $0) }, (0..<15).map { $0 % 10 })
        // Samples 4 and 11 into a channel-major batch of two: channel c of sample j at (c·2 + j)·1024.
        var batch = [Float](repeating: .nan, count: 2 * 3072)
        dataset.writeBatch(indices: [4, 11], into: &batch)
        for (j, number) in [4, 11].enumerated() {
            for c in 0..<3 {
                for k in 0..<1024 {
                    XCTAssertEqual(batch[(c * 2 + j) * 1024 + k], Float((number * 3 + c * 5 + k) % 256) / 127.5 - 1, accuracy: 1e-6)
                }
            }
        }
        XCTAssertTrue(batch.allSatisfy { $0 >= -1 && $0 <= 1 })
    }

    func testClassNamesFromBatchesMeta() throws {
        try writeBatches()
        let names = ["airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"]
        // CIFAR-10's own file ends in blank lines.
        write("batches.meta.txt", Array((names.joined(separator: "\n") + "\n\n").utf8))
        XCTAssertEqual(try makeDataset("cifar10:" + directory, seed: 0).classNames, names)
        write("batches.meta.txt", Array(names.dropLast().joined(separator: "\r\n").utf8))
        XCTAssertThrowsError(try makeDataset("cifar10:" + directory, seed: 0)) { error in
            XCTAssertTrue("\(error)".contains("batches.meta.txt") && "\(error)".contains("9 non-empty lines"), "\(error)")
        }
        write("batches.meta.txt", Array((names.dropLast() + ["tr\u{1b}[2Juck"]).joined(separator: "\n").utf8))
        XCTAssertThrowsError(try makeDataset("cifar10:" + directory, seed: 0)) { error in
            XCTAssertTrue("\(error)".contains("printable"), "\(error)")
        }
    }

    /// Each bad input is refused with one line naming the file at fault.
    func testBadBatchesAreRefused() throws {
        func refusal(_ spec: String? = nil, maximumBytes: Int = .max) -> String {
            do {
                _ = try makeDataset(spec ?? "cifar10:" + directory, seed: 0, maximumBytes: maximumBytes)
                XCTFail("accepted")
                return ""
            } catch {
                XCTAssertTrue(error is DatasetError)
                XCTAssertFalse("\(error)".contains("\n"))
                return "\(error)"
            }
        }
        XCTAssertTrue(refusal("cifar10:" + directory + "/nowhere").contains("nowhere' does not exist"))
        try writeBatches()
        XCTAssertTrue(refusal("cifar10:" + directory + "/data_batch_1.bin").contains("not a directory"))

        // A FIFO is refused without being opened (a blocking open would hang).
        let fifo = directory + "/data_batch_5.bin"
        try FileManager.default.removeItem(atPath: fifo)
        XCTAssertEqual(mkfifo(fifo, 0o600), 0)
        XCTAssertTrue(refusal().contains("data_batch_5.bin' is not readable: not a regular file"), refusal())
        try FileManager.default.removeItem(atPath: fifo)
        write("data_batch_5.bin", (12..<15).flatMap { record($0, label: UInt8($0 % 10)) })

        try FileManager.default.removeItem(atPath: directory + "/data_batch_3.bin")
        XCTAssertTrue(refusal().contains("data_batch_3.bin' does not exist"), refusal())

        write("data_batch_3.bin", record(0, label: 1) + [7])
        let size = refusal()
        XCTAssertTrue(size.contains("data_batch_3.bin") && size.contains("3074 bytes are not a whole number of 3073-byte records"), size)

        write("data_batch_3.bin", [])
        XCTAssertTrue(refusal().contains("data_batch_3.bin' contains zero images"), refusal())

        write("data_batch_3.bin", record(0, label: 1) + record(1, label: 10))
        let label = refusal()
        XCTAssertTrue(label.contains("data_batch_3.bin") && label.contains("record 1") && label.contains("label 10"), label)

        // The memory limit is checked on the files' sizes before any is read: the bad label
        // of data_batch_3.bin is not reached.
        let memory = refusal(maximumBytes: 14 * 3073 - 1)
        XCTAssertTrue(memory.contains("14 images of 3x32x32 need \(14 * 3073) bytes, more than the \(14 * 3073 - 1) bytes")
                      && memory.contains("GANTRY_MEMORY_LIMIT"), memory)

        write("data_batch_3.bin", record(0, label: 1))
        XCTAssertEqual(try makeDataset("cifar10:" + directory, seed: 0, maximumBytes: 13 * 3073).count, 13)
    }

    /// `CIFAR10.records` writes another dataset as batch records that read back as it.
    func testRecordsOfAnotherDatasetReadBack() throws {
        let colored = try makeDataset("color32:glyphs", seed: 3)
        let bytes = CIFAR10.records(of: colored, indices: 0..<10)
        for b in 1...5 { write("data_batch_\(b).bin", b == 1 ? bytes : Array(bytes.prefix(3073))) }
        let dataset = try makeDataset("cifar10:" + directory, seed: 0)
        XCTAssertEqual(dataset.count, 14)
        XCTAssertEqual((0..<10).map { dataset.label(ofSample: $0) }, (0..<10).map { colored.label(ofSample: $0) })
        var original = [Float](repeating: 0, count: 3072), read = original
        for index in [0, 7] {
            colored.write(sample: index, into: &original, channelStride: 1024)
            dataset.write(sample: index, into: &read, channelStride: 1024)
            for k in 0..<3072 { XCTAssertEqual(read[k], original[k], accuracy: 1 / 127.5) }
        }
    }
}
