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
