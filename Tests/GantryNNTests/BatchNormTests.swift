import XCTest
import GantryNN

final class BatchNormTests: XCTestCase {
    func testTrainingGradientsForVectors() {
        checkLayerGradients(BatchNorm(Shape(channels: 3)), batch: 5, seed: 30)
    }

    func testTrainingGradientsWithSpatialExtent() {
        checkLayerGradients(BatchNorm(Shape(channels: 2, height: 3, width: 2)), batch: 2, seed: 31)
    }

    /// In eval mode the statistics are constants: the gradient is just γ·invstd·dy.
    func testEvalGradients() {
        checkLayerGradients(BatchNorm(Shape(channels: 3, height: 2, width: 2)), batch: 2, training: false, seed: 32,
                            prepare: { harness in
                                var random = SplitMix64(seed: 33)
                                for c in 0..<3 {
                                    harness.state[c] = random.uniform(-1, 1)
                                    harness.state[3 + c] = random.uniform(0.5, 2)
                                }
                            })
    }

    func testParametersAndState() {
        let layer = BatchNorm(Shape(channels: 4, height: 2, width: 2))
        XCTAssertEqual(layer.outputShape, layer.inputShape)
        XCTAssertEqual(layer.parameterCount, 8)
        XCTAssertEqual(layer.stateCount, 8)
        XCTAssertEqual(layer.summary, "BatchNorm(4)")
        XCTAssertEqual(layer.parameterTensors.map(\.role), [.scale, .shift])
        XCTAssertEqual(layer.parameterTensors.map(\.offset), [0, 4])
        let harness = LayerHarness(layer, batch: 1)
        XCTAssertEqual(harness.state.array, [0, 0, 0, 0, 1, 1, 1, 1])
    }

    /// Training output has, per channel, mean β and (biased) standard deviation |γ|.
    func testTrainingForwardNormalises() {
        let harness = LayerHarness(BatchNorm(Shape(channels: 2, height: 2, width: 3)), batch: 3)
        var random = SplitMix64(seed: 34)
        random.fill(harness.input, -3, 5)
        harness.parameters.load([2, -0.5, 0.3, 1])   // γ = (2, −0.5), β = (0.3, 1)
        harness.forward(training: true)
        let m = 3 * 6
        for (c, (gamma, beta)) in [(2.0, 0.3), (-0.5, 1.0)].enumerated() {
            let values = harness.output.array[(c * m)..<((c + 1) * m)].map(Double.init)
            let mean = values.reduce(0, +) / Double(m)
            let variance = values.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(m)
            XCTAssertEqual(mean, beta, accuracy: 1e-5)
            XCTAssertEqual(variance.squareRoot(), abs(gamma), accuracy: 1e-3)
        }
    }

    /// running = 0.9·running + 0.1·batch, with the unbiased variance, from (0, 1).
    func testRunningStatisticsUpdate() {
        let harness = LayerHarness(BatchNorm(Shape(channels: 2), momentum: 0.1), batch: 4)
        harness.parameters.load([1, 1, 0, 0])
        harness.input.load([1, 2, 3, 6,      // channel 0: mean 3, unbiased variance 14/3
                            -1, -1, 1, 1])   // channel 1: mean 0, unbiased variance 4/3
        harness.forward(training: true)
        XCTAssertEqual(harness.state[0], 0.3, accuracy: 1e-6)
        XCTAssertEqual(harness.state[1], 0, accuracy: 1e-6)
        XCTAssertEqual(harness.state[2], 0.9 + 0.1 * 14 / 3, accuracy: 1e-6)
        XCTAssertEqual(harness.state[3], 0.9 + 0.1 * 4 / 3, accuracy: 1e-6)
        harness.forward(training: true)
        XCTAssertEqual(harness.state[0], 0.9 * 0.3 + 0.3, accuracy: 1e-6)
        XCTAssertEqual(harness.state[2], 0.9 * (0.9 + 0.1 * 14 / 3) + 0.1 * 14 / 3, accuracy: 1e-5)
        harness.layer.resetState()
        XCTAssertEqual(harness.state.array, [0, 0, 1, 1])
    }

    func testEvalUsesRunningStatisticsAndLeavesThemAlone() {
        let harness = LayerHarness(BatchNorm(Shape(channels: 2, height: 1, width: 2), epsilon: 1e-5), batch: 3)
        var random = SplitMix64(seed: 35)
        random.fill(harness.input, -2, 2)
        harness.parameters.load([1.5, -1, 0.25, 2])
        let state: [Float] = [0.5, -1, 4, 0.25]   // means (0.5, −1), variances (4, 0.25)
        harness.state.load(state)
        harness.forward(training: false)
        XCTAssertEqual(harness.state.array, state)
        let m = 3 * 2
        for c in 0..<2 {
            let invstd = 1 / (state[2 + c] + 1e-5).squareRoot()
            for i in 0..<m {
                let x = harness.input[c * m + i]
                let expected = harness.parameters[c] * (x - state[c]) * invstd + harness.parameters[2 + c]
                XCTAssertEqual(harness.output[c * m + i], expected, accuracy: 1e-5)
            }
        }
    }
}
