import XCTest
import GantryNN

/// End-to-end backward through a small chain: Conv → BN → LeakyReLU → whole-image Conv → Linear.
final class NetworkTests: XCTestCase {
    private let batch = 3

    private func makeNetwork() -> (Network, input: FloatBuffer, outputWeights: FloatBuffer) {
        let conv = Conv2d(input: Shape(channels: 2, height: 6, width: 6), outChannels: 4,
                          kernel: 3, stride: 2, padding: 1, bias: false)
        let norm = BatchNorm(conv.outputShape)
        let activation = LeakyReLU(conv.outputShape, slope: 0.2)
        // A kernel covering the whole 3×3 image: a fully connected layer in convolution form.
        let dense = Conv2d(input: conv.outputShape, outChannels: 3, kernel: 3)
        let network = Network(name: "chain", layers: [conv, norm, activation, dense, Linear(3, 2)], batchSize: batch)
        var random = SplitMix64(seed: 60)
        random.fill(network.parameters, -0.5, 1)
        let input = FloatBuffer(count: network.inputShape.count * batch)
        for i in 0..<input.count { input[i] = random.awayFromZero() }
        let weights = FloatBuffer(count: network.outputShape.count * batch)
        random.fill(weights)
        return (network, input, weights)
    }

    func testBackwardMatchesFiniteDifferences() {
        let (network, input, weights) = makeNetwork()
        XCTAssertEqual(network.outputShape, Shape(channels: 2))
        network.forward(input.pointer, training: true)
        network.zeroGradients()
        let inputGradient = network.backward(weights.pointer, accumulateParameterGradients: true,
                                             needInputGradient: true)!
        let analyticInput = Array(UnsafeBufferPointer(start: inputGradient, count: input.count))
        let analyticParameters = network.gradients.array

        let loss = { () -> Double in weightedSum(network.forward(input.pointer, training: true), weights) }
        var random = SplitMix64(seed: 61)
        let inputIndices = random.sample(60, of: input.count)
        assertGradientsMatch(analytic: analyticInput,
                             numeric: inputIndices.map { centralDifference(input, $0, step: 5e-3, loss: loss) },
                             indices: inputIndices, what: "network input gradient")
        let parameterIndices = random.sample(80, of: network.parameters.count)
        assertGradientsMatch(analytic: analyticParameters,
                             numeric: parameterIndices.map { centralDifference(network.parameters, $0, step: 5e-3, loss: loss) },
                             indices: parameterIndices, what: "network parameter gradient")
    }

    func testGradientAccumulationModes() {
        let (network, input, weights) = makeNetwork()
        network.forward(input.pointer, training: true)
        network.zeroGradients()
        let first = network.backward(weights.pointer, accumulateParameterGradients: true, needInputGradient: true)!
        let inputGradient = Array(UnsafeBufferPointer(start: first, count: input.count))
        let once = network.gradients.array
        XCTAssertTrue(once.contains { $0 != 0 })

        // A second call adds the same gradients again.
        XCTAssertNil(network.backward(weights.pointer, accumulateParameterGradients: true, needInputGradient: false))
        for (i, (twice, single)) in zip(network.gradients.array, once).enumerated() {
            XCTAssertEqual(twice, 2 * single, accuracy: 1e-5 * max(1, abs(twice)), "gradient \(i) did not accumulate")
        }

        // Input gradient only: the parameter gradients stay as they were.
        let before = network.gradients.array
        let again = network.backward(weights.pointer, accumulateParameterGradients: false, needInputGradient: true)!
        XCTAssertEqual(network.gradients.array, before)
        XCTAssertEqual(Array(UnsafeBufferPointer(start: again, count: input.count)), inputGradient)
    }
}
