import Foundation
import XCTest
import GantryNN

final class ActivationTests: XCTestCase {
    private let shape = Shape(channels: 3, height: 2, width: 2)

    func testReLUGradients() { checkLayerGradients(ReLU(shape), batch: 2, seed: 40) }

    func testLeakyReLUGradients() { checkLayerGradients(LeakyReLU(shape, slope: 0.2), batch: 2, seed: 41) }

    func testTanhGradients() { checkLayerGradients(Tanh(shape), batch: 2, seed: 42) }

    func testValuesAndSummaries() {
        let inputs: [Float] = [-2, -0.5, 0.5, 3]
        let cases: [(Layer, [Float], String)] = [
            (ReLU(Shape(channels: 4)), [0, 0, 0.5, 3], "ReLU"),
            (LeakyReLU(Shape(channels: 4)), [-0.4, -0.1, 0.5, 3], "LeakyReLU(0.2)"),
            (LeakyReLU(Shape(channels: 4), slope: 0.01), [-0.02, -0.005, 0.5, 3], "LeakyReLU(0.01)"),
            (Tanh(Shape(channels: 4)), inputs.map { Float(Foundation.tanh(Double($0))) }, "Tanh"),
        ]
        for (layer, expected, summary) in cases {
            XCTAssertEqual(layer.summary, summary)
            XCTAssertEqual(layer.parameterCount, 0)
            XCTAssertEqual(layer.outputShape, layer.inputShape)
            let harness = LayerHarness(layer, batch: 1)
            harness.input.load(inputs)
            harness.forward(training: true)
            for (got, want) in zip(harness.output.array, expected) {
                XCTAssertEqual(got, want, accuracy: 1e-6, summary)
            }
        }
    }
}
