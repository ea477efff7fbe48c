import Foundation
import XCTest
import GantryNN

final class BinaryCrossEntropyTests: XCTestCase {
    func testValueMatchesNaiveFormula() {
        let logits: [Float] = [-4, -1.5, -0.2, 0, 0.7, 2, 5]
        for target: Float in [0, 1, 0.9] {
            let (loss, probability) = BinaryCrossEntropy.mean(logits: logits, target: target, count: logits.count,
                                                              gradient: nil)
            var expectedLoss = 0.0, expectedProbability = 0.0
            for l in logits {
                let p = 1 / (1 + Foundation.exp(-Double(l)))
                expectedLoss -= Double(target) * Foundation.log(p) + Double(1 - target) * Foundation.log(1 - p)
                expectedProbability += p
            }
            XCTAssertEqual(loss, expectedLoss / Double(logits.count), accuracy: 1e-5)
            XCTAssertEqual(probability, expectedProbability / Double(logits.count), accuracy: 1e-6)
        }
    }

    func testGradientMatchesFiniteDifferences() {
        var random = SplitMix64(seed: 50)
        let logits = FloatBuffer(count: 12)
        random.fill(logits, -4, 4)
        let gradient = FloatBuffer(count: 12)
        for (target, scale) in [(Float(1), Float(1)), (0, 1), (0.9, 2.5)] {
            BinaryCrossEntropy.mean(logits: logits.pointer, target: target, count: 12,
                                    gradient: gradient.pointer, gradientScale: scale)
            let indices = Array(0..<12)
            let numeric = indices.map { i in
                centralDifference(logits, i, step: 1e-2) {
                    Double(scale) * BinaryCrossEntropy.mean(logits: logits.pointer, target: target, count: 12,
                                                            gradient: nil).loss
                }
            }
            assertGradientsMatch(analytic: gradient.array, numeric: numeric, indices: indices,
                                 what: "BCE gradient (target \(target), scale \(scale))")
        }
    }

    func testStaysFiniteForExtremeLogits() {
        let logits: [Float] = [100, -100]
        var gradient = [Float](repeating: .nan, count: 2)
        for target: Float in [0, 1] {
            let (loss, probability) = BinaryCrossEntropy.mean(logits: logits, target: target, count: 2,
                                                              gradient: &gradient)
            XCTAssertTrue(loss.isFinite)
            XCTAssertEqual(loss, 50, accuracy: 1e-3)   // one logit is right with certainty, the other off by 100
            XCTAssertEqual(probability, 0.5, accuracy: 1e-6)
            XCTAssertTrue(gradient.allSatisfy(\.isFinite))
        }
        XCTAssertEqual(gradient, [0, -0.5])   // target 1: (σ(l) − 1)/2
    }
}

final class SoftmaxCrossEntropyTests: XCTestCase {
    func testValueMatchesNaiveFormula() {
        let classes = 4, count = 3
        let logits: [Float] = [0.5, -2, 3,   1, 0, -1,   -0.5, 2, 0.25,   2, 1, 0]   // classes × count
        let labels = [3, 2, 0]
        let (loss, correct) = SoftmaxCrossEntropy.mean(logits: logits, labels: labels, classes: classes, count: count,
                                                       gradient: nil)
        var expected = 0.0, expectedCorrect = 0
        for j in 0..<count {
            let row = (0..<classes).map { Double(logits[$0 * count + j]) }
            let z = row.map { Foundation.exp($0) }.reduce(0, +)
            expected -= Foundation.log(Foundation.exp(row[labels[j]]) / z)
            if row.firstIndex(of: row.max()!) == labels[j] { expectedCorrect += 1 }
        }
        XCTAssertEqual(loss, expected / Double(count), accuracy: 1e-5)
        XCTAssertEqual(correct, expectedCorrect)
    }

    func testGradientMatchesFiniteDifferences() {
        var random = SplitMix64(seed: 51)
        let classes = 5, count = 4
        let logits = FloatBuffer(count: classes * count)
        random.fill(logits, -4, 4)
        let labels = [1, 4, 0, 2]
        let gradient = FloatBuffer(count: classes * count)
        for scale: Float in [1, 2.5] {
            SoftmaxCrossEntropy.mean(logits: logits.pointer, labels: labels, classes: classes, count: count,
                                     gradient: gradient.pointer, gradientScale: scale)
            let indices = Array(0..<logits.count)
            let numeric = indices.map { i in
                centralDifference(logits, i, step: 1e-2) {
                    Double(scale) * SoftmaxCrossEntropy.mean(logits: logits.pointer, labels: labels, classes: classes,
                                                             count: count, gradient: nil).loss
                }
            }
            assertGradientsMatch(analytic: gradient.array, numeric: numeric, indices: indices,
                                 what: "softmax cross-entropy gradient (scale \(scale))")
        }
    }

    func testStaysFiniteForExtremeLogits() {
        let logits: [Float] = [1000, -1000, 0, 0]   // 2 classes × 2 samples
        var gradient = [Float](repeating: .nan, count: 4)
        let (loss, correct) = SoftmaxCrossEntropy.mean(logits: logits, labels: [1, 1], classes: 2, count: 2,
                                                       gradient: &gradient)
        XCTAssertEqual(loss, 500, accuracy: 1e-3)   // sample 0 is wrong by 1000, sample 1 is right with certainty
        XCTAssertEqual(correct, 1)
        XCTAssertEqual(gradient, [0.5, 0, -0.5, 0])
        var probabilities = [Double](repeating: .nan, count: 4)
        SoftmaxCrossEntropy.probabilities(logits: logits, classes: 2, count: 2, into: &probabilities)
        XCTAssertEqual(probabilities, [1, 0, 0, 1])
    }
}
