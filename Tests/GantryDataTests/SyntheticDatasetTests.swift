import Foundation
import GantryData
import XCTest

final class SyntheticDatasetTests: XCTestCase {
    func testMixturePointsLieNearTheirModes() {
        for mixture in [Mixture2D.ring8(seed: 1), Mixture2D.grid25(seed: 1)] {
            XCTAssertEqual(mixture.count, 100_000)
            XCTAssertEqual(mixture.shape, SampleShape(channels: 2))
            var perMode = [Int](repeating: 0, count: mixture.modes.count)
            for i in 0..<5000 {
                let p = mixture.point(i)
                let m = mixture.mode(of: i)
                perMode[m] += 1
                let centre = mixture.modes[m]
                let distance = ((p.x - centre.x) * (p.x - centre.x) + (p.y - centre.y) * (p.y - centre.y)).squareRoot()
                XCTAssertLessThan(distance, 6 * mixture.std, "\(mixture.name) point \(i)")
            }
            let expected = 5000 / Double(mixture.modes.count)
            for count in perMode { XCTAssertEqual(Double(count), expected, accuracy: expected * 0.35) }
            // Deterministic in (seed, index); another seed gives other points.
            XCTAssertTrue(mixture.point(17) == Mixture2D(name: "x", modes: mixture.modes, std: mixture.std, seed: 1).point(17))
            XCTAssertFalse(mixture.point(17) == Mixture2D(name: "x", modes: mixture.modes, std: mixture.std, seed: 2).point(17))
        }
        let ring = Mixture2D.ring8(seed: 0)
        for mode in ring.modes { XCTAssertEqual((mode.x * mode.x + mode.y * mode.y).squareRoot(), 2, accuracy: 1e-5) }
        XCTAssertEqual(Mixture2D.grid25(seed: 0).modes.count, 25)
    }

    func testWriteBatchIsChannelMajor() {
        let mixture = Mixture2D.ring8(seed: 4)
        let indices = [5, 9, 2]
        var batch = [Float](repeating: .nan, count: 6)
        mixture.writeBatch(indices: indices, into: &batch)
        for (j, index) in indices.enumerated() {
            XCTAssertEqual(batch[j], mixture.point(index).x)
            XCTAssertEqual(batch[3 + j], mixture.point(index).y)
        }

        let glyphs = Glyphs(seed: 4)
        let plane = 28 * 28
        var images = [Float](repeating: .nan, count: 2 * plane)
        glyphs.writeBatch(indices: [3, 8][...], into: &images)
        var single = [Float](repeating: .nan, count: plane)
        glyphs.write(sample: 8, into: &single, channelStride: plane)
        XCTAssertEqual(Array(images[plane...]), single)
    }

    func testGlyphsAreDeterministicInkedAndDistinct() {
        let glyphs = Glyphs(seed: 21)
        XCTAssertEqual(glyphs.count, 60_000)
        XCTAssertEqual(glyphs.shape, SampleShape(channels: 1, height: 28, width: 28))
        let plane = 28 * 28
        func image(_ i: Int, _ source: Glyphs = glyphs) -> [Float] {
            var out = [Float](repeating: .nan, count: plane)
            source.write(sample: i, into: &out, channelStride: plane)
            return out
        }
        XCTAssertEqual(image(123), image(123))
        XCTAssertEqual(image(123), image(123, Glyphs(seed: 21)))
        XCTAssertNotEqual(image(123), image(123, Glyphs(seed: 22)))
        for i in 0..<40 {
            let pixels = image(i)
            XCTAssertTrue(pixels.allSatisfy { $0 >= -1 && $0 <= 1 }, "sample \(i) out of range")
            let background = pixels.filter { $0 == -1 }.count
            let ink = pixels.filter { $0 > 0.5 }.count
            XCTAssertGreaterThan(background, plane / 2, "sample \(i) background")
            XCTAssertGreaterThan(ink, 25, "sample \(i) ink")
            // The frame's outermost ring stays mostly empty: the digit is centred.
            var edgeInk = 0
            for k in 0..<28 {
                for p in [k, 27 * 28 + k, k * 28, k * 28 + 27] where pixels[p] > -1 { edgeInk += 1 }
            }
            XCTAssertLessThan(edgeInk, 12, "sample \(i) touches the frame")
        }
        // Distinct digits differ clearly; the same digit in two styles differs too.
        for d in 0..<10 {
            for e in (d + 1)..<10 {
                let a = image(d), b = image(e)
                let difference = zip(a, b).filter { abs($0 - $1) > 1 }.count
                XCTAssertGreaterThan(difference, 30, "digits \(d) and \(e)")
            }
        }
        XCTAssertNotEqual(image(3), image(13))
        XCTAssertEqual(glyphs.label(ofSample: 13), 3)
        XCTAssertEqual(glyphs.classNames, ["0", "1", "2", "3", "4", "5", "6", "7", "8", "9"])
    }

    func testGlyphRenderingSpeed() {
        let glyphs = Glyphs(seed: 1)
        var batch = [Float](repeating: 0, count: 640 * 28 * 28)
        let elapsed = ContinuousClock().measure {
            glyphs.writeBatch(indices: 0..<640, into: &batch)
        }
        let milliseconds = Double(elapsed.components.attoseconds) / 1e15 + Double(elapsed.components.seconds) * 1000
        print("Glyphs: rendered 640 images in \(milliseconds) ms (\(milliseconds / 10) ms per 64)")
        XCTAssertTrue(batch.allSatisfy(\.isFinite))
    }

    func testMakeDataset() throws {
        XCTAssertEqual(try makeDataset("ring8", seed: 1).name, "ring8")
        XCTAssertEqual(try makeDataset("grid25", seed: 1).count, 100_000)
        XCTAssertEqual(try makeDataset("glyphs", seed: 1).shape, SampleShape(channels: 1, height: 28, width: 28))
        for spec in ["mnist", "", "idx:", "Ring8"] {
            XCTAssertThrowsError(try makeDataset(spec, seed: 1)) { error in
                let text = "\(error)"
                for name in ["ring8", "grid25", "glyphs", "idx:"] {
                    XCTAssertTrue(text.contains(name), "'\(text)' lacks \(name)")
                }
            }
        }
        XCTAssertThrowsError(try makeDataset("idx:/nonexistent/train-images", seed: 1)) { error in
            XCTAssertTrue("\(error)".contains("does not exist"), "\(error)")
        }
    }

    func testModeCoverage() {
        let grid = Mixture2D.grid25(seed: 3)
        // Perfect samples: the real data.
        let perfect = (0..<2500).map { grid.point($0) }
        let full = ModeCoverage(samples: perfect, mixture: grid)
        XCTAssertEqual(full.modes, 25)
        XCTAssertEqual(full.modesCovered, 25)
        XCTAssertEqual(full.modesWithOnePercent, 25)
        XCTAssertEqual(full.samples, 2500)
        XCTAssertGreaterThan(full.highQualityShare, 0.98)  // 3σ radius in 2-D holds 98.9%
        let centres = (0..<500).map { grid.modes[$0 % 25] }
        XCTAssertEqual(ModeCoverage(samples: centres, mixture: grid).highQualityShare, 1.0)
        // Evenly spread over the modes: reverse KL 0.
        XCTAssertEqual(ModeCoverage(samples: centres, mixture: grid).reverseKL, 0, accuracy: 1e-12)

        // Collapse onto one mode.
        let collapsed = (0..<1000).map { _ in grid.modes[7] }
        let one = ModeCoverage(samples: collapsed, mixture: grid)
        XCTAssertEqual(one.modesCovered, 1)
        XCTAssertEqual(one.modesWithOnePercent, 1)
        XCTAssertEqual(one.highQualityShare, 1.0)
        XCTAssertEqual(one.reverseKL, log(25), accuracy: 1e-12)  // all mass on one of 25 modes
        // Half on each of two modes: Σ pᵢ log(25 pᵢ) = log(12.5); low-quality samples count
        // at their nearest mode, non-finite ones nowhere.
        let halves = (0..<10).map { i in (x: grid.modes[i % 2].x + 0.5, y: grid.modes[i % 2].y) } + [(x: Float.nan, y: Float(0))]
        XCTAssertEqual(ModeCoverage(samples: halves, mixture: grid).reverseKL, log(12.5), accuracy: 1e-12)

        // A few stray HQ points cover a mode but not 1% of the samples.
        let stray = collapsed + [grid.modes[0]]
        let mostly = ModeCoverage(samples: stray, mixture: grid)
        XCTAssertEqual(mostly.modesCovered, 2)
        XCTAssertEqual(mostly.modesWithOnePercent, 1)

        // Far away (between modes, or off the grid): nothing is HQ.
        let far = (0..<100).map { i in (x: Float(1 + 0 * i), y: Float(1)) } + [(x: Float(50), y: Float(-50))]
        let none = ModeCoverage(samples: far, mixture: grid)
        XCTAssertEqual(none.highQualityShare, 0)
        XCTAssertEqual(none.modesCovered, 0)

        // The channel-major form agrees with the array form.
        let ring = Mixture2D.ring8(seed: 1)
        var batch = [Float](repeating: 0, count: 2 * 400)
        ring.writeBatch(indices: 0..<400, into: &batch)
        let fromBatch = batch.withUnsafeBufferPointer { ModeCoverage(channelMajor: $0.baseAddress!, count: 400, mixture: ring) }
        XCTAssertEqual(fromBatch, ModeCoverage(samples: (0..<400).map { ring.point($0) }, mixture: ring))
        XCTAssertEqual(fromBatch.modesCovered, 8)
    }
}
