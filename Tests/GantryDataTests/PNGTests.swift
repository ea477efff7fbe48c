import Foundation
import GantryData
import Glibc
import XCTest

final class PNGTests: XCTestCase {
    private var directory = ""

    override func setUpWithError() throws {
        var template = Array("/tmp/gantry-png-XXXXXX".utf8CString)
        guard let made = mkdtemp(&template) else { throw XCTSkip("mkdtemp failed") }
        directory = String(cString: made)
    }

    override func tearDown() {
        for name in ["gray.png", "rgb.png", "text.png", "grid.png", "scatter.png"] { unlink(directory + "/" + name) }
        rmdir(directory)  // fails (and the test below notices) if a temporary file was left behind
    }

    func testGrayAndRGBRoundTrip() throws {
        let gray = PNGImage(width: 5, height: 3, channels: 1, pixels: (0..<15).map { UInt8($0 * 17) })
        try gray.write(to: directory + "/gray.png")
        XCTAssertEqual(try PNGImage.read(from: directory + "/gray.png"), gray)

        let rgb = PNGImage(width: 4, height: 2, channels: 3, pixels: (0..<24).map { UInt8(($0 * 37) % 256) })
        try rgb.write(to: directory + "/rgb.png")
        XCTAssertEqual(try PNGImage.read(from: directory + "/rgb.png"), rgb)
        // Overwriting replaces the file.
        try gray.write(to: directory + "/rgb.png")
        XCTAssertEqual(try PNGImage.read(from: directory + "/rgb.png"), gray)
        XCTAssertEqual(entries(), ["gray.png", "rgb.png"], "a temporary file was left behind")
    }

    /// The in-memory encoding is the very file `write(to:)` makes, also for incompressible pixels.
    func testEncodedInMemoryIsTheFile() throws {
        var state: UInt32 = 12345
        let noise = (0..<(64 * 48 * 3)).map { _ -> UInt8 in
            state = state &* 1_664_525 &+ 1_013_904_223
            return UInt8(state >> 24)
        }
        for image in [PNGImage(width: 5, height: 3, channels: 1, pixels: (0..<15).map { UInt8($0 * 17) }),
                      PNGImage(width: 64, height: 48, channels: 3, pixels: noise)] {
            try image.write(to: directory + "/rgb.png")
            let file = try XCTUnwrap(FileManager.default.contents(atPath: directory + "/rgb.png"))
            XCTAssertEqual(try image.encoded(), [UInt8](file))
        }
    }

    func testErrors() {
        let path = directory + "/text.png"
        let file = fopen(path, "w")!
        fputs("this is not a PNG file at all\n", file)
        fclose(file)
        XCTAssertThrowsError(try PNGImage.read(from: path)) { error in
            XCTAssertTrue("\(error)".contains("text.png"), "\(error)")
        }
        XCTAssertThrowsError(try PNGImage.read(from: directory + "/missing.png"))
        let image = PNGImage(width: 1, height: 1, channels: 1, filledWith: 0)
        XCTAssertThrowsError(try image.write(to: directory + "/no/such/dir/x.png"))
        XCTAssertEqual(entries(), ["text.png"])
    }

    func testImageGrid() throws {
        // 10 gray 3×2 images: ceil(√10) = 4 columns, 3 rows, 2-pixel borders.
        var batch = [Float](repeating: -1, count: 10 * 3 * 2)
        batch[0] = 1          // sample 0, pixel (0, 0): white
        batch[6 + 5] = 5      // sample 1, last pixel: clamped to white
        batch[12] = -7        // sample 2, first pixel: clamped to black
        let grid = batch.withUnsafeBufferPointer {
            ImageGrid.make(batch: $0.baseAddress!, count: 10, channels: 1, height: 3, width: 2)
        }
        XCTAssertEqual(grid.width, 4 * (2 + 2) + 2)
        XCTAssertEqual(grid.height, 3 * (3 + 2) + 2)
        XCTAssertEqual(grid.channels, 1)
        XCTAssertEqual(grid.pixels[2 * grid.width + 2], 255)
        XCTAssertEqual(grid.pixels[(2 + 2) * grid.width + 6 + 1], 255)
        XCTAssertEqual(grid.pixels[2 * grid.width + 10], 0)
        XCTAssertEqual(grid.pixels[0], ImageGrid.borderValue)
        try grid.write(to: directory + "/grid.png")

        // RGB: channel-major, channel c of sample n at (c·count + n)·H·W.
        var colour = [Float](repeating: -1, count: 3 * 2 * 1 * 1)
        colour[0 * 2 + 1] = 1  // sample 1 red
        colour[2 * 2 + 0] = 1  // sample 0 blue
        let rgb = colour.withUnsafeBufferPointer {
            ImageGrid.make(batch: $0.baseAddress!, count: 2, channels: 3, height: 1, width: 1)
        }
        XCTAssertEqual(rgb.width, 2 * 3 + 2)
        XCTAssertEqual(rgb.height, 1 * 3 + 2)
        let first = (2 * rgb.width + 2) * 3, second = (2 * rgb.width + 5) * 3
        XCTAssertEqual(Array(rgb.pixels[first..<first + 3]), [0, 0, 255])
        XCTAssertEqual(Array(rgb.pixels[second..<second + 3]), [255, 0, 0])
    }

    func testScatterPlot() throws {
        let plot = ScatterPlot.make(real: [(0.5, 0.5)], fake: [(-1, -1)], range: 2, size: 64)
        XCTAssertEqual(plot.width, 64)
        XCTAssertEqual(plot.channels, 3)
        func pixel(_ x: Int, _ y: Int) -> [UInt8] { Array(plot.pixels[(y * 64 + x) * 3 ..< (y * 64 + x) * 3 + 3]) }
        XCTAssertEqual(pixel(5, 5), [255, 255, 255])          // background
        XCTAssertLessThan(pixel(40, 24)[0], pixel(40, 24)[2])  // real point (0.5, 0.5): blue
        XCTAssertGreaterThan(pixel(16, 48)[0], pixel(16, 48)[2])  // fake point (-1, -1): orange
        try plot.write(to: directory + "/scatter.png")
        XCTAssertEqual(try PNGImage.read(from: directory + "/scatter.png"), plot)
    }

    private func entries() -> [String] {
        guard let dir = opendir(directory) else { return [] }
        defer { closedir(dir) }
        var names: [String] = []
        while let entry = readdir(dir) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
            if name != "." && name != ".." { names.append(name) }
        }
        return names.sorted()
    }
}
