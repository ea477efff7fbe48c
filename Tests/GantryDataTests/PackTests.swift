import Foundation
import GantryData
import XCTest

final class PackTests: XCTestCase {
    private var files: ImageFiles!

    override func setUpWithError() throws { files = try ImageFiles("pack") }
    override func tearDown() { files.remove() }

    /// `dataset` packed into `root/name` (header then pixels, as `gantry prepare` writes them).
    @discardableResult
    private func pack(_ dataset: any Dataset, _ name: String, chunkBytes: Int = PackLayout.defaultChunkBytes) throws -> String {
        let (header, pixels) = PackLayout.encode(dataset, chunkBytes: chunkBytes)
        try files.bytes(name, header + pixels)
        return files.root + "/" + name
    }

    private func classFolder() throws -> ImageFolder {
        try files.jpeg("images/cats/a.jpg", gradient(width: 40, height: 30, channels: 3))
        try files.png("images/cats/b.png", gradient(width: 12, height: 12, channels: 1, seed: 3))
        try files.png("images/dogs/c.png", gradient(width: 20, height: 33, channels: 3, seed: 5))
        try files.jpeg("images/emus/d.jpeg", gradient(width: 70, height: 64, channels: 1, seed: 7))
        return try ImageFolder(directory: files.root + "/images", shape: SampleShape(channels: 3, height: 16, width: 16))
    }

    func testAPackGivesExactlyTheBatchesAndLabelsOfItsSource() throws {
        let folder = try classFolder()
        let packed = try PackedImages(path: try pack(folder, "a.gpack", chunkBytes: 1000))  // several chunks, the last short
        XCTAssertEqual(packed.count, folder.count)
        XCTAssertEqual(packed.shape, folder.shape)
        XCTAssertEqual(packed.classNames, ["cats", "dogs", "emus"])
        XCTAssertEqual((0..<packed.count).map { packed.label(ofSample: $0) }, [0, 0, 1, 2])
        XCTAssertEqual(packed.layout.pixelsOffset % 4096, 0)
        XCTAssertEqual(packed.residentBytes, 0)
        for indices in [[0, 1, 2, 3], [3, 1], [2]] {
            var a = [Float](repeating: .nan, count: indices.count * folder.shape.count), b = a
            folder.writeBatch(indices: indices, into: &a)
            packed.writeBatch(indices: indices, into: &b)
            XCTAssertEqual(a, b, "batch \(indices)")
        }
        // Through the spec, and unlabelled data stays unlabelled.
        XCTAssertEqual(try makeDataset("pack:" + packed.path, seed: 9).allSamples(), folder.allSamples())
    }

    func testEveryByteValueRoundTrips() throws {
        // 256 one-pixel-per-value images: a pack of a byte dataset is exact.
        try files.png("bytes/a.png", PNGImage(width: 16, height: 16, channels: 1, pixels: (0..<256).map(UInt8.init)))
        let folder = try ImageFolder(directory: files.root + "/bytes", shape: SampleShape(channels: 1, height: 16, width: 16))
        XCTAssertEqual(folder.pixels, (0..<256).map(UInt8.init))
        let packed = try PackedImages(path: try pack(folder, "bytes.gpack"))
        XCTAssertEqual(packed.allSamples(), folder.allSamples())
        XCTAssertFalse(packed.isLabelled)
    }

    func testDamagedPacksAreRefusedWithOneLineNamingTheFile() throws {
        let good = try files.read(String(try pack(try classFolder(), "good.gpack", chunkBytes: 1000).dropFirst(files.root.count + 1)))
        let offset = Int(good[48]) | Int(good[49]) << 8  // the pixels offset (4096)
        var cases: [(String, [UInt8], String)] = [
            ("empty", [], "not a Gantry pack"),
            ("magic", Array("GANTRYCK".utf8) + good.dropFirst(8), "not a Gantry pack"),
            ("short", Array(good.prefix(30)), "is truncated: expected 56 bytes, found 30"),
            ("cut", Array(good.dropLast(10)), "is truncated: expected \(good.count) bytes, found \(good.count - 10)"),
            ("tail", good + [1, 2, 3], "3 bytes follow the 4 samples its header declares"),
        ]
        var version = good; version[8] = 2
        cases.append(("version", version, "format version 2; this Gantry reads version 1"))
        var header = good; header[offset - 1] ^= 1  // padding, covered by the header CRC
        cases.append(("header", header, "is corrupt: the header fails its CRC32 check"))
        var name = good; name[58] ^= 0x20  // a letter of "cats"
        cases.append(("name", name, "the header fails its CRC32 check"))
        var pixel = good; pixel[offset + 1500] ^= 0x10  // in chunk 1: samples 1…2 (768 bytes each)
        cases.append(("pixel", pixel, "is corrupt: the pixels of samples 1…2 fail their CRC32 check"))
        var last = good; last[good.count - 1] ^= 0x80
        cases.append(("last", last, "the pixels of samples 3…3 fail their CRC32 check"))
        for (label, bytes, expected) in cases {
            try files.bytes(label, bytes)
            let path = files.root + "/" + label
            XCTAssertThrowsError(try PackedImages(path: path), label) { error in
                let message = "\(error)"
                XCTAssertTrue(message.contains("'\(path)'") && message.contains(expected), "\(label): \(message)")
                XCTAssertFalse(message.contains("\n"))
            }
        }
        XCTAssertThrowsError(try PackedImages(path: files.root + "/none")) { XCTAssertTrue("\($0)".contains("does not exist"), "\($0)") }
        XCTAssertThrowsError(try PackedImages(path: files.root)) { XCTAssertTrue("\($0)".contains("not a regular file"), "\($0)") }
    }

    // MARK: - Resident memory

    /// Opening a pack and reading every sample must not add private memory in proportion to
    /// the pack: its pages are the page cache's, shared with every other rank. Measured in a
    /// child process (this test binary, running `testResidentMemoryChild`), so that nothing
    /// the test runner allocated blurs the numbers; a child that copies the file instead shows
    /// the measurement sees such a copy.
    func testResidentMemoryDoesNotGrowWithThePack() throws {
        let shape = SampleShape(channels: 3, height: 32, width: 32)
        let small = try pack(NoiseImages(count: 200, shape: shape), "small.gpack")    // 0.6 MB
        let large = try pack(NoiseImages(count: 20_000, shape: shape), "large.gpack") // 61 MB
        let smallGrowth = try residentGrowth(opening: small, copy: false)
        let largeGrowth = try residentGrowth(opening: large, copy: false)
        let copiedGrowth = try residentGrowth(opening: large, copy: true)
        print("RssAnon growth: \(smallGrowth / 1024) KB for a 0.6 MB pack, \(largeGrowth / 1024) KB for a 61 MB pack, "
              + "\(copiedGrowth / 1024) KB copying the 61 MB pack")
        XCTAssertGreaterThan(copiedGrowth, 50 << 20, "the measurement must see a private copy")
        XCTAssertLessThan(largeGrowth - smallGrowth, 4 << 20, "private memory grew with the pack")
    }

    /// RssAnon after minus before opening `path` in a child (KB from /proc, in bytes).
    private func residentGrowth(opening path: String, copy: Bool) throws -> Int {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: CommandLine.arguments[0])
        process.arguments = ["GantryDataTests.PackTests/testResidentMemoryChild"]
        process.environment = ProcessInfo.processInfo.environment.merging(
            ["GANTRY_PACK_CHILD": path, "GANTRY_PACK_CHILD_COPY": copy ? "1" : "0"]) { $1 }
        let output = Pipe()
        process.standardOutput = output
        process.standardError = output
        try process.run()
        let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        guard process.terminationStatus == 0,
              let line = text.split(separator: "\n").first(where: { $0.hasPrefix("rss-anon-growth ") }),
              let growth = Int(line.dropFirst("rss-anon-growth ".count)) else {
            XCTFail("the child failed (\(process.terminationStatus)):\n\(text)")
            return 0
        }
        return growth
    }

    /// The child's part: runs only when the parent test starts it.
    func testResidentMemoryChild() throws {
        guard let path = ProcessInfo.processInfo.environment["GANTRY_PACK_CHILD"] else {
            throw XCTSkip("runs only as the child of testResidentMemoryDoesNotGrowWithThePack")
        }
        var batch = [Float](repeating: 0, count: 64 * 3 * 32 * 32)
        let before = try residentAnonymousBytes()
        let dataset: any Dataset = ProcessInfo.processInfo.environment["GANTRY_PACK_CHILD_COPY"] == "1"
            ? try CopiedPack(path: path) : try PackedImages(path: path)
        for start in stride(from: 0, to: dataset.count - 64, by: 64) {
            dataset.writeBatch(indices: Array(start..<start + 64), into: &batch)
        }
        let after = try residentAnonymousBytes()
        print("rss-anon-growth \(after - before)")
        withExtendedLifetime(dataset) {}
    }

    private func residentAnonymousBytes() throws -> Int {
        let status = try String(contentsOfFile: "/proc/self/status", encoding: .utf8)
        let line = try XCTUnwrap(status.split(separator: "\n").first { $0.hasPrefix("RssAnon:") })
        return try XCTUnwrap(Int(line.split(separator: " ", omittingEmptySubsequences: true)[1])) * 1024
    }
}

/// A pack read into private memory, as a dataset without mapping would hold it.
private struct CopiedPack: Dataset {
    let bytes: [UInt8]
    let mapped: PackedImages
    init(path: String) throws {
        mapped = try PackedImages(path: path)
        bytes = Array(try Data(contentsOf: URL(fileURLWithPath: path)))
    }
    var name: String { "copy" }
    var count: Int { mapped.count }
    var shape: SampleShape { mapped.shape }
    func write(sample index: Int, into destination: UnsafeMutablePointer<Float>, channelStride: Int) {
        let plane = shape.spatial, start = mapped.layout.pixelsOffset + index * shape.count
        for c in 0..<shape.channels {
            for i in 0..<plane { destination[c * channelStride + i] = Float(bytes[start + c * plane + i]) * (2 / 255) - 1 }
        }
    }
}

/// Random byte images, drawn on demand: a pack of any size without files to decode.
private struct NoiseImages: Dataset {
    let count: Int
    let shape: SampleShape
    var name: String { "noise" }
    func write(sample index: Int, into destination: UnsafeMutablePointer<Float>, channelStride: Int) {
        var state = UInt64(index) &* 0x9E37_79B9_7F4A_7C15 | 1
        for c in 0..<shape.channels {
            for i in 0..<shape.spatial {
                state ^= state << 13; state ^= state >> 7; state ^= state << 17
                destination[c * channelStride + i] = Float(UInt8(truncatingIfNeeded: state)) * (2 / 255) - 1
            }
        }
    }
}
