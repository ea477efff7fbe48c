import Foundation
import GantryData
import XCTest

final class ImageFolderTests: XCTestCase {
    private var files: ImageFiles!

    override func setUpWithError() throws { files = try ImageFiles("folder") }
    override func tearDown() { files.remove() }

    private func open(_ relative: String = "", _ shape: SampleShape, maximumBytes: Int = .max) throws -> ImageFolder {
        try ImageFolder(directory: files.root + (relative.isEmpty ? "" : "/" + relative), shape: shape, maximumBytes: maximumBytes)
    }

    /// Expects the folder (or `relative` under it) to be refused with a message containing each of `parts`.
    private func assertRefused(_ relative: String = "", _ parts: String..., file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertThrowsError(try open(relative, SampleShape(channels: 3, height: 8, width: 8)), file: file, line: line) { error in
            let message = "\(error)"
            XCTAssertFalse(message.contains("\n"), message, file: file, line: line)
            for part in parts { XCTAssertTrue(message.contains(part), "'\(message)' lacks '\(part)'", file: file, line: line) }
        }
    }

    func testJPEGRoundTripsThroughLibjpegInGrayAndColour() throws {
        for channels in [1, 3] {
            let image = gradient(width: 37, height: 23, channels: channels)
            let decoded = try JPEGImage.decode(try JPEGImage.encode(image, quality: 98), source: "mem")
            XCTAssertEqual([decoded.width, decoded.height, decoded.channels], [37, 23, channels])
            let error = zip(decoded.pixels, image.pixels).map { abs(Int($0) - Int($1)) }.max()!
            XCTAssertLessThan(error, 24, "\(channels) channels: worst pixel off by \(error)")
        }
    }

    func testCorruptTruncatedAndNonJPEGBytesAreRefusedWithAMessage() throws {
        let jpeg = try JPEGImage.encode(gradient(width: 64, height: 64, channels: 3), quality: 90)
        let cases: [(String, [UInt8])] = [
            ("empty", []),
            ("truncated", Array(jpeg.prefix(jpeg.count / 2))),
            ("header only", Array(jpeg.prefix(200))),
            ("png bytes", try PNGImage(width: 2, height: 2, channels: 1, filledWith: 9).encoded()),
            ("text", Array("hello, world\n".utf8)),
        ]
        for (label, bytes) in cases {
            XCTAssertThrowsError(try JPEGImage.decode(bytes, source: "x.jpg"), label) { error in
                XCTAssertTrue("\(error)".hasPrefix("Image 'x.jpg' cannot be decoded: "), "\(label): \(error)")
            }
        }
    }

    func testFlatFolderOfMixedImagesIsSortedFittedAndUnlabelled() throws {
        try files.png("b-gray.png", gradient(width: 40, height: 30, channels: 1))
        try files.jpeg("a-colour.JPG", gradient(width: 64, height: 48, channels: 3))
        try files.png("c-tall.png", gradient(width: 20, height: 50, channels: 3, seed: 2))
        try files.jpeg("d-gray.jpeg", gradient(width: 16, height: 16, channels: 1, seed: 1))
        try files.bytes("README", Array("not an image".utf8))
        try files.bytes("notes.txt", Array("not an image".utf8))
        try files.bytes(".DS_Store", [0, 0, 0, 1])
        try files.bytes("._a-colour.JPG", [0, 5, 22, 7])  // macOS's AppleDouble companion: hidden, skipped
        var lines: [String] = []
        let folder = try ImageFolder(directory: files.root, shape: SampleShape(channels: 3, height: 16, width: 16),
                                     progress: { lines.append($0) })
        XCTAssertEqual(folder.count, 4)
        XCTAssertEqual(folder.shape, SampleShape(channels: 3, height: 16, width: 16))
        XCTAssertFalse(folder.isLabelled)
        XCTAssertNil(folder.label(ofSample: 0))
        XCTAssertTrue(lines.first?.contains("decoding 4 images to 3x16x16 (2 files that are not images skipped)") ?? false, "\(lines)")
        // Sorted by name: sample 1 is b-gray.png, whose three channels are equal.
        let samples = folder.allSamples()
        XCTAssertTrue(samples.allSatisfy { $0 >= -1 && $0 <= 1 })
        let plane = 16 * 16, n = 4
        for i in 0..<plane {
            XCTAssertEqual(samples[(0 * n + 1) * plane + i], samples[(1 * n + 1) * plane + i])
            XCTAssertEqual(samples[(0 * n + 1) * plane + i], samples[(2 * n + 1) * plane + i])
        }
        // The same sample read directly: the file fitted alone.
        let direct = try PNGImage.read(from: files.root + "/b-gray.png").fitted(to: SampleShape(channels: 3, height: 16, width: 16))
        XCTAssertEqual(Array(folder.pixels[16 * 16 * 3 ..< 2 * 16 * 16 * 3]), direct)
    }

    func testClassSubFoldersAreLabelsInSortedOrderAtAnyDepth() throws {
        try files.png("dogs/z.png", PNGImage(width: 9, height: 9, channels: 1, filledWith: 200))
        try files.png("cats/b.png", PNGImage(width: 9, height: 9, channels: 3, filledWith: 10))
        try files.jpeg("cats/deep/er/a.jpg", gradient(width: 30, height: 12, channels: 3))
        try files.jpeg("cats/a.jpg", PNGImage(width: 12, height: 12, channels: 1, filledWith: 128))
        try files.jpeg("birds/x.jpeg", gradient(width: 13, height: 31, channels: 1))
        try files.bytes("LICENSE", Array("cc-by".utf8))
        let folder = try open("", SampleShape(channels: 1, height: 8, width: 8))
        XCTAssertEqual(folder.classNames, ["birds", "cats", "dogs"])
        XCTAssertEqual((0..<folder.count).map { folder.label(ofSample: $0) }, [0, 1, 1, 1, 2])
        // cats: a.jpg, b.png (files first), then deep/er/a.jpg; solid images stay solid.
        XCTAssertEqual(Set(folder.pixels[64 ..< 128]).count, 1)
        XCTAssertEqual(Int(folder.pixels[64]), 128, accuracy: 2)  // JPEG gray, nearly exact
        XCTAssertEqual(Array(Set(folder.pixels[128 ..< 192])), [10])
        XCTAssertEqual(Array(Set(folder.pixels[256 ..< 320])), [200])
    }

    func testShrinkingAveragesInsteadOfAliasing() throws {
        // A one-pixel checkerboard shrunk 8×: every output pixel covers equal black and white.
        var board = PNGImage(width: 64, height: 64, channels: 1, filledWith: 0)
        for y in 0..<64 { for x in 0..<64 where (x + y) % 2 == 1 { board.pixels[y * 64 + x] = 255 } }
        let small = board.fitted(to: SampleShape(channels: 1, height: 8, width: 8))
        XCTAssertTrue(small.allSatisfy { abs(Int($0) - 128) <= 2 }, "\(small)")
    }

    func testTheShorterSideFitsAndTheLongerIsCentreCropped() throws {
        // 40×20: black left 6 columns, white right 6, gray between; to 10×10 the resize gives
        // 20×10 and the crop keeps the middle 20 source columns (and the filter's reach of 2
        // more each side), all gray.
        var image = PNGImage(width: 40, height: 20, channels: 3, filledWith: 100)
        for y in 0..<20 {
            for x in 0..<6 { for c in 0..<3 { image.pixels[(y * 40 + x) * 3 + c] = 0; image.pixels[(y * 40 + 34 + x) * 3 + c] = 255 } }
        }
        var wider = image
        for y in 0..<20 { for c in 0..<3 { wider.pixels[(y * 40 + 9) * 3 + c] = 0 } }  // within the reach: seen
        XCTAssertNotEqual(Set(wider.fitted(to: SampleShape(channels: 3, height: 10, width: 10))), [100])
        XCTAssertEqual(Set(image.fitted(to: SampleShape(channels: 3, height: 10, width: 10))), [100])
        // Colour to gray is luma: pure red is 0.299 · 255.
        let red = PNGImage(width: 4, height: 4, channels: 3, pixels: (0..<16).flatMap { _ in [255, 0, 0] as [UInt8] })
        XCTAssertEqual(Set(red.fitted(to: SampleShape(channels: 1, height: 2, width: 2))), [76])
        // Enlarging a solid image keeps it solid.
        XCTAssertEqual(Set(PNGImage(width: 3, height: 5, channels: 1, filledWith: 77).fitted(to: SampleShape(channels: 3, height: 16, width: 16))), [77])
    }

    func testBadFilesAndFoldersAreRefusedNamingThem() throws {
        try files.png("ok/a.png", gradient(width: 8, height: 8, channels: 3))
        try files.bytes("corrupt/a.png", Array(repeating: 0x41, count: 300))
        try files.png("truncated/whole.png", gradient(width: 50, height: 50, channels: 3))
        try files.bytes("truncated/cut.png", Array(try files.read("truncated/whole.png").prefix(120)))
        try files.jpeg("truncatedjpeg/whole.jpg", gradient(width: 50, height: 50, channels: 3))
        try files.bytes("truncatedjpeg/cut.jpg", Array(try files.read("truncatedjpeg/whole.jpg").dropLast(100)))
        try files.png("mismatched/photo.jpg", gradient(width: 8, height: 8, channels: 3))  // a PNG named .jpg
        try files.bytes("textonly/README.md", Array("# no images".utf8))
        try files.png("beside/cats/a.png", gradient(width: 8, height: 8, channels: 3))
        try files.png("beside/stray.png", gradient(width: 8, height: 8, channels: 3))
        try files.png("emptyclass/cats/a.png", gradient(width: 8, height: 8, channels: 3))
        try FileManager.default.createDirectory(atPath: files.root + "/emptyclass/dogs", withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: files.root + "/empty", withIntermediateDirectories: true)
        XCTAssertEqual(mkfifo(try files.path("fifo/x.png"), 0o600), 0)

        XCTAssertEqual(try open("ok", SampleShape(channels: 3, height: 4, width: 4)).count, 1)
        assertRefused("corrupt", "Image '\(files.root)/corrupt/a.png' cannot be used")
        assertRefused("truncated", "Image '\(files.root)/truncated/cut.png' cannot be used")
        assertRefused("truncatedjpeg", "Image '\(files.root)/truncatedjpeg/cut.jpg' cannot be used")
        assertRefused("mismatched", "Image '\(files.root)/mismatched/photo.jpg' cannot be used", "Not a JPEG file")
        assertRefused("textonly", "Dataset folder '\(files.root)/textonly' cannot be used: it holds no image")
        assertRefused("empty", "it holds no image")
        assertRefused("beside", "image 'stray.png' lies beside the class folders (cats)")
        assertRefused("emptyclass", "Dataset folder '\(files.root)/emptyclass/dogs' cannot be used: this class folder holds no image")
        assertRefused("fifo", "Image '\(files.root)/fifo/x.png' cannot be used: not a regular file")
        assertRefused("missing", "'\(files.root)/missing' does not exist")
        assertRefused("ok/a.png", "not a directory")
        XCTAssertThrowsError(try open("ok", SampleShape(channels: 3, height: 64, width: 64), maximumBytes: 10_000)) { error in
            XCTAssertTrue("\(error)".contains("1 images of 3x64x64 need 12288 bytes, more than the 10000 bytes"), "\(error)")
        }
        XCTAssertThrowsError(try makeDataset("folder:" + files.root + "/ok", seed: 1)) { error in
            XCTAssertTrue("\(error)".contains("needs the sample shape"), "\(error)")
        }
    }
}
