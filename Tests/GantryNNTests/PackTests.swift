import XCTest
import GantryNN

final class PackTests: XCTestCase {
    func testGradients() {
        checkLayerGradients(Pack(Shape(channels: 2), count: 4), batch: 8, seed: 92)
        checkLayerGradients(Pack(Shape(channels: 3, height: 2, width: 2), count: 2), batch: 6, seed: 93)
    }

    /// Packed sample j holds samples j·m … j·m + m − 1, one after another along the channels.
    func testLayout() {
        let layer = Pack(Shape(channels: 2), count: 2)
        XCTAssertEqual(layer.outputShape, Shape(channels: 4))
        XCTAssertEqual(layer.outputBatch(forInput: 6), 3)
        let harness = LayerHarness(layer, batch: 4)
        // Channel-major (2, 4): sample n is (x_n, y_n) = (n, 10 + n).
        harness.input.load([0, 1, 2, 3, 10, 11, 12, 13])
        harness.forward(training: true)
        // (4, 2): packed sample 0 is (x0, y0, x1, y1), packed sample 1 is (x2, y2, x3, y3).
        XCTAssertEqual(harness.output.array, [0, 2, 10, 12, 1, 3, 11, 13])
    }

    /// In a network the layers after a Pack run on the packed batch: Pack → Linear gives the
    /// logits of Linear on the samples concatenated by hand, and backward reaches the input.
    func testNetworkRunsLaterLayersOnThePackedBatch() {
        let linear = Linear(4, 1)
        let network = Network(name: "D", layers: [Pack(Shape(channels: 2), count: 2), linear], batchSize: 6, scratch: ScratchSpace())
        XCTAssertEqual(network.outputBatchSize, 3)
        var random = SplitMix64(seed: 94)
        random.fill(network.parameters)
        let input = FloatBuffer(count: 12)
        random.fill(input)
        let logits = network.forward(input.pointer, training: true)
        for j in 0..<3 {
            let features = [input[2 * j], input[6 + 2 * j], input[2 * j + 1], input[6 + 2 * j + 1]]
            let expected = zip(features, (0..<4).map { network.parameters[$0] }).reduce(network.parameters[4]) { $0 + $1.0 * $1.1 }
            XCTAssertEqual(logits[j], expected, accuracy: 1e-5)
        }
        let gradient = FloatBuffer(count: 3)
        gradient.load([1, 1, 1])
        let inputGradient = network.backward(gradient.pointer, accumulateParameterGradients: true, needInputGradient: true)!
        // Every sample's x feeds the weight of its place in the pack.
        XCTAssertEqual(inputGradient[0], network.parameters[0])
        XCTAssertEqual(inputGradient[1], network.parameters[2])
        XCTAssertEqual(inputGradient[6], network.parameters[1])
    }
}
