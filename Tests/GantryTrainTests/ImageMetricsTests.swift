import XCTest
import GantryData
@testable import GantryNN
@testable import GantryTrain

/// Labelled 1×28×28 images for the evaluation tests: class k is a bright bar through the
/// centre at angle k·30° (k < 6), shifted, thickened and noised at random per sample.
struct LabelledBars: Dataset {
    let name = "bars"
    let count: Int
    let shape = SampleShape(channels: 1, height: 28, width: 28)
    var classNames: [String] { (0..<6).map { "\($0 * 30)°" } }
    func label(ofSample index: Int) -> Int? { index % 6 }

    func write(sample index: Int, into destination: UnsafeMutablePointer<Float>, channelStride: Int) {
        let random = CounterRandom(seed: 7, stream: 0x62617273)
        let u = { (k: Int) in Double(random.uniform(at: UInt64(index * 1024 + k))) }
        let angle = Double(index % 6) * Double.pi / 6 + 0.15 * (u(0) - 0.5)
        let (dx, dy) = (4 * (u(1) - 0.5), 4 * (u(2) - 0.5)), half = 1.2 + 1.2 * u(3)
        for y in 0..<28 {
            for x in 0..<28 {
                let px = Double(x) - 13.5 - dx, py = Double(y) - 13.5 - dy
                let distance = abs(-sin(angle) * px + cos(angle) * py)
                let value = distance < half ? 1.0 : -1.0
                destination[y * 28 + x] = Float(max(-1, min(1, value + 0.2 * (u(4 + y * 28 + x) - 0.5))))
            }
        }
    }
}

final class ImageMetricsTests: XCTestCase {
    static let dataset = LabelledBars(count: 1500)
    /// One evaluator for the class: its classifier is trained once, into a cache of its own.
    static let cacheDirectory = try! temporaryDirectory("classifiers")
    static let evaluator = try! ImageEvaluator(dataset: dataset, cache: ClassifierCache(directory: cacheDirectory))

    /// Images made by `fill(sample, destination)` (one 784-float image), measured.
    private func measure(count: Int, chunk: Int = 64, _ fill: (Int, UnsafeMutablePointer<Float>) -> Void) -> ImageMetrics {
        let evaluator = Self.evaluator
        return evaluator.measure(count: count) { add in
            var batch = [Float](repeating: 0, count: 784 * chunk)
            for first in stride(from: 0, to: count, by: chunk) {
                let n = min(chunk, count - first)
                batch.withUnsafeMutableBufferPointer { all in
                    for j in 0..<n { fill(first + j, all.baseAddress! + j * 784) }   // one channel: (1, n, 28, 28)
                    add(all.baseAddress!, n)
                }
            }
        }
    }

    func testClassifierLearnsTheBarsAndIsCached() throws {
        let classifier = try XCTUnwrap(Self.evaluator.classifier)
        XCTAssertGreaterThan(classifier.heldOutAccuracy, 0.9)
        XCTAssertEqual(classifier.heldOutCount, 300)
        // A second evaluator loads the same parameters from the cache file instead of training.
        var lines: [String] = []
        let cache = ClassifierCache(directory: Self.cacheDirectory)
        let again = try cache.classifier(for: Self.dataset, split: Self.evaluator.split) { lines.append($0) }
        XCTAssertEqual(again.features.parameters.array, classifier.features.parameters.array)
        XCTAssertEqual(again.head.parameters.array, classifier.head.parameters.array)
        XCTAssertEqual(again.heldOutAccuracy, classifier.heldOutAccuracy)
        XCTAssertFalse(lines.contains { $0.contains("training") }, "\(lines)")
    }

    /// The classifier measures every run alike: its convolutions are Gantry's own whatever
    /// backend the run's layers were built with, and building it leaves that backend alone.
    func testClassifierKeepsGantrysConvolutionsUnderTheOneDNNBackend() {
        ConvolutionBackend.use(.onednn)
        defer { ConvolutionBackend.use(.gantry) }
        let classifier = ImageClassifier(shape: Shape(channels: 1, height: 28, width: 28), classes: 6)
        let convolutions = classifier.features.layers.compactMap { $0 as? ConvolutionLayer }
        XCTAssertEqual(convolutions.count, 3)
        XCTAssertTrue(convolutions.allSatisfy { $0.onednn == nil }, convolutions.map(\.summary).joined(separator: ", "))
        XCTAssertEqual(ConvolutionBackend.current, .onednn)
    }

    func testCorruptCacheFileIsRebuiltNotTrusted() throws {
        let directory = try temporaryDirectory("classifiers-corrupt")
        let original = try XCTUnwrap(Self.evaluator.classifier)
        let cache = ClassifierCache(directory: directory)
        let key = ClassifierCache.key(of: Self.dataset, indices: Self.evaluator.split.training, classes: 6)
        var bytes = cache.encode(original, key: key)
        bytes[100] ^= 0x40   // one parameter bit flipped: the CRC no longer matches
        try AtomicFile.write(bytes, to: cache.path(key: key))
        var lines: [String] = []
        let rebuilt = try cache.classifier(for: Self.dataset, split: Self.evaluator.split) { lines.append($0) }
        XCTAssertTrue(lines.contains { $0.contains("CRC mismatch") && $0.contains("training a new one") }, "\(lines)")
        XCTAssertEqual(rebuilt.features.parameters.array, original.features.parameters.array)   // the same recipe, the same bits
        XCTAssertEqual(try AtomicFile.read(cache.path(key: key)), cache.encode(original, key: key))
    }

    func testHeldOutRealImagesScoreBetterThanAnUntrainedGeneratorShuffledPixelsAndNoise() throws {
        let floor = Self.evaluator.floor
        let held = Self.evaluator.split.heldOut, count = held.count
        let generator = Architecture(.dcgan28).makeGenerator(batch: count)
        Architecture(.dcgan28).initialize(generator, seed: 3, substream: 0)
        let noise = FloatBuffer(count: 100 * count)
        CounterRandom(seed: 3, stream: CounterRandom.Stream.noise).fillNormalBatch(a: 0, firstSample: 0, count: count, dimension: 100, into: noise.pointer)
        let untrainedImages = generator.forward(noise.pointer, training: false)
        let untrained = measure(count: count) { j, image in image.update(from: untrainedImages + j * 784, count: 784) }
        let shuffled = measure(count: count) { j, image in
            Self.dataset.write(sample: held[j], into: image, channelStride: 784)
            var random = SequentialRandom(seed: UInt64(j), stream: 0x73687566)
            var pixels = Array(UnsafeBufferPointer(start: image, count: 784))
            pixels.shuffle(using: &random)
            image.update(from: pixels, count: 784)
        }
        let uniformNoise = measure(count: count) { j, image in
            let random = CounterRandom(seed: 5, stream: 0x6E6F)
            for i in 0..<784 { image[i] = 2 * random.uniform(at: UInt64(j * 784 + i)) - 1 }
        }
        for (what, other) in [("untrained generator", untrained), ("shuffled pixels", shuffled), ("noise", uniformNoise)] {
            XCTAssertEqual(other.samples, floor.samples)
            XCTAssertLessThan(floor.frechetDistance!, other.frechetDistance!, what)
            XCTAssertLessThan(floor.swdMean, other.swdMean, what)
            XCTAssertGreaterThan(floor.recall!, other.recall!, what)
            XCTAssertGreaterThan(floor.precision!, other.precision!, what)
        }
        XCTAssertEqual(floor.classesCovered, 6)
        XCTAssertGreaterThan(floor.inceptionScore!, 5)   // confident and balanced: near the class count
        XCTAssertLessThan(floor.classKl!, 0.01)
    }

    func testResultsDoNotDependOnTheChunkSize() {
        let held = Self.evaluator.split.heldOut
        let image = { (j: Int, destination: UnsafeMutablePointer<Float>) in
            Self.dataset.write(sample: held[(j * 7) % held.count], into: destination, channelStride: 784)
        }
        let whole = measure(count: 250, chunk: 250, image)
        for chunk in [1, 37, 100] { XCTAssertEqual(measure(count: 250, chunk: chunk, image), whole, "chunk \(chunk)") }
    }

    func testFrechetDistanceOfASetWithItselfIsZeroAndOfAShiftedSetTheShiftSquared() {
        var a = FeatureMoments(dimension: 5), shifted = FeatureMoments(dimension: 5)
        let random = CounterRandom(seed: 11, stream: 1)
        let shift: [Float] = [1, -2, 0.5, 0, 3]
        for j in 0..<200 {
            var x = (0..<5).map { random.normal(at: UInt64(j * 5 + $0)) * Float($0 + 1) }
            x[1] += x[0]   // correlated features
            a.add(x, sample: 0, batchSize: 1)
            shifted.add(zip(x, shift).map { $0 + $1 }, sample: 0, batchSize: 1)
        }
        XCTAssertEqual(FrechetDistance.between(a, a), 0, accuracy: 1e-9)
        XCTAssertEqual(FrechetDistance.between(a, shifted), 1 + 4 + 0.25 + 9, accuracy: 1e-4)
        let reference = Self.evaluator.reference.moments!
        XCTAssertEqual(FrechetDistance.between(reference, reference), 0, accuracy: 1e-6 * reference.covariance.reduce(0) { $0 + abs($1) })
    }

    func testInceptionScoreAndClassCoverage() {
        var confident = ClassDistribution(classes: 4), undecided = ClassDistribution(classes: 4)
        for j in 0..<400 {
            let oneHot = (0..<4).map { Double($0 == j % 4 ? 1 : 0) }
            confident.add(probabilities: oneHot, sample: 0, batchSize: 1)
            undecided.add(probabilities: [0.25, 0.25, 0.25, 0.25], sample: 0, batchSize: 1)
        }
        XCTAssertEqual(confident.inceptionScore, 4, accuracy: 1e-9)
        XCTAssertEqual(undecided.inceptionScore, 1, accuracy: 1e-9)
        XCTAssertEqual(confident.classesCovered, 4)
        XCTAssertEqual(undecided.classesCovered, 1)   // argmax ties go to the first class
        XCTAssertEqual(confident.klDivergence(from: confident), 0)
        XCTAssertGreaterThan(undecided.klDivergence(from: confident), 1)
    }

    func testPrecisionAndRecallOfEqualAndOfDisjointSets() {
        let random = CounterRandom(seed: 12, stream: 2)
        let points = (0..<300 * 4).map { random.normal(at: UInt64($0)) }
        let far = points.map { $0 + 100 }
        let same = PrecisionRecall.measure(real: points, generated: points, dimension: 4)
        XCTAssertEqual(same.precision, 1)
        XCTAssertEqual(same.recall, 1)
        let disjoint = PrecisionRecall.measure(real: points, generated: far, dimension: 4)
        XCTAssertEqual(disjoint.precision, 0)
        XCTAssertEqual(disjoint.recall, 0)
        // Generated points collapsed onto 30 of the real ones (each 10 times, so their balls shrink
        // to points): all realistic, a tenth of the variety.
        var collapsed: [Float] = []
        for j in 0..<300 { collapsed += points[(j % 30) * 4..<(j % 30) * 4 + 4] }
        let partial = PrecisionRecall.measure(real: points, generated: collapsed, dimension: 4)
        XCTAssertEqual(partial.precision, 1)
        XCTAssertEqual(partial.recall, 0.1, accuracy: 1e-12)
    }

    func testSymmetricEigenReconstructsTheMatrix() {
        let m: [Double] = [4, 1, 0.5, 1, 3, 0.2, 0.5, 0.2, 2]
        let eigen = SymmetricEigen(m, size: 3)
        XCTAssertEqual(eigen.values, eigen.values.sorted())
        for (got, want) in zip(eigen.applying { $0 }, m) { XCTAssertEqual(got, want, accuracy: 1e-12) }
        let root = eigen.applying { $0.squareRoot() }
        for i in 0..<3 {
            for k in 0..<3 {
                var square = 0.0
                for j in 0..<3 { square += root[i * 3 + j] * root[j * 3 + k] }
                XCTAssertEqual(square, m[i * 3 + k], accuracy: 1e-12)
            }
        }
    }
}
