import XCTest
@testable import GantryData

final class ColorizedTests: XCTestCase {
    func testColoredGlyphsArePaddedTintedAndDeterministic() throws {
        let dataset = try XCTUnwrap(try makeDataset("color32:glyphs", seed: 5) as? Colorized)
        XCTAssertEqual(dataset.shape, SampleShape(channels: 3, height: 32, width: 32))
        XCTAssertEqual(dataset.count, 60_000)
        let side = 32, plane = side * side
        func image(_ index: Int) -> [Float] {
            var values = [Float](repeating: 0, count: 3 * plane)
            values.withUnsafeMutableBufferPointer { dataset.write(sample: index, into: $0.baseAddress!, channelStride: plane) }
            return values
        }
        let first = image(7)
        XCTAssertEqual(first, image(7))
        XCTAssertTrue(first.allSatisfy { $0 >= -1 && $0 <= 1 })
        // The 2-pixel border is background in every channel.
        for c in 0..<3 {
            for x in 0..<side {
                XCTAssertEqual(first[c * plane + x], -1)
                XCTAssertEqual(first[c * plane + (side - 1) * side + x], -1)
            }
        }
        // Each channel is the glyph's ink times the sample's colour weight.
        let gray = try makeDataset("glyphs", seed: 5)
        var ink = [Float](repeating: 0, count: 28 * 28)
        ink.withUnsafeMutableBufferPointer { gray.write(sample: 7, into: $0.baseAddress!, channelStride: 28 * 28) }
        let (r, g, b) = dataset.color(of: 7)
        for (c, weight) in [r, g, b].enumerated() {
            for y in 0..<28 {
                for x in 0..<28 {
                    let expected = 2 * ((ink[y * 28 + x] + 1) / 2) * weight - 1
                    XCTAssertEqual(first[c * plane + (y + 2) * side + x + 2], expected, accuracy: 1e-6)
                }
            }
        }
        // Colours vary between samples.
        let colors = Set((0..<50).map { i -> Int in let (r, g, b) = dataset.color(of: i); return Int(r * 4) * 25 + Int(g * 4) * 5 + Int(b * 4) })
        XCTAssertGreaterThan(colors.count, 5)
    }

    func testColor32RefusesColorOrLargeInputs() {
        XCTAssertThrowsError(try makeDataset("color32:ring8", seed: 1))
        XCTAssertThrowsError(try makeDataset("color32:color32:glyphs", seed: 1))
    }
}
