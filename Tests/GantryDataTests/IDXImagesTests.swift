import CZlib
import Foundation
import GantryData
import Glibc
import XCTest

final class IDXImagesTests: XCTestCase {
    private var directory = ""

    override func setUpWithError() throws {
        var template = Array("/tmp/gantry-idx-XXXXXX".utf8CString)
        guard let made = mkdtemp(&template) else { throw XCTSkip("mkdtemp failed") }
        directory = String(cString: made)
    }

    override func tearDown() {
        try? FileManager.default.removeItem(atPath: directory)
    }

    /// An IDX image file: header then count·rows·cols bytes (pixel k of image i = (i·7 + k) mod 256).
    private func idx(count: Int, rows: Int, columns: Int, magic: UInt32 = 0x0000_0803) -> [UInt8] {
        var bytes = header(count: count, rows: rows, columns: columns, magic: magic)
        for i in 0..<count {
            for k in 0..<rows * columns { bytes.append(UInt8((i * 7 + k) % 256)) }
        }
        return bytes
    }

    /// The 16-byte header alone.
    private func header(count: Int, rows: Int, columns: Int, magic: UInt32 = 0x0000_0803) -> [UInt8] {
        var bytes: [UInt8] = []
        for word in [magic, UInt32(count), UInt32(rows), UInt32(columns)] {
            bytes += [UInt8(word >> 24), UInt8(word >> 16 & 0xff), UInt8(word >> 8 & 0xff), UInt8(word & 0xff)]
        }
        return bytes
    }

    @discardableResult
    private func writeRaw(_ name: String, _ bytes: [UInt8]) -> String {
        let path = directory + "/" + name
        let file = fopen(path, "wb")!
        XCTAssertEqual(fwrite(bytes, 1, bytes.count, file), bytes.count)
        fclose(file)
        return path
    }

    @discardableResult
    private func writeGzip(_ name: String, _ bytes: [UInt8]) -> String {
        let path = directory + "/" + name
        let file = gzopen(path, "wb")!
        XCTAssertEqual(Int(gzwrite(file, bytes, UInt32(bytes.count))), bytes.count)
        gzclose(file)
        return path
    }

    private func checkContents(_ images: IDXImages, count: Int, rows: Int, columns: Int) {
        XCTAssertEqual(images.count, count)
        XCTAssertEqual(images.shape, SampleShape(channels: 1, height: rows, width: columns))
        var sample = [Float](repeating: .nan, count: rows * columns)
        images.write(sample: 2, into: &sample, channelStride: rows * columns)
        for k in 0..<rows * columns {
            let byte = Float((2 * 7 + k) % 256)
            XCTAssertEqual(sample[k], byte / 127.5 - 1, accuracy: 1e-6)
        }
        XCTAssertTrue(sample.allSatisfy { $0 >= -1 && $0 <= 1 })
    }

    func testReadsRawAndGzip() throws {
        let bytes = idx(count: 5, rows: 4, columns: 3)
        checkContents(try IDXImages(path: writeRaw("a", bytes)), count: 5, rows: 4, columns: 3)
        checkContents(try IDXImages(path: writeGzip("b.gz", bytes)), count: 5, rows: 4, columns: 3)
        checkContents(try makeDataset("idx:" + directory + "/b.gz", seed: 0) as! IDXImages, count: 5, rows: 4, columns: 3)
        // Full-range bytes map to exactly -1 and 1.
        var extremes = idx(count: 1, rows: 1, columns: 2)
        extremes[16] = 0
        extremes[17] = 255
        let images = try IDXImages(path: writeRaw("a", extremes))
        var out = [Float](repeating: 0, count: 2)
        images.write(sample: 0, into: &out, channelStride: 2)
        XCTAssertEqual(out, [-1, 1])
    }

    /// The in-memory parser (what fuzz/IDXFuzz.swift drives) gives what reading a file gives.
    func testBytesParserMatchesFileReader() throws {
        let bytes = idx(count: 5, rows: 4, columns: 3)
        let images = try IDXImages(bytes: bytes, source: "memory")
        checkContents(images, count: 5, rows: 4, columns: 3)
        XCTAssertEqual(images.path, "memory")
        XCTAssertEqual(images.name, "idx:memory")
        XCTAssertEqual(images.pixels, try IDXImages(path: writeGzip("b.gz", bytes)).pixels)

        let full = idx(count: 4, rows: 3, columns: 3)
        for damaged in [idx(count: 1, rows: 2, columns: 2, magic: 0x0000_0801), Array(full.dropLast(5)),
                        Array(full.prefix(10)), Array(full.prefix(2)), [], idx(count: 0, rows: 28, columns: 28),
                        idx(count: 1, rows: 0, columns: 3)] {
            let path = writeRaw("a", damaged)
            var fromFile: DatasetError?, fromBytes: DatasetError?
            XCTAssertThrowsError(try IDXImages(path: path)) { fromFile = $0 as? DatasetError }
            XCTAssertThrowsError(try IDXImages(bytes: damaged, source: path)) { fromBytes = $0 as? DatasetError }
            XCTAssertNotNil(fromBytes)
            XCTAssertEqual(fromBytes, fromFile)
        }
        // Bytes after the last image are ignored, as in a file.
        XCTAssertEqual(try IDXImages(bytes: bytes + [1, 2, 3], source: "memory").pixels, images.pixels)
    }

    /// Files of more than one 1 MB read chunk (where the parser reserves the header's size) are
    /// read whole, raw and gzip, from memory and from a file; cut short, they say so.
    func testFilesLargerThanOneReadChunk() throws {
        let bytes = idx(count: 3, rows: 700, columns: 700)  // 1.47 MB of pixels
        for images in [try IDXImages(bytes: bytes, source: "memory"), try IDXImages(path: writeRaw("a", bytes)),
                       try IDXImages(path: writeGzip("b.gz", bytes))] {
            XCTAssertEqual(images.count, 3)
            XCTAssertEqual(images.pixels.count, 3 * 700 * 700)
            XCTAssertTrue(images.pixels.elementsEqual(bytes.dropFirst(16)))
        }
        let short = Array(bytes.dropLast(1))
        XCTAssertThrowsError(try IDXImages(path: writeGzip("b.gz", short))) { error in
            XCTAssertEqual(error as? DatasetError, .truncated(path: self.directory + "/b.gz", expectedBytes: bytes.count,
                                                              foundBytes: short.count))
        }
    }

    func testDirectoryLookup() throws {
        let bytes = idx(count: 3, rows: 2, columns: 2)
        mkdir(directory + "/sub", 0o755)
        XCTAssertThrowsError(try IDXImages(path: directory + "/sub")) { error in
            let text = "\(error)"
            for name in ["train-images-idx3-ubyte", "train-images-idx3-ubyte.gz", "train-images.idx3-ubyte"] {
                XCTAssertTrue(text.contains(name), "'\(text)' lacks \(name)")
            }
        }
        let path = writeGzip("train-images-idx3-ubyte.gz", bytes)
        let images = try IDXImages(path: directory)
        XCTAssertEqual(images.path, path)
        XCTAssertEqual(images.count, 3)
        XCTAssertEqual(try IDXImages(path: directory + "/").count, 3)
    }

    func testErrors() {
        func message(_ path: String) -> String {
            do {
                _ = try IDXImages(path: path)
                XCTFail("\(path) was accepted")
                return ""
            } catch {
                XCTAssertTrue(error is DatasetError)
                return "\(error)"
            }
        }
        let missing = message(directory + "/nothing-here")
        XCTAssertTrue(missing.contains("nothing-here") && missing.contains("does not exist"), missing)

        let magic = message(writeRaw("magic", idx(count: 1, rows: 2, columns: 2, magic: 0x0000_0801)))
        XCTAssertTrue(magic.contains("magic") && magic.contains("0x00000801") && magic.contains("0x00000803"), magic)

        let full = idx(count: 4, rows: 3, columns: 3)
        let short = message(writeRaw("short", Array(full.dropLast(5))))
        XCTAssertTrue(short.contains("truncated") && short.contains("\(full.count)") && short.contains("\(full.count - 5)"),
                      short)
        let header = message(writeRaw("header", Array(full.prefix(10))))
        XCTAssertTrue(header.contains("truncated") && header.contains("16") && header.contains("10"), header)

        let empty = message(writeRaw("empty", idx(count: 0, rows: 28, columns: 28)))
        XCTAssertTrue(empty.contains("zero images"), empty)

        // A damaged gzip CRC is caught because the reader reads to the end of the stream.
        var gz = [UInt8]()
        let path = writeGzip("bad.gz", full)
        let file = fopen(path, "rb")!
        var byte: Int32 = 0
        while true { byte = fgetc(file); if byte == EOF { break }; gz.append(UInt8(byte)) }
        fclose(file)
        gz[gz.count - 8] ^= 0xff  // first byte of the CRC-32 trailer
        let corrupt = message(writeRaw("bad.gz", gz))
        XCTAssertTrue(corrupt.contains("gzip") && corrupt.contains("bad.gz"), corrupt)
    }

    /// The header's claims are checked against what the file can hold before any pixel is
    /// read: the size of a raw file, the greatest expansion of a gzip file.
    func testHeaderClaimsAreCheckedAgainstTheFile() throws {
        func refusal(_ read: () throws -> IDXImages) -> String {
            do {
                _ = try read()
                XCTFail("accepted")
                return ""
            } catch {
                return "\(error)"
            }
        }
        // 5 million 28×28 images declared, 4 KB present: raw, gzip and in memory.
        let claim = header(count: 5_000_000, rows: 28, columns: 28) + [UInt8](repeating: 7, count: 4096)
        let raw = refusal { try IDXImages(path: writeRaw("claims", claim)) }
        XCTAssertTrue(raw.contains("truncated") && raw.contains("\(16 + 5_000_000 * 784)") && raw.contains("\(claim.count)"), raw)
        XCTAssertEqual(refusal { try IDXImages(bytes: claim, source: directory + "/claims") }, raw)
        let gzip = refusal { try IDXImages(path: writeGzip("claims.gz", claim)) }
        XCTAssertTrue(gzip.contains("claims.gz") && gzip.contains("5000000 images") && gzip.contains("gzip data"), gzip)

        // The largest count a 32-bit header can hold, times 65535²: overflow is an error, not a trap.
        let huge: [UInt8] = [0, 0, 8, 3, 0xff, 0xff, 0xff, 0xff, 0, 0, 0xff, 0xff, 0, 0, 0xff, 0xff]
        XCTAssertTrue(refusal { try IDXImages(bytes: huge, source: "huge") }.contains("implausibly large"))

        // Up to 1 MB after the images is ignored; more is refused, raw or inside the gzip stream.
        let images = idx(count: 3, rows: 4, columns: 4)
        XCTAssertEqual(try IDXImages(path: writeGzip("tail.gz", images + [UInt8](repeating: 0, count: 1 << 20))).count, 3)
        let tail = images + [UInt8](repeating: 0, count: 3 << 20)
        let rawTail = refusal { try IDXImages(path: writeRaw("tail", tail)) }
        XCTAssertTrue(rawTail.contains("beyond the \(images.count) its header declares"), rawTail)
        XCTAssertEqual(refusal { try IDXImages(path: writeGzip("tail.gz", tail)) }, rawTail.replacingOccurrences(of: "/tail'", with: "/tail.gz'"))

        // Bytes that are not gzip data after the stream, which zlib itself would skip.
        var gz = [UInt8]()
        let file = fopen(writeGzip("garbage.gz", images), "rb")!
        while case let byte = fgetc(file), byte != EOF { gz.append(UInt8(byte)) }
        fclose(file)
        let garbage = refusal { try IDXImages(path: writeRaw("garbage.gz", gz + [UInt8](repeating: 0, count: 3 << 20))) }
        XCTAssertTrue(garbage.contains("not gzip data"), garbage)
    }

    /// An IDX labels file: magic 0x801, the count, one byte per label.
    private func labelsFile(_ labels: [UInt8], magic: UInt32 = 0x0000_0801, count: Int? = nil) -> [UInt8] {
        var bytes: [UInt8] = []
        for word in [magic, UInt32(count ?? labels.count)] {
            bytes += [UInt8(word >> 24), UInt8(word >> 16 & 0xff), UInt8(word >> 8 & 0xff), UInt8(word & 0xff)]
        }
        return bytes + labels
    }

    /// The labels file beside the images is read with them, in either compression and for
    /// any prefix (train-, t10k-, …); without one the images are unlabelled.
    func testLabelsFileBesideTheImages() throws {
        let digits: [UInt8] = [7, 2, 1, 0, 4]
        writeGzip("train-images-idx3-ubyte.gz", idx(count: 5, rows: 2, columns: 2))
        writeRaw("train-labels-idx1-ubyte", labelsFile(digits))
        for spec in ["idx:" + directory, "color32:idx:" + directory] {
            let dataset = try makeDataset(spec, seed: 1)
            XCTAssertTrue(dataset.isLabelled, spec)
            XCTAssertEqual(dataset.classNames, (0...9).map(String.init), spec)
            XCTAssertEqual((0..<5).map { dataset.label(ofSample: $0) }, digits.map { Int($0) }, spec)
        }
        let images = try IDXImages(path: directory)
        XCTAssertEqual(images.labels?.path, directory + "/train-labels-idx1-ubyte")
        XCTAssertEqual(images.residentBytes, 5 * 4 + 5)

        // Another prefix, the other compression; labels above 9 extend the class names.
        writeRaw("t10k-images-idx3-ubyte", idx(count: 3, rows: 2, columns: 2))
        writeGzip("t10k-labels-idx1-ubyte.gz", labelsFile([0, 12, 3]))
        let test = try IDXImages(path: directory + "/t10k-images-idx3-ubyte")
        XCTAssertEqual(test.classNames, (0...12).map(String.init))
        XCTAssertEqual(test.label(ofSample: 1), 12)
        // MNIST's other spelling.
        writeRaw("train-images.idx3-ubyte", idx(count: 2, rows: 1, columns: 1))
        writeRaw("train-labels.idx1-ubyte", labelsFile([5, 6]))
        XCTAssertEqual(try IDXImages(path: directory + "/train-images.idx3-ubyte").label(ofSample: 1), 6)

        // No labels file (or a name that has no companion): unlabelled, as before.
        let alone = try IDXImages(path: writeRaw("a", idx(count: 2, rows: 1, columns: 1)))
        XCTAssertFalse(alone.isLabelled)
        XCTAssertNil(alone.label(ofSample: 0))
        XCTAssertEqual(alone.classNames, [])
        XCTAssertFalse(try IDXImages(bytes: idx(count: 2, rows: 1, columns: 1), source: "memory").isLabelled)
    }

    /// A labels file that is there but wrong fails the dataset with one line naming it.
    func testBadLabelsFilesAreRefused() throws {
        let images = writeRaw("x-images-idx3-ubyte", idx(count: 4, rows: 2, columns: 2))
        let labels = directory + "/x-labels-idx1-ubyte"
        func refusal(_ bytes: [UInt8], maximumBytes: Int = .max) -> String {
            writeRaw("x-labels-idx1-ubyte", bytes)
            do {
                _ = try IDXImages(path: images, maximumBytes: maximumBytes)
                XCTFail("accepted \(bytes)")
                return ""
            } catch {
                let message = "\(error)"
                XCTAssertTrue(message.contains("'\(labels)'"), message)
                XCTAssertEqual(message.split(separator: "\n").count, 1, message)
                // The in-memory parser says the same.
                if maximumBytes == .max {
                    XCTAssertThrowsError(try IDXLabels(bytes: bytes, source: labels, imageCount: 4)) {
                        XCTAssertEqual("\($0)", message)
                    }
                }
                return message
            }
        }
        let magic = refusal(labelsFile([1, 2, 3, 4], magic: 0x0000_0803))
        XCTAssertTrue(magic.contains("0x00000803") && magic.contains("0x00000801") && magic.contains("labels"), magic)
        let count = refusal(labelsFile([1, 2, 3]))
        XCTAssertTrue(count.contains("3 labels for the 4 images"), count)
        let empty = refusal(labelsFile([]))
        XCTAssertTrue(empty.contains("0 labels for the 4 images"), empty)
        let short = refusal(labelsFile([1, 2, 3], count: 4))
        XCTAssertTrue(short.contains("truncated") && short.contains("expected 12 bytes, found 11"), short)
        let header = refusal([0, 0, 8, 1, 0])
        XCTAssertTrue(header.contains("truncated") && header.contains("expected 8 bytes, found 5"), header)
        // Pixels and labels share the memory limit.
        let memory = refusal(labelsFile([1, 2, 3, 4]), maximumBytes: 16 + 3)
        XCTAssertTrue(memory.contains("4 labels need 4 bytes, more than the 3 bytes"), memory)
        writeRaw("x-labels-idx1-ubyte", labelsFile([1, 2, 3, 4]))
        XCTAssertEqual(try IDXImages(path: images, maximumBytes: 16 + 4).label(ofSample: 3), 4)
    }

    /// A FIFO is refused without being opened for a blocking read (which would hang).
    func testNonRegularFilesAreRefused() throws {
        let fifo = directory + "/fifo"
        XCTAssertEqual(mkfifo(fifo, 0o600), 0)
        for path in [fifo, "/dev/zero"] {
            XCTAssertThrowsError(try IDXImages(path: path)) { error in
                XCTAssertTrue("\(error)".contains("not a regular file"), "\(error)")
            }
        }
    }
}
